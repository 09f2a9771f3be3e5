//! Pausing and resuming a plugin: `POST /api/v1/plugins/{name}/pause` and `.../resume`.
//!
//! A paused plugin keeps receiving deliveries, which wait, `pending` and in order, until it is
//! resumed; nothing is attempted or dead-lettered meanwhile. The state is kept in the store, for
//! every host on it and across restarts.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use smartreach_store::PluginControl;

use super::replay::plugin_name;
use crate::problem::Problem;
use crate::state::App;

/// Pauses a plugin: none of its deliveries start until it is resumed; they wait, pending.
#[utoipa::path(
    post, path = "/api/v1/plugins/{name}/pause", tag = "plugins", operation_id = "pause_plugin",
    params(("name" = String, Path, description = "Plugin name (loaded or not)",
        pattern = "^[A-Za-z0-9_-]+$")),
    responses(
        (status = 200, description = "Paused (pausing again keeps `paused_since`)",
            body = PluginControl, links(
            ("resume_plugin" = (operation_id = "resume_plugin",
                parameters(("name" = "$response.body#/plugin")),
                description = "Resume it")),
        )),
    ),
    security(("admin_token" = []))
)]
pub async fn pause(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<PluginControl>, Problem> {
    set_paused(&app, name, true).await.map(Json)
}

/// Resumes a paused plugin, and ends a hold (its circuit breaker's or its upstream's): its
/// waiting deliveries run, in order.
#[utoipa::path(
    post, path = "/api/v1/plugins/{name}/resume", tag = "plugins", operation_id = "resume_plugin",
    params(("name" = String, Path, description = "Plugin name (loaded or not)",
        pattern = "^[A-Za-z0-9_-]+$")),
    responses(
        (status = 200, description = "Running (resuming a running plugin changes nothing)",
            body = PluginControl),
    ),
    security(("admin_token" = []))
)]
pub async fn resume(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<PluginControl>, Problem> {
    set_paused(&app, name, false).await.map(Json)
}

/// Pauses (`paused`) or resumes plugin `name`: the one way to, for the admin API and the console.
pub(crate) async fn set_paused(
    app: &App,
    name: String,
    paused: bool,
) -> Result<PluginControl, Problem> {
    let name = plugin_name(name)?;
    let control = app.controls.set_paused(&*app.store, &name, paused).await?;
    // The dispatcher hands back what it claimed ahead (pause), or claims again (resume).
    app.wake.notify_one();
    if paused {
        tracing::info!(plugin = %name, "plugin paused: its deliveries wait until it is resumed");
    } else {
        tracing::info!(plugin = %name, "plugin resumed: its waiting deliveries run in order");
    }
    Ok(control)
}
