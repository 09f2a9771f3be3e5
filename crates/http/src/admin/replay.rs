//! Replays and backfills: `POST /api/v1/deliveries/{id}/replay`,
//! `POST /api/v1/plugins/{name}/replay-dead`, `POST /api/v1/plugins/{name}/backfill`.
//! Each queues new deliveries, which run and retry like any other.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use smartreach_plugin_runtime::Subscriptions;
use smartreach_store::{Queued, ReplayRefused, now_ms};
use utoipa::ToSchema;

use crate::problem::{Problem, ProblemKind};
use crate::state::App;

fn accepted(queued: Queued) -> (StatusCode, Json<Queued>) {
    (StatusCode::ACCEPTED, Json(queued))
}

/// Replays one finished delivery (done, skipped or dead) as a new delivery.
#[utoipa::path(
    post, path = "/api/v1/deliveries/{id}/replay", tag = "replay",
    params(("id" = i64, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Queued", body = Queued),
        (status = 404, description = "No such delivery", body = crate::problem::ProblemDoc),
        (status = 409, description = "Still pending or running", body = crate::problem::ProblemDoc),
        (status = 401, description = "No or wrong admin token", body = crate::problem::ProblemDoc),
    ),
    security(("admin_token" = []))
)]
pub async fn one(
    State(app): State<Arc<App>>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<(StatusCode, Json<Queued>), Problem> {
    let Path(id) = id.map_err(|rejection| {
        Problem::new(
            ProblemKind::InvalidPath,
            format!("{}; a delivery id is a number", rejection.body_text()),
        )
    })?;
    match app.store.replay(id, now_ms()).await? {
        Ok(new_id) => {
            app.wake.notify_one();
            tracing::info!(delivery = id, replay = new_id, "delivery replayed");
            Ok(accepted(Queued {
                count: 1,
                deliveries: vec![new_id],
            }))
        }
        Err(ReplayRefused::NotFound) => Err(Problem::new(
            ProblemKind::DeliveryNotFound,
            format!("no delivery has the id {id}"),
        )),
        Err(ReplayRefused::AlreadyReplayed(replay)) => Err(Problem::new(
            ProblemKind::DeliveryReplayed,
            format!("delivery {id} was replayed by delivery {replay}; replay that one instead"),
        )),
        Err(ReplayRefused::StillOpen(status)) => Err(Problem::new(
            ProblemKind::DeliveryOpen,
            format!(
                "delivery {id} is {}; it runs anyway, replay it once it is done, skipped or dead",
                status.as_str()
            ),
        )),
    }
}

/// Replays every dead letter of a plugin (after it was fixed), oldest first.
#[utoipa::path(
    post, path = "/api/v1/plugins/{name}/replay-dead", tag = "replay",
    params(("name" = String, Path, description = "Plugin name")),
    responses(
        (status = 202, description = "Queued", body = Queued),
        (status = 401, description = "No or wrong admin token", body = crate::problem::ProblemDoc),
    ),
    security(("admin_token" = []))
)]
pub async fn dead(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Queued>), Problem> {
    let queued = app.store.replay_dead(name.clone(), now_ms()).await?;
    app.wake.notify_one();
    tracing::info!(plugin = %name, count = queued.count, "dead letters replayed");
    Ok(accepted(queued))
}

/// What to backfill.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BackfillRequest {
    /// Event types; default: the plugin's subscriptions.
    #[serde(default)]
    event_types: Option<Vec<String>>,
    /// Events received at or after (Unix ms).
    since: i64,
    /// Events received before (Unix ms); default: now.
    #[serde(default)]
    until: Option<i64>,
}

/// Runs a loaded plugin over stored events: one new delivery per matching event it has none of.
#[utoipa::path(
    post, path = "/api/v1/plugins/{name}/backfill", tag = "replay",
    params(("name" = String, Path, description = "Plugin name")),
    request_body = BackfillRequest,
    responses(
        (status = 202, description = "Queued", body = Queued),
        (status = 400, description = "Invalid request body", body = crate::problem::ProblemDoc),
        (status = 404, description = "Plugin not loaded", body = crate::problem::ProblemDoc),
        (status = 401, description = "No or wrong admin token", body = crate::problem::ProblemDoc),
    ),
    security(("admin_token" = []))
)]
pub async fn backfill(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Result<Json<BackfillRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Queued>), Problem> {
    let Json(request) = body.map_err(Problem::from)?;
    let Some(plugin) = app.registry.snapshot().get(&name).cloned() else {
        return Err(Problem::new(
            ProblemKind::PluginNotLoaded,
            format!("no plugin `{name}` is loaded; add {name}.wasm to the plugin folder first"),
        ));
    };
    let event_types = backfill_types(&name, request.event_types, plugin.subscriptions())?;
    let now = now_ms();
    let queued = app
        .store
        .backfill(
            name.clone(),
            event_types,
            request.since,
            request.until.unwrap_or(now + 1),
            now,
        )
        .await?;
    app.wake.notify_one();
    tracing::info!(plugin = %name, count = queued.count, "backfill queued");
    Ok(accepted(queued))
}

/// The types to backfill: those asked for, which the plugin must subscribe to, else its
/// subscriptions (`None`: every type, for a plugin subscribed to `*`).
fn backfill_types(
    plugin: &str,
    asked: Option<Vec<String>>,
    subscriptions: &Subscriptions,
) -> Result<Option<Vec<String>>, Problem> {
    let invalid = |detail: String| Problem::new(ProblemKind::InvalidBody, detail);
    match (asked, subscriptions) {
        (None, Subscriptions::All) => Ok(None),
        (None, Subscriptions::Only(types)) => Ok(Some(types.clone())),
        (Some(types), _) if types.is_empty() => Err(invalid(
            "event_types is empty; leave it out to backfill every type the plugin subscribes to"
                .to_owned(),
        )),
        (Some(types), subscriptions) => {
            let foreign: Vec<&str> = types
                .iter()
                .filter(|name| !subscriptions.matches(name))
                .map(String::as_str)
                .collect();
            if foreign.is_empty() {
                Ok(Some(types))
            } else {
                Err(invalid(format!(
                    "plugin `{plugin}` does not subscribe to {}; it would not handle them",
                    foreign.join(", ")
                )))
            }
        }
    }
}
