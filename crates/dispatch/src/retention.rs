//! Retention in the background: at start and every `retention.interval`, delete what is older
//! than `retention.max_age` and finished (see [`smartreach_store::Store::prune`]), one batch per
//! transaction so that ingest never waits long behind it.

use std::sync::Arc;
use std::time::Duration;

use smartreach_store::{Pruned, Store, now_ms};

use crate::Shutdown;

/// Prunes at start and then every `interval`, batch by batch, until `shutdown`.
pub async fn run(store: Arc<dyn Store>, max_age: Duration, interval: Duration, shutdown: Shutdown) {
    // The first tick is immediate: a host restarted more often than the interval still prunes.
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.wait() => return,
        }
        let before = now_ms() - max_age.as_millis() as i64;
        let mut total = Pruned::default();
        loop {
            match store.prune(before).await {
                Ok(batch) => {
                    total.webhooks += batch.webhooks;
                    total.events += batch.events;
                    total.attempts += batch.attempts;
                    if !batch.more || shutdown.is_triggered() {
                        break;
                    }
                }
                Err(err) => {
                    tracing::error!(error = %err, "retention: pruning failed; trying again next interval");
                    break;
                }
            }
        }
        if total.webhooks > 0 || total.attempts > 0 {
            tracing::info!(
                webhooks = total.webhooks,
                events = total.events,
                attempts = total.attempts,
                "retention: pruned what is older than retention.max_age and finished"
            );
        }
    }
}
