//! What the HTTP handlers share, and the routes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use smartreach_store::Store;
use tokio::sync::Notify;

use crate::config::{IngestConfig, SourceConfig};
use crate::ingest::{self, token::Tokens};
use crate::metrics::Metrics;
use crate::plugins::Registry;
use crate::problem::Problem;
use crate::{admin, health, observe};

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
    /// `store.path`: `/readyz` checks the free space of its filesystem.
    pub store_path: std::path::PathBuf,
}

impl App {
    /// Whether the first load of the plugin folder is done.
    pub fn plugins_loaded(&self) -> bool {
        self.plugins_loaded.load(Ordering::Acquire)
    }
}

/// Every route of the host.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/hooks/smartreach/{token}", post(ingest::receive))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/api/v1/openapi.json", get(observe::openapi))
        .merge(admin::router(Arc::clone(&app)))
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this route does not take that method; see README.md or /api/v1/openapi.json",
            )
        })
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No such route",
                "webhooks go to POST /hooks/smartreach/{token}",
            )
        })
        .with_state(app)
}
