//! `/healthz` (the process answers) and `/readyz` (the store answers and the plugin folder has
//! been read; the plugins still compiling are named, and do not make the host unready).

mod headroom;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::{App, StoreTarget};

/// The health routes: `GET /healthz` and `GET /readyz`.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Always 200 while the process serves.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the store commits (a round trip through its writer, and, for SQLite, room on its
/// filesystem for the largest webhook the host accepts) and the plugin folder has been read,
/// else 503.
///
/// Plugins still compiling are listed (`compiling`, by name) but leave the host ready: ingest is
/// durable, so a load balancer should send webhooks to a host whose big plugins still compile;
/// their deliveries wait, pending, until they are loaded.
pub async fn readyz(State(app): State<Arc<App>>) -> (StatusCode, Json<Value>) {
    let snapshot = app.registry.snapshot();
    let plugins = snapshot.len();
    let compiling: Vec<&String> = snapshot.compiling().keys().collect();
    let needed =
        headroom::needed_for_one_webhook(app.ingest.max_body_bytes, app.ingest.max_items, plugins);
    let store = match (app.store.ping().await, &app.store_target) {
        (Ok(()), StoreTarget::Sqlite(path)) => headroom::check(path, needed),
        // The database server's disk is out of this host's sight; a commit that fails for want
        // of room fails the ping, or ingest answers 503.
        (Ok(()), StoreTarget::Postgres(_)) => Ok(()),
        (Err(err), StoreTarget::Sqlite(_)) => Err(err.to_string()),
        (Err(err), target @ StoreTarget::Postgres(_)) => Err(format!("{target}: {err}")),
    };
    let loaded = app.plugins_loaded();
    let ready = store.is_ok() && loaded;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ready { "ready" } else { "not ready" },
            "store": match &store { Ok(()) => "ok".to_owned(), Err(err) => err.clone() },
            "plugins_loaded": loaded,
            "plugins": plugins,
            "compiling": compiling,
        })),
    )
}
