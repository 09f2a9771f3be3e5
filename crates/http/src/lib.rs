//! smartreach-http: the host's HTTP side. Everything that arrives over HTTP enters here, and
//! every answer leaves as JSON or an RFC 9457 problem document ([`problem`], the one error type
//! of the handlers, with the catalogue of every kind):
//!
//! ```text
//! POST /hooks/smartreach/{token} ─> ingest: verify ─> read ─> parse ─> persist ─> 202
//!                                                                        │ wake
//!                                                          smartreach-dispatch's workers
//! /api/v1/...                    ─> admin: token ─> read the store, queue replays
//! /console/...                   ─> console: session ─> the same reads and actions, as HTML
//! /healthz, /readyz, /metrics    ─> health, metrics
//! ```
//!
//! [`server`] is the accept loop (connection limit, header and idle timeouts), [`router`] merges
//! the routes of each family (`ingest`, `admin`, `console`, `health`, `metrics`), and [`App`] is the state
//! they share. The binary builds an [`App`] from the configuration, the store, the plugin
//! registry and the metrics, and serves [`router`] with [`server::run`].

mod admin;
mod console;
mod health;
pub mod ids;
mod ingest;
mod metrics;
// Public: the catalogue of every problem the host answers with is the contract that README's
// table and the OpenAPI document are generated from or tested against.
pub mod problem;
mod router;
pub mod server;
mod state;

pub use admin::openapi;
// The admin API's plugin list as it is sent: the CLI reads its answers into the same types.
pub use admin::plugins::{CompilingView, LimitsView, LoadErrorView, PluginInfo, PluginList};
pub use ingest::token::Tokens;
pub use router::router;
pub use state::{App, StoreTarget};
