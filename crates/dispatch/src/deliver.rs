//! One attempt of one delivery: run the plugin, log what it said, record the outcome.

use std::sync::Arc;
use std::time::Instant;

use smartreach_metrics::Metrics;
use smartreach_plugin_runtime::{LogLevel, Outcome, Plugin, PluginEvent};
use smartreach_store::{AttemptRecord, Claimed, Next, Store, now_ms};

use super::RetrySchedule;

/// Runs `delivery` on `plugin` and records the attempt for `owner`.
pub(super) async fn deliver(
    store: Arc<dyn Store>,
    owner: Arc<str>,
    schedule: Arc<RetrySchedule>,
    metrics: Arc<Metrics>,
    plugin: Arc<Plugin>,
    delivery: Claimed,
) {
    let attempt = delivery.attempts + 1;
    if attempt > schedule.max_attempts() {
        give_up_interrupted(&store, &owner, &plugin, &delivery).await;
        return;
    }
    let event = PluginEvent {
        id: delivery.event_id,
        event_type: delivery.event_type,
        metadata: delivery.metadata,
        item: delivery.item,
        attempt: delivery.attempts,
    };
    let started_at = now_ms();
    let started = Instant::now();
    let invocation = plugin.invoke(&event).await;
    for line in &invocation.logs {
        log_line(line.level, &line.message);
    }
    let next = schedule.next(&invocation.outcome, attempt, now_ms());
    let (outcome, detail) = describe(&invocation.outcome);
    let counted = if matches!(next, Next::Requeue { .. }) {
        "requeued"
    } else {
        outcome
    };
    metrics.delivery_finished(plugin.name(), counted, invocation.duration);
    tracing::info!(
        outcome,
        detail = detail.as_deref().unwrap_or(""),
        duration_us = invocation.duration.as_micros() as u64,
        next = ?next,
        "delivery attempt finished"
    );
    let record = AttemptRecord {
        delivery_id: delivery.delivery_id,
        plugin_hash: plugin.content_hash().to_owned(),
        started_at,
        duration_us: started.elapsed().as_micros() as i64,
        outcome,
        detail,
        logs: serde_json::to_string(&invocation.logs).unwrap_or_else(|_| "[]".to_owned()),
        requests: serde_json::to_string(&invocation.requests).unwrap_or_else(|_| "[]".to_owned()),
        next,
    };
    match store.complete(&owner, record).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "the delivery's lease was taken over while it ran (it ran longer than its lease); the other claim records it"
        ),
        Err(err) => tracing::error!(
            error = %err,
            "cannot record the attempt; the delivery stays claimed and runs again when its lease expires"
        ),
    }
}

/// A delivery whose runs were all interrupted (the host died, or its lease ran out, each time)
/// until its schedule was used up: dead, without running it again, so that it stops blocking its
/// prospect. The event is kept and can be replayed.
async fn give_up_interrupted(
    store: &Arc<dyn Store>,
    owner: &str,
    plugin: &Plugin,
    delivery: &Claimed,
) {
    let error = format!(
        "not run again: {} attempts, the last ones interrupted before they finished (did the host crash on this event?)",
        delivery.attempts
    );
    tracing::error!(%error, "delivery dead-lettered");
    let record = AttemptRecord {
        delivery_id: delivery.delivery_id,
        plugin_hash: plugin.content_hash().to_owned(),
        started_at: now_ms(),
        duration_us: 0,
        outcome: "fault",
        detail: Some(error.clone()),
        logs: "[]".to_owned(),
        requests: "[]".to_owned(),
        next: Next::Dead { error },
    };
    if let Err(err) = store.complete(owner, record).await {
        tracing::error!(error = %err, "cannot dead-letter the delivery");
    }
}

/// The outcome's name in the store, and its reason.
fn describe(outcome: &Outcome) -> (&'static str, Option<String>) {
    match outcome {
        Outcome::Done => ("done", None),
        Outcome::Skipped { reason } => ("skipped", Some(reason.clone())),
        Outcome::Retry { reason, .. } => ("retry", Some(reason.clone())),
        Outcome::Failed { reason } => ("failed", Some(reason.clone())),
        Outcome::Fault(fault) => ("fault", Some(fault.to_string())),
    }
}

/// A plugin's log line, in the host's log, inside the delivery's span.
fn log_line(level: LogLevel, message: &str) {
    match level {
        LogLevel::Trace => tracing::trace!(target: "plugin", "{message}"),
        LogLevel::Debug => tracing::debug!(target: "plugin", "{message}"),
        LogLevel::Info => tracing::info!(target: "plugin", "{message}"),
        LogLevel::Warn => tracing::warn!(target: "plugin", "{message}"),
        LogLevel::Error => tracing::error!(target: "plugin", "{message}"),
    }
}
