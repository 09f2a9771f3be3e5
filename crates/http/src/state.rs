//! What the HTTP handlers share: the state behind every route.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use smartreach_config::{IngestConfig, SourceConfig};
use smartreach_dispatch::Controls;
use smartreach_dispatch::plugins::Registry;
use smartreach_metrics::Metrics;
use smartreach_store::Store;
use tokio::sync::Notify;

use crate::ingest::token::Tokens;

/// The state behind every route.
pub struct App {
    /// Where webhooks go.
    pub store: Arc<dyn Store>,
    /// The plugins loaded now.
    pub registry: Arc<Registry>,
    /// The ingest tokens of `sources`.
    pub tokens: Tokens,
    /// The configured sources.
    pub sources: Vec<SourceConfig>,
    /// Ingest limits.
    pub ingest: IngestConfig,
    /// Wakes the dispatcher when a webhook was stored.
    pub wake: Arc<Notify>,
    /// Set once the plugin folder was loaded at start.
    pub plugins_loaded: AtomicBool,
    /// The admin API's bearer token; `None` turns the API off.
    pub admin_token: Option<String>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Where the store keeps its data: what `/readyz` checks and names.
    pub store_target: StoreTarget,
    /// Which plugins are paused: the admin API pauses and resumes them, the dispatcher follows.
    pub controls: Arc<Controls>,
}

/// Where the store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTarget {
    /// The SQLite file (`store.path`): `/readyz` checks the free space of its filesystem.
    Sqlite(PathBuf),
    /// The PostgreSQL database, as `host:port/database` (no user, no password). Its disk is the
    /// database server's, which this host cannot see: `/readyz` relies on the round trip.
    Postgres(String),
}

impl fmt::Display for StoreTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreTarget::Sqlite(path) => write!(f, "SQLite {}", path.display()),
            StoreTarget::Postgres(target) => write!(f, "PostgreSQL {target}"),
        }
    }
}

impl App {
    /// Whether the first load of the plugin folder is done.
    pub fn plugins_loaded(&self) -> bool {
        self.plugins_loaded.load(Ordering::Acquire)
    }
}
