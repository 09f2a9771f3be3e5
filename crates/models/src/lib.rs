//! Typed models of SmartReach webhook payloads.
//!
//! The types in [`generated`](self) come from `schema/smartreach-webhook.schema.json` through
//! `cargo xtask codegen` (typify). This crate adds by hand only what generation cannot express:
//!
//! - [`EventType`], an open enum: the 13 documented event types, plus [`EventType::Other`] keeping any
//!   name SmartReach adds later, with legacy short names (`email_opened`) normalised;
//! - [`parse`] and [`parse_str`], whose [`ParseError`] names the JSON path, the position and the problem,
//!   and which normalise the seed's `prospect_email` spelling into `email`;
//! - [`StoredWebhook`], the split of a payload into the events the host stores and plugins receive
//!   (event ids, `occurred_at`, the JSON of the metadata and of each item), and [`count_items`],
//!   which counts a body's items without building them.
//!
//! ```
//! let body = br#"{"metadata": {"event_type": "prospect.created"},
//!                 "data": [{"prospect": {"prospect_id": 7, "prospect_email": "ana@example.com"}}]}"#;
//! let payload = smartreach_models::parse(body).unwrap();
//! assert_eq!(payload.metadata.event_type.as_str(), "prospect.created");
//! assert_eq!(payload.data[0].prospect.email.as_deref(), Some("ana@example.com"));
//! ```
//!
//! The crate builds for `wasm32-wasip2`: plugins use the same types as the host.

mod count;
mod event_type;
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;
mod normalize;
mod parse;
mod stored;
mod whole_numbers;

pub use count::count_items;
pub use event_type::{Category, EventType};
pub use generated::*;
pub use parse::{ParseError, parse, parse_str};
pub use stored::{StoredEvent, StoredWebhook, event_id, occurred_at};
