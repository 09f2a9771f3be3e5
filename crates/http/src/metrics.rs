//! `/metrics`: the Prometheus text of [`smartreach_metrics::Metrics`], with the queue gauges read
//! from the store at scrape time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use smartreach_dispatch::controls::BREAKER_HOLD;
use smartreach_metrics::{CONTENT_TYPE, PluginQueue, QueueSnapshot};
use smartreach_store::now_ms;

use crate::problem::Problem;
use crate::state::App;

/// The metrics route: `GET /metrics`.
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/metrics", get(metrics))
}

/// The metrics, with the queue gauges read from the store now. 503 when the store does not
/// answer, rather than gauges that falsely drop to zero.
pub async fn metrics(State(app): State<Arc<App>>) -> Result<Response, Problem> {
    let now = now_ms();
    let stats = app.store.queue_stats(now).await?;
    let plugins = app.registry.snapshot();
    let mut waiting_on: BTreeMap<String, &'static str> = plugins
        .iter()
        .filter(|plugin| plugin.limits().rate.is_some())
        .map(|plugin| (plugin.name().to_owned(), "rate"))
        .collect();
    // A pause or a hold says more than a rate limit.
    for control in app.store.plugin_controls(now).await? {
        let reason = match (&control.paused_since, &control.held_because) {
            (Some(_), _) => "pause",
            (None, Some(because)) if because.starts_with(BREAKER_HOLD) => "breaker",
            (None, _) => "upstream",
        };
        waiting_on.insert(control.plugin, reason);
    }
    // Every loaded plugin has its series, at zero when it has nothing queued (the store lists
    // only plugins with deliveries): a dashboard expects a zero, not a missing series.
    let loaded = plugins.iter().map(|plugin| PluginQueue {
        plugin: plugin.name().to_owned(),
        ..PluginQueue::default()
    });
    let queue = QueueSnapshot {
        by_plugin: stats
            .by_plugin
            .into_iter()
            .map(|(plugin, depth)| PluginQueue {
                waiting_on: waiting_on.get(&plugin).copied(),
                plugin,
                pending: depth.pending,
                running: depth.running,
                dead: depth.dead,
            })
            .chain(loaded)
            .collect(),
        oldest_pending_age: stats
            .oldest_due_since
            .map(|since| Duration::from_millis(now.saturating_sub(since).max(0) as u64)),
        plugins_loaded: plugins.len(),
    };
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        app.metrics.render(&queue),
    )
        .into_response())
}
