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
mod cache;
mod config;
mod connect;
mod contract;
mod engine;
mod event;
mod invoke;
mod limiter;
mod load;
mod logs;
mod network;
mod outbound;
mod output;
mod plugin;
mod state;

pub use cache::CacheStatus;
pub use config::{OutboundMode, PluginDefaults, RuntimeConfig};
pub use contract::CONTRACT_VERSION;
pub use engine::{Runtime, RuntimeError};
pub use event::PluginEvent;
pub use invoke::{Fault, Invocation, Outcome};
pub use load::{LoadError, LoadReport};
pub use logs::{LogLevel, LogLine, LogSource};
pub use network::{Network, NetworkError};
pub use outbound::{OutboundDecision, OutboundRequest};
pub use plugin::{ConfigKey, Declaration, Limits, Plugin, Subscriptions};
