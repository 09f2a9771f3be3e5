//! The admin API under `/api/v1`: what happened to every event, replays and backfills, and
//! pausing and resuming plugins.
//! Behind a bearer token (`admin.token`); without one configured, the API is off.

pub(crate) mod auth;
mod deliveries;
mod events;
pub(crate) mod ids;
pub mod openapi;
pub(crate) mod pause;
pub(crate) mod plugins;
mod query;
pub(crate) mod replay;
mod unix_ms;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::state::App;

/// The admin routes, behind the token check, and the API's OpenAPI document.
pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/events", get(events::list))
        .route("/api/v1/events/{id}", get(events::show))
        .route("/api/v1/deliveries", get(deliveries::list))
        .route("/api/v1/deliveries/{id}/replay", post(replay::one))
        .route("/api/v1/plugins", get(plugins::list))
        .route("/api/v1/plugins/{name}/replay-dead", post(replay::dead))
        .route("/api/v1/plugins/{name}/backfill", post(replay::backfill))
        .route("/api/v1/plugins/{name}/pause", post(pause::pause))
        .route("/api/v1/plugins/{name}/resume", post(pause::resume))
        .route_layer(axum::middleware::from_fn_with_state(
            app,
            auth::require_token,
        ))
        // Added after the token check, which covers only the routes above: the document describes
        // the routes and holds no data.
        .route("/api/v1/openapi.json", get(openapi::serve))
}
