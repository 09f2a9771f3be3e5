//! `GET /api/v1/plugins`: what is loaded, and what the store holds for each plugin.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use smartreach_plugin_runtime::{Limits, Plugin, RatePeriod, Subscriptions};
use smartreach_store::{LastError, StatusCounts, now_ms};
use utoipa::ToSchema;

use crate::problem::Problem;
use crate::state::App;

/// One plugin: loaded, or known only from its deliveries (removed from the folder).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PluginInfo {
    /// Its name (the file stem).
    pub name: String,
    /// Whether a version of it is loaded now.
    pub loaded: bool,
    /// SHA-256 of the loaded `.wasm`.
    pub content_hash: Option<String>,
    /// What it says it does.
    pub description: Option<String>,
    /// The event types it receives (`*` for all).
    pub subscriptions: Vec<String>,
    /// Its effective limits.
    pub limits: Option<LimitsView>,
    /// The hosts it may call.
    pub allowed_outbound_hosts: Vec<String>,
    /// The names of the configuration values its manifest hands it (never the values, which may
    /// be secrets).
    #[serde(default)]
    pub config_keys: Vec<String>,
    /// Its deliveries by status (`dead`: dead letters not yet replayed).
    pub delivery_counts: StatusCounts,
    /// Its most recent unsuccessful attempt.
    pub last_error: Option<LastError>,
    /// The last load of its files, if it failed (cleared when a load succeeds); `loaded` and
    /// `content_hash` then tell the version that stays active, if any.
    pub load_error: Option<LoadErrorView>,
    /// Its files are being loaded in the background (a big component compiles for seconds):
    /// its deliveries wait, pending, until the load ends. A plugin compiling a new version keeps
    /// running the loaded one meanwhile (`loaded` and `content_hash` tell it).
    pub compiling: Option<CompilingView>,
    /// When an operator paused it (Unix ms; `POST /api/v1/plugins/{name}/pause`), or null while
    /// it runs. A paused plugin's deliveries wait, `pending` (counted above), until it is resumed.
    pub paused_since: Option<i64>,
    /// Until when its deliveries are held back (Unix ms): its upstream asked to wait, or its
    /// circuit breaker opened (`held_because` says which); null when they are not.
    pub held_until: Option<i64>,
    /// Why its deliveries are held back, with `held_until`.
    pub held_because: Option<String>,
}

/// A load of a plugin's files under way.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompilingView {
    /// The `.wasm` being loaded.
    pub file: String,
    /// When its load started (Unix ms).
    pub since: i64,
}

/// A failed load of a plugin's `.wasm` or manifest.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoadErrorView {
    /// The `.wasm` whose load failed (its manifest is `NAME.toml` beside it).
    pub file: String,
    /// What is wrong.
    pub message: String,
    /// When (Unix ms).
    pub at: i64,
    /// SHA-256 of the version that stays active, or null when none is.
    pub active_hash: Option<String>,
}

/// A plugin's effective limits.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LimitsView {
    /// Deadline of one invocation.
    pub timeout_ms: u64,
    /// Linear-memory cap.
    pub memory_mib: u64,
    /// Timeout of one outbound request.
    pub http_timeout_ms: u64,
    /// Largest outbound response body read.
    pub max_response_bytes: u64,
    /// Invocations at once.
    pub max_concurrency: u32,
    /// Deliveries that may start per period (`limits.rate`), across every host; null: no limit.
    pub rate: Option<RateView>,
}

/// A plugin's rate limit: `count` deliveries per `per`, in bursts of up to `burst`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RateView {
    /// Deliveries per period.
    pub count: u32,
    /// `second` or `minute`.
    pub per: String,
    /// Deliveries that may start at once after a quiet spell.
    pub burst: u32,
}

impl LimitsView {
    /// The view of a plugin's effective limits.
    pub fn of(limits: &Limits) -> Self {
        Self {
            timeout_ms: limits.timeout.as_millis() as u64,
            memory_mib: limits.memory_bytes / (1024 * 1024),
            http_timeout_ms: limits.http_timeout.as_millis() as u64,
            max_response_bytes: limits.max_response_bytes,
            max_concurrency: limits.max_concurrency,
            rate: limits.rate.map(|rate| RateView {
                count: rate.count.get(),
                per: match rate.per {
                    RatePeriod::Second => "second",
                    RatePeriod::Minute => "minute",
                }
                .to_owned(),
                burst: rate.burst(),
            }),
        }
    }
}

/// The plugins.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PluginList {
    /// By name.
    pub items: Vec<PluginInfo>,
}

/// Lists plugins: the loaded ones and those that only have deliveries.
#[utoipa::path(
    get, path = "/api/v1/plugins", tag = "plugins", operation_id = "list_plugins",
    responses(
        (status = 200, description = "Every plugin", body = PluginList, links(
            ("replay_dead" = (operation_id = "replay_dead",
                parameters(("name" = "$response.body#/items/0/name")),
                description = "Replay the dead letters of the first plugin")),
            ("backfill" = (operation_id = "backfill",
                parameters(("name" = "$response.body#/items/0/name")),
                request_body = json!({ "since": 0 }),
                description = "Backfill the first plugin over every stored event")),
        )),
    ),
    security(("admin_token" = []))
)]
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<PluginList>, Problem> {
    plugin_list(&app).await.map(Json)
}

/// Every plugin, loaded or known from its deliveries or a failed load, by name: the read behind
/// the API's list and the console's plugin page.
pub(crate) async fn plugin_list(app: &App) -> Result<PluginList, Problem> {
    let activity = app.store.plugin_activity().await?;
    let controls = app.store.plugin_controls(now_ms()).await?;
    let loaded = app.registry.snapshot();
    let mut by_name: BTreeMap<String, PluginInfo> = loaded
        .iter()
        .map(|plugin| (plugin.name().to_owned(), loaded_info(plugin)))
        .collect();
    for plugin in activity {
        let info = by_name
            .entry(plugin.plugin.clone())
            .or_insert_with(|| unloaded_info(plugin.plugin.clone()));
        info.delivery_counts = plugin.deliveries;
        info.last_error = plugin.last_error;
    }
    for (name, failure) in app.registry.failures() {
        let info = by_name
            .entry(name.clone())
            .or_insert_with(|| unloaded_info(name));
        info.load_error = Some(LoadErrorView {
            file: failure.file,
            message: failure.message,
            at: failure.at,
            active_hash: info.content_hash.clone(),
        });
    }
    for (name, compiling) in loaded.compiling() {
        let info = by_name
            .entry(name.clone())
            .or_insert_with(|| unloaded_info(name.clone()));
        if !info.loaded {
            // What it will receive, when known before it is compiled.
            if let Some(subscriptions) = &compiling.subscriptions {
                info.subscriptions = subscription_names(subscriptions);
            }
        }
        info.compiling = Some(CompilingView {
            file: compiling.file.clone(),
            since: compiling.since,
        });
    }
    for control in controls {
        let info = by_name
            .entry(control.plugin.clone())
            .or_insert_with(|| unloaded_info(control.plugin));
        info.paused_since = control.paused_since;
        info.held_until = control.held_until;
        info.held_because = control.held_because;
    }
    Ok(PluginList {
        items: by_name.into_values().collect(),
    })
}

/// A plugin with no version loaded: known from its deliveries or a failed load.
fn unloaded_info(name: String) -> PluginInfo {
    PluginInfo {
        name,
        loaded: false,
        content_hash: None,
        description: None,
        subscriptions: Vec::new(),
        limits: None,
        allowed_outbound_hosts: Vec::new(),
        config_keys: Vec::new(),
        delivery_counts: StatusCounts::default(),
        last_error: None,
        load_error: None,
        compiling: None,
        paused_since: None,
        held_until: None,
        held_because: None,
    }
}

fn loaded_info(plugin: &Plugin) -> PluginInfo {
    let limits = plugin.limits();
    PluginInfo {
        name: plugin.name().to_owned(),
        loaded: true,
        content_hash: Some(plugin.content_hash().to_owned()),
        description: Some(plugin.declaration().description.clone()),
        subscriptions: subscription_names(plugin.subscriptions()),
        limits: Some(LimitsView::of(limits)),
        allowed_outbound_hosts: plugin.allowed_outbound_hosts(),
        config_keys: plugin
            .config_keys()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        delivery_counts: StatusCounts::default(),
        last_error: None,
        load_error: None,
        compiling: None,
        paused_since: None,
        held_until: None,
        held_because: None,
    }
}

/// Subscriptions as the API lists them: `*` for all.
fn subscription_names(subscriptions: &Subscriptions) -> Vec<String> {
    match subscriptions {
        Subscriptions::All => vec!["*".to_owned()],
        Subscriptions::Only(types) => types.clone(),
    }
}
