//! Workers: claim due deliveries, run each through its plugin, record the outcome.
//!
//! One loop claims; every claimed delivery runs as its own task. The loop claims no more than
//! each plugin's `limits.max_concurrency` minus what of it is running, and no more than
//! `delivery.workers` in all. It claims again as soon as a delivery finishes or a webhook arrives,
//! else every `delivery.poll_interval` (for retries coming due).

mod deliver;
mod retry;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use smartreach_store::{ClaimRequest, Store};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::Instrument;

pub use retry::RetrySchedule;

use crate::clock::now_ms;
use crate::plugins::Registry;
use crate::shutdown::Shutdown;

/// The delivery workers of one host.
pub struct Dispatcher {
    /// Where deliveries are.
    pub store: Arc<dyn Store>,
    /// The plugins to run them on.
    pub registry: Arc<Registry>,
    /// This host's name on its claims.
    pub owner: Arc<str>,
    /// What happens after a failed attempt.
    pub schedule: Arc<RetrySchedule>,
    /// Where outcomes are counted.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Deliveries in flight at most.
    pub workers: usize,
    /// How often to look for due deliveries when nothing wakes the loop.
    pub poll_interval: Duration,
    /// How long a claim holds before another host may take the delivery over.
    pub lease: Duration,
    /// Woken when a webhook was stored.
    pub wake: Arc<Notify>,
    /// How long a shutdown waits for deliveries in flight.
    pub grace: Duration,
}

impl Dispatcher {
    /// Runs until `shutdown`, then waits up to the grace period for the deliveries in flight and
    /// returns the rest to pending.
    pub async fn run(self, shutdown: Shutdown) {
        let mut running: JoinSet<()> = JoinSet::new();
        let mut per_plugin = InFlight::default();
        let mut rotation = 0usize;
        while !shutdown.is_triggered() {
            while let Some(done) = running.try_join_next_with_id() {
                per_plugin.finished(done);
            }
            let (requests, plugins) = self.requests(&per_plugin, running.len(), rotation);
            rotation = rotation.wrapping_add(1);
            let wanted: u32 = requests.iter().map(|request| request.limit).sum();
            let mut claimed_all = false;
            if wanted > 0 {
                let now = now_ms();
                let lease_until = now + self.lease.as_millis() as i64;
                match self
                    .store
                    .claim(&self.owner, now, lease_until, requests)
                    .await
                {
                    Ok(claimed) => {
                        claimed_all = claimed.len() as u32 == wanted;
                        for delivery in claimed {
                            let Some(plugin) = plugins.get(&delivery.plugin).cloned() else {
                                continue;
                            };
                            let span = tracing::info_span!(
                                "delivery",
                                plugin = %delivery.plugin,
                                event = %delivery.event_id,
                                attempt = delivery.attempts + 1,
                            );
                            let name = delivery.plugin.clone();
                            let task = deliver::deliver(
                                Arc::clone(&self.store),
                                Arc::clone(&self.owner),
                                Arc::clone(&self.schedule),
                                Arc::clone(&self.metrics),
                                plugin,
                                delivery,
                            );
                            let handle = running.spawn(task.instrument(span));
                            per_plugin.started(handle.id(), name);
                        }
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "cannot claim deliveries; trying again");
                    }
                }
            }
            if claimed_all {
                // There may be more: claim again once a slot frees up.
                tokio::select! {
                    Some(done) = running.join_next_with_id() => per_plugin.finished(done),
                    _ = shutdown.wait() => {}
                }
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                Some(done) = running.join_next_with_id() => per_plugin.finished(done),
                _ = tokio::time::sleep(self.poll_interval) => {}
                _ = shutdown.wait() => {}
            }
        }
        self.drain(running).await;
    }

    /// What to claim now: each loaded plugin's free slots, within the free workers, starting at a
    /// different plugin each round so that none starves the others.
    fn requests(
        &self,
        per_plugin: &InFlight,
        in_flight: usize,
        rotation: usize,
    ) -> (Vec<ClaimRequest>, Arc<crate::plugins::PluginSet>) {
        let plugins = self.registry.snapshot();
        let mut free_workers = self.workers.saturating_sub(in_flight) as u32;
        let count = plugins.len().max(1);
        let mut requests = Vec::new();
        for plugin in plugins
            .iter()
            .cycle()
            .skip(rotation % count)
            .take(plugins.len())
        {
            let busy = per_plugin.of(plugin.name());
            let limit = plugin
                .limits()
                .max_concurrency
                .saturating_sub(busy)
                .min(free_workers);
            if limit > 0 {
                free_workers -= limit;
                requests.push(ClaimRequest {
                    plugin: plugin.name().to_owned(),
                    limit,
                });
            }
        }
        (requests, plugins)
    }

    async fn drain(&self, mut running: JoinSet<()>) {
        if !running.is_empty() {
            tracing::info!(
                in_flight = running.len(),
                grace_ms = self.grace.as_millis() as u64,
                "waiting for deliveries in flight"
            );
        }
        let waited = tokio::time::timeout(self.grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if waited.is_err() {
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
        match self.store.release(&self.owner).await {
            Ok(0) => {}
            Ok(released) => tracing::info!(
                released,
                "deliveries still running at the end of the grace period go back to pending"
            ),
            Err(err) => tracing::error!(
                error = %err,
                "cannot release claimed deliveries; they run again after the next start"
            ),
        }
    }
}

/// Deliveries running now, by plugin.
#[derive(Default)]
struct InFlight {
    tasks: HashMap<tokio::task::Id, String>,
    per_plugin: HashMap<String, u32>,
}

impl InFlight {
    fn started(&mut self, task: tokio::task::Id, plugin: String) {
        *self.per_plugin.entry(plugin.clone()).or_default() += 1;
        self.tasks.insert(task, plugin);
    }

    fn finished(&mut self, done: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let task = match done {
            Ok((task, ())) => task,
            Err(err) => {
                tracing::error!(error = %err, "a delivery task failed; the delivery runs again after its lease");
                err.id()
            }
        };
        if let Some(plugin) = self.tasks.remove(&task)
            && let Some(count) = self.per_plugin.get_mut(&plugin)
        {
            *count = count.saturating_sub(1);
        }
    }

    fn of(&self, plugin: &str) -> u32 {
        self.per_plugin.get(plugin).copied().unwrap_or(0)
    }
}
