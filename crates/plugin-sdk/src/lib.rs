//! Write smartreach-hooks plugins in Rust.
//!
//! A plugin is a WebAssembly component that smartreach-hooks runs, in a fresh sandboxed instance,
//! on every event of the types it handles. This crate hides the component plumbing
//! (`schema/wit/plugin.wit`) behind typed Rust:
//!
//! - [`Plugin`]: implement [`Plugin::declare`] (which events, which configuration) and
//!   [`Plugin::handle`] (what to do with one [`Event`]), then export the type with
//!   [`export_plugin!`];
//! - [`Event`]: the event id, type, webhook metadata and data item, as the typed [`models`];
//! - [`Outcome`]: done, skipped, retry (optionally after a delay) or failed;
//! - [`config()`] and [`config_required`]: the plugin's configuration from its manifest;
//! - [`log`] and the [`info!`]-style macros: log lines through the host;
//! - [`http`]: a small blocking HTTP client, limited by the host to the hosts the manifest allows.
//!
//! # A complete plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "reply-forwarder"
//! version = "0.1.0"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! smartreach-plugin-sdk = { path = "../crates/plugin-sdk" }
//! serde_json = "1"
//!
//! [profile.release]
//! opt-level = "s"
//! lto = true
//! strip = true
//! ```
//!
//! `src/lib.rs`:
//!
//! ```no_run,standalone_crate
//! use smartreach_plugin_sdk::models::DocumentedEventType;
//! use smartreach_plugin_sdk::{
//!     ConfigKey, Declaration, Event, Outcome, Plugin, config_required, export_plugin, http, info,
//! };
//!
//! /// Forwards every reply to a URL of your choice as a small JSON document.
//! struct ReplyForwarder;
//!
//! impl Plugin for ReplyForwarder {
//!     fn declare() -> Declaration {
//!         Declaration::new([DocumentedEventType::ActivityEmailReplied])
//!             .description("POSTs each reply's prospect email and subject to `url`")
//!             .config(ConfigKey::required("url", "Where to POST the reply"))
//!     }
//!
//!     fn handle(event: Event) -> Outcome {
//!         let url = match config_required("url") {
//!             Ok(url) => url,
//!             Err(err) => return Outcome::failed(err.to_string()),
//!         };
//!         let subject = event.activity().and_then(|a| a.email_subject.as_deref());
//!         let body = serde_json::json!({
//!             "email": event.prospect().email,
//!             "subject": subject,
//!         });
//!         info!("forwarding reply {} to {url}", event.id);
//!         let result = http::Request::post(&url)
//!             .header("Idempotency-Key", &event.id)
//!             .json(&body)
//!             .send();
//!         // 2xx: done; 429 and 5xx: retry (after Retry-After); other statuses: failed.
//!         http::delivery_outcome(&result)
//!     }
//! }
//!
//! export_plugin!(ReplyForwarder);
//! ```
//!
//! Build it, and put the component and its manifest in the host's plugin folder:
//!
//! ```sh
//! rustup target add wasm32-wasip2
//! cargo build --release --target wasm32-wasip2
//! cp target/wasm32-wasip2/release/reply_forwarder.wasm ../data/plugins/reply-forwarder.wasm
//! ```
//!
//! Copy `target/wasm32-wasip2/release/NAME.wasm` into the plugin folder (Cargo writes the crate
//! name with underscores; the file name, without `.wasm`, is the plugin's name), with an optional
//! `NAME.toml` manifest beside it: the events it overrides, the outbound hosts it may reach, its
//! `[config]` values and `[limits]`. `plugins/README.md` in the repository documents the manifest.
//!
//! # Native builds
//!
//! The crate also compiles for the host platform, so that plugins can unit-test their pure logic
//! with `cargo test`. The functions that call the host ([`config()`], [`log`], [`http`]'s
//! `send`) exist only inside a plugin instance and panic when called natively.

mod config;
mod declaration;
mod event;
mod export;
pub mod http;
pub mod log;
mod outcome;
mod plugin;

#[doc(hidden)]
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings;

pub use config::{ConfigError, config, config_parse, config_required};
pub use declaration::{ConfigKey, Declaration};
pub use event::{Event, EventError};
pub use outcome::Outcome;
pub use plugin::Plugin;
/// The typed SmartReach payload models ([`smartreach_models`]) that [`Event`] is made of.
pub use smartreach_models as models;

/// What [`export_plugin!`] expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::export;
    pub use crate::export::Adapter;
}
