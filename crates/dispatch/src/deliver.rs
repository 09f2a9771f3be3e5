//! One attempt of one delivery: run the plugin, log what it said, record the outcome.

use std::sync::Arc;
use std::time::{Duration, Instant};

use smartreach_metrics::Metrics;
use smartreach_plugin_runtime::{LogLevel, Outcome, Plugin, PluginEvent};
use smartreach_store::{AttemptOutcome, AttemptRecord, Claimed, Next, Store, Timestamp, now_ms};

use super::RetrySchedule;
use super::retry::After;
use crate::breaker::Change;
use crate::controls::{BREAKER_HOLD, Controls, MAX_UPSTREAM_HOLD};

/// What every delivery task shares with the dispatcher.
pub(super) struct Context {
    /// Where attempts are recorded.
    pub(super) store: Arc<dyn Store>,
    /// This host's name on its claims.
    pub(super) owner: Arc<str>,
    /// What happens after a failed attempt.
    pub(super) schedule: Arc<RetrySchedule>,
    /// Where outcomes are counted.
    pub(super) metrics: Arc<Metrics>,
    /// Where a plugin is held back when its upstream asks to wait.
    pub(super) controls: Arc<Controls>,
}

/// Runs `delivery` on `plugin` and records the attempt for the context's owner.
pub(super) async fn deliver(context: Context, plugin: Arc<Plugin>, delivery: Claimed) {
    let Context {
        store,
        owner,
        schedule,
        metrics,
        controls,
    } = context;
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
    let now = now_ms();
    let after = schedule.next(&invocation.outcome, attempt, now);
    let (outcome, detail) = describe(&invocation.outcome);
    let next = match after {
        After::Record(next) => next,
        After::Requeue { at } => {
            metrics.delivery_finished(plugin.name(), "requeued", invocation.duration);
            tracing::info!(
                outcome = outcome.as_str(),
                detail = detail.as_deref().unwrap_or(""),
                duration_us = invocation.duration.as_micros() as u64,
                next = ?after,
                "delivery attempt finished"
            );
            requeue(&store, &owner, delivery.delivery_id, at, now).await;
            return;
        }
    };
    if let Outcome::Retry {
        reason,
        delay: Some(delay),
    } = &invocation.outcome
    {
        hold_plugin(&store, &controls, &plugin, *delay, reason, now).await;
    }
    let failed = matches!(
        invocation.outcome,
        Outcome::Retry { .. } | Outcome::Fault(_)
    );
    if let Some(change) = controls.attempted(plugin.name(), failed, now) {
        breaker_changed(&store, &controls, &metrics, &plugin, change).await;
    }
    metrics.delivery_finished(plugin.name(), outcome.as_str(), invocation.duration);
    tracing::info!(
        outcome = outcome.as_str(),
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
    match store.complete(&owner, record, now_ms()).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "the delivery was taken over by another claim while it ran (this host could not renew its lease before it ended: was the store unreachable?); the other claim records it"
        ),
        Err(err) => tracing::error!(
            error = %err,
            "cannot record the attempt; the delivery stays claimed and runs again when its lease expires"
        ),
    }
}

/// The plugin asked to be retried after `delay` (its upstream answered 429 or 503 with
/// `Retry-After`, say): all of its deliveries wait that long (at most [`MAX_UPSTREAM_HOLD`]), on
/// every host, not just this one.
async fn hold_plugin(
    store: &Arc<dyn Store>,
    controls: &Controls,
    plugin: &Plugin,
    delay: Duration,
    reason: &str,
    now: Timestamp,
) {
    let held = delay.min(MAX_UPSTREAM_HOLD);
    let until = now + i64::try_from(held.as_millis()).unwrap_or(i64::MAX);
    let because = format!(
        "its upstream asked to wait {} ms: {reason}",
        held.as_millis()
    );
    tracing::info!(
        until,
        delay_ms = held.as_millis() as u64,
        "plugin held back: its upstream asked to wait; its other deliveries wait too"
    );
    if let Err(err) = controls.hold(&**store, plugin.name(), until, because).await {
        tracing::error!(
            error = %err,
            "cannot hold the plugin back; only this delivery waits for its retry"
        );
    }
}

/// The plugin's circuit breaker opened (hold it back, on every host), or closed.
async fn breaker_changed(
    store: &Arc<dyn Store>,
    controls: &Controls,
    metrics: &Metrics,
    plugin: &Plugin,
    change: Change,
) {
    let (until, because) = match change {
        Change::Closed => {
            metrics.breaker_changed(plugin.name(), "closed");
            tracing::info!("circuit breaker closed: the probe succeeded, the plugin runs again");
            return;
        }
        Change::Opened { failures, until } => {
            tracing::warn!(
                failures,
                until,
                "circuit breaker opened: the plugin is held back, its deliveries wait; one \
                 delivery probes it when the back-off ends"
            );
            (
                until,
                format!("{BREAKER_HOLD}: {failures} failed attempts in a row"),
            )
        }
        Change::Reopened { until } => {
            tracing::warn!(until, "circuit breaker opened again: the probe failed");
            (until, format!("{BREAKER_HOLD}: the probe failed"))
        }
    };
    metrics.breaker_changed(plugin.name(), "open");
    if let Err(err) = controls.hold(&**store, plugin.name(), until, because).await {
        tracing::error!(
            error = %err,
            "cannot hold the plugin back in the store; this host claims nothing of it until \
             the back-off ends, the others go on"
        );
    }
}

/// A delivery that did not run (no free instance slot): pending again at `at`, no attempt.
async fn requeue(
    store: &Arc<dyn Store>,
    owner: &str,
    delivery_id: i64,
    at: Timestamp,
    now: Timestamp,
) {
    match store.requeue(owner, vec![delivery_id], at, now).await {
        Ok(_) => {}
        Err(err) => tracing::error!(
            error = %err,
            "cannot requeue the delivery; it is claimed again when its lease expires"
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
        outcome: AttemptOutcome::Fault,
        detail: Some(error.clone()),
        logs: "[]".to_owned(),
        requests: "[]".to_owned(),
        next: Next::Dead { error },
    };
    if let Err(err) = store.complete(owner, record, now_ms()).await {
        tracing::error!(error = %err, "cannot dead-letter the delivery");
    }
}

/// The attempt's outcome in the store, and its reason.
fn describe(outcome: &Outcome) -> (AttemptOutcome, Option<String>) {
    match outcome {
        Outcome::Done => (AttemptOutcome::Done, None),
        Outcome::Skipped { reason } => (AttemptOutcome::Skipped, Some(reason.clone())),
        Outcome::Retry { reason, .. } => (AttemptOutcome::Retry, Some(reason.clone())),
        Outcome::Failed { reason } => (AttemptOutcome::Failed, Some(reason.clone())),
        Outcome::Fault(fault) => (AttemptOutcome::Fault, Some(fault.to_string())),
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
