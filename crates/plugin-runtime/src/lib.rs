//! Runs smartreach-hooks plugins: wasm components, each in a wasmtime sandbox, one fresh instance
//! per event.
//!
//! ```text
//! Runtime::new ─> load_dir(folder) ─> Plugin (compiled once, linked once, declared once)
//!                                        └─> invoke(event) ─> Invocation { outcome, logs, requests }
//! ```
//!
//! The sandbox of every invocation: a wall-clock deadline (epoch interruption, plus a timer for time
//! spent in host calls), a linear-memory cap, no filesystem, environment, sockets or inherited
//! stdio, outbound HTTP only to the hosts the manifest allows (and, after resolution, only to public
//! addresses or the networks the operator allows), stdout/stderr captured as capped log
//! lines. A trap, a panic, a timeout or an exhausted memory becomes an [`Outcome::Fault`] of that one
//! invocation; the host and other plugins go on.
//!
//! The HTTP server that feeds events to the runtime lives elsewhere; this crate has no server.

mod address;
mod bindings;
mod body_budget;
mod cache;
mod config;
mod connect;
mod contract;
mod declared;
mod engine;
mod event;
mod fake_upstream;
mod invoke;
mod limiter;
mod load;
mod log_budget;
mod logs;
mod outbound;
mod output;
mod plugin;
mod prepared;
mod state;
mod text;

pub use body_budget::{OUTGOING_BODY_CHUNK_BYTES, OUTGOING_BODY_HELD_BYTES};
pub use cache::CacheStatus;
pub use config::{OutboundMode, PluginDefaults, RuntimeConfig};
pub use contract::CONTRACT_VERSION;
pub use declared::{
    MAX_DECLARED_CONFIG_KEYS, MAX_DECLARED_DEFAULT_BYTES, MAX_DECLARED_DESCRIPTION_BYTES,
    MAX_DECLARED_EVENT_TYPES, MAX_DECLARED_NAME_BYTES,
};
pub use engine::{Runtime, RuntimeError};
pub use event::PluginEvent;
pub use fake_upstream::{FakeRequest, FakeResponse, FakeUpstream};
pub use invoke::{Fault, Invocation, Outcome};
pub use load::{EnvLookup, LoadError, LoadOptions, LoadReport};
pub use log_budget::{LOG_LINE_OVERHEAD_BYTES, MAX_LOG_LINES};
pub use logs::{LogLevel, LogLine, LogSource};
pub use outbound::{OutboundDecision, OutboundRequest};
pub use plugin::{ConfigKey, Declaration, Limits, Plugin, Subscriptions};
pub use prepared::PreparedPlugin;
pub use smartreach_network::{Network, NetworkError};
pub use smartreach_plugin_manifest::{Rate, RatePeriod};
pub use text::MAX_REASON_BYTES;
