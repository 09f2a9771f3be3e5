//! Retention in the background: every `retention.interval`, delete what is older than
//! `retention.max_age` and finished (see [`smartreach_store::Store::prune`]).

use std::sync::Arc;
use std::time::Duration;

use smartreach_store::Store;

use crate::clock::now_ms;
use crate::shutdown::Shutdown;

/// Prunes every `interval` until `shutdown`; the first run is one interval after start.
pub async fn run(store: Arc<dyn Store>, max_age: Duration, interval: Duration, shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait() => return,
        }
        let before = now_ms() - max_age.as_millis() as i64;
        match store.prune(before).await {
            Ok(pruned) if pruned.webhooks > 0 || pruned.attempts > 0 => tracing::info!(
                webhooks = pruned.webhooks,
                events = pruned.events,
                attempts = pruned.attempts,
                "retention: pruned what is older than retention.max_age and finished"
            ),
            Ok(_) => {}
            Err(err) => {
                tracing::error!(error = %err, "retention: pruning failed; trying again next interval")
            }
        }
    }
}
