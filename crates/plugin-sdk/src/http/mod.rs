//! A small blocking HTTP client over `wasi:http/outgoing-handler`.
//!
//! The host lets a plugin reach only the hosts its manifest lists in `allowed_outbound_hosts`
//! (a request to any other host fails with [`Error::Denied`]), and caps response sizes and
//! durations ([`Error::TooLarge`], [`Error::Timeout`]).
//!
//! ```no_run
//! use smartreach_plugin_sdk::http::Request;
//!
//! let response = Request::post("https://hooks.slack.com/services/T000/B000/XXXX")
//!     .json(&serde_json::json!({ "text": "New reply" }))
//!     .send()?;
//! if !response.is_success() {
//!     println!("HTTP {}: {}", response.status, response.text());
//! }
//! # Ok::<(), smartreach_plugin_sdk::http::Error>(())
//! ```
//!
//! [`delivery_outcome`] turns the result of a webhook-style delivery into the usual
//! [`Outcome`](crate::Outcome).

mod error;
mod outcome;
mod request;
mod response;
mod transport;
mod url;

pub use error::Error;
pub use outcome::delivery_outcome;
pub use request::{Method, Request};
pub use response::Response;
