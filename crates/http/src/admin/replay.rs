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

use super::ids::PLUGIN_NAME_PATTERN;
use super::unix_ms;
use crate::problem::{Problem, ProblemKind};
use crate::state::App;
use smartreach_dispatch::plugins::is_plugin_name;

fn accepted(queued: Queued) -> (StatusCode, Json<Queued>) {
    (StatusCode::ACCEPTED, Json(queued))
}

/// Replays one finished delivery (done, skipped or dead) as a new delivery.
#[utoipa::path(
    post, path = "/api/v1/deliveries/{id}/replay", tag = "replay", operation_id = "replay_delivery",
    params(("id" = i64, Path, description = "Delivery id", minimum = 1)),
    responses(
        (status = 202, description = "Queued: the new delivery's id", body = Queued, links(
            ("replay_delivery" = (operation_id = "replay_delivery",
                parameters(("id" = "$response.body#/deliveries/0")),
                description = "Replay the replay: refused (409) until it has finished")),
        )),
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
    replay_delivery(&app, id).await.map(accepted)
}

/// Replays delivery `id`: the action behind the API's and the console's replay.
pub(crate) async fn replay_delivery(app: &App, id: i64) -> Result<Queued, Problem> {
    match app.store.replay(id, now_ms()).await? {
        Ok(new_id) => {
            app.wake.notify_one();
            tracing::info!(delivery = id, replay = new_id, "delivery replayed");
            Ok(Queued {
                count: 1,
                deliveries: vec![new_id],
            })
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
    post, path = "/api/v1/plugins/{name}/replay-dead", tag = "replay", operation_id = "replay_dead",
    params(("name" = String, Path, description = "Plugin name", pattern = "^[A-Za-z0-9_-]+$")),
    responses(
        (status = 202, description = "Queued: one new delivery per dead letter (none when it has none)",
            body = Queued),
    ),
    security(("admin_token" = []))
)]
pub async fn dead(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Queued>), Problem> {
    replay_dead_letters(&app, name).await.map(accepted)
}

/// Replays every dead letter of plugin `name`: the action behind the API's and the console's.
pub(crate) async fn replay_dead_letters(app: &App, name: String) -> Result<Queued, Problem> {
    let name = plugin_name(name)?;
    let queued = app.store.replay_dead(name.clone(), now_ms()).await?;
    app.wake.notify_one();
    tracing::info!(plugin = %name, count = queued.count, "dead letters replayed");
    Ok(queued)
}

/// What to backfill. Any other member is refused (400).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BackfillRequest {
    /// Event types, each one the plugin subscribes to; default: its subscriptions.
    #[serde(default)]
    #[schema(min_items = 1)]
    event_types: Option<Vec<String>>,
    /// Events received at or after (Unix ms).
    #[serde(deserialize_with = "unix_ms::required")]
    #[schema(minimum = 0, maximum = 253_402_300_799_999_i64)]
    since: i64,
    /// Events received before (Unix ms); default: now.
    #[serde(default, deserialize_with = "unix_ms::optional")]
    #[schema(minimum = 0, maximum = 253_402_300_799_999_i64)]
    until: Option<i64>,
}

/// Runs a loaded plugin over stored events: one new delivery per matching event it has none of.
#[utoipa::path(
    post, path = "/api/v1/plugins/{name}/backfill", tag = "replay", operation_id = "backfill",
    params(("name" = String, Path, description = "Plugin name", pattern = "^[A-Za-z0-9_-]+$")),
    request_body = BackfillRequest,
    responses(
        (status = 202, description = "Queued", body = Queued),
    ),
    security(("admin_token" = []))
)]
pub async fn backfill(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Result<Json<BackfillRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Queued>), Problem> {
    let Json(request) = body.map_err(Problem::from)?;
    backfill_plugin(
        &app,
        name,
        request.event_types,
        request.since,
        request.until,
    )
    .await
    .map(accepted)
}

/// Queues a backfill of plugin `name` over the events of `event_types` (default: its
/// subscriptions) received in `[since, until)` (default until: now): the action behind the API's
/// and the console's backfill.
pub(crate) async fn backfill_plugin(
    app: &App,
    name: String,
    event_types: Option<Vec<String>>,
    since: i64,
    until: Option<i64>,
) -> Result<Queued, Problem> {
    let name = plugin_name(name)?;
    let Some(plugin) = app.registry.snapshot().get(&name).cloned() else {
        return Err(Problem::new(
            ProblemKind::PluginNotLoaded,
            format!("no plugin `{name}` is loaded; add {name}.wasm to the plugin folder first"),
        ));
    };
    let event_types = backfill_types(&name, event_types, plugin.subscriptions())?;
    let now = now_ms();
    let queued = app
        .store
        .backfill(
            name.clone(),
            event_types,
            since,
            until.unwrap_or(now + 1),
            now,
        )
        .await?;
    app.wake.notify_one();
    tracing::info!(plugin = %name, count = queued.count, "backfill queued");
    Ok(queued)
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
                // The body is well formed; the plugin's subscriptions (which a reload may
                // change) refuse it.
                Err(Problem::new(
                    ProblemKind::NotSubscribed,
                    format!(
                        "plugin `{plugin}` does not subscribe to {}; it would not handle them",
                        foreign.join(", ")
                    ),
                ))
            }
        }
    }
}

/// The `{name}` of a plugin route, refused (400 `invalid-path`) unless it can be a plugin's name.
pub(super) fn plugin_name(name: String) -> Result<String, Problem> {
    if is_plugin_name(&name) {
        return Ok(name);
    }
    Err(Problem::new(
        ProblemKind::InvalidPath,
        format!("`{name}` is not a plugin name ({PLUGIN_NAME_PATTERN}), as in the plugin folder"),
    ))
}
