//! Every route of the host: each family's own routes, merged, and the answers to a path or a
//! method that none of them serves.

use std::sync::Arc;

use axum::Router;

use crate::problem::{Problem, ProblemKind};
use crate::state::App;
use crate::{admin, console, health, ingest, metrics};

/// Every route of the host.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(ingest::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(console::router(&app))
        .merge(admin::router(Arc::clone(&app)))
        .method_not_allowed_fallback(|| async {
            Problem::new(
                ProblemKind::MethodNotAllowed,
                "this route does not take that method; see README.md or /api/v1/openapi.json",
            )
        })
        .fallback(|| async {
            Problem::new(
                ProblemKind::NotFound,
                "webhooks go to POST /hooks/smartreach/{token}",
            )
        })
        .with_state(app)
}
