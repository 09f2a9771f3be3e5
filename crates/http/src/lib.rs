//! smartreach-hooks: receives SmartReach webhooks, stores each event durably, and runs the team's
//! wasm plugins on it.
//!
//! ```text
//! POST /hooks/smartreach/{token} ─> ingest: verify ─> read ─> parse ─> persist ─> 202
//!                                                                        │
//! dispatch: claim ─> run plugin (sandbox) ─> record attempt ─> done | retry later | dead
//! plugins: watch folder ─> load ─> registry (snapshot per claim)
//! ```
//!
//! The binary (`main.rs`) parses the command line and calls [`serve::serve`]; everything else is
//! here so that tests can drive it.

pub mod admin;
pub mod app;
pub mod check_plugin;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod default_source;
pub mod dispatch;
pub mod folders;
pub mod headroom;
pub mod health;
pub mod http_server;
pub mod ids;
pub mod ingest;
pub mod logging;
pub mod metrics;
pub mod observe;
pub mod plugins;
pub mod problem;
pub mod retention;
pub mod serve;
pub mod shutdown;
pub mod trigger;
