//! smartreach-dispatch: the host's work after a webhook is acknowledged. The HTTP host stores
//! each event with one delivery per subscribed plugin; from there this crate takes over:
//!
//! ```text
//! worker  -> claim  -> run plugin -> record outcome            (Dispatcher)
//! folder  -> scan   -> load -> swap the plugin set             (plugins: Registry, Watcher)
//! every retention.interval -> prune what is old and finished   (retention)
//! ```
//!
//! It sees the store only through [`smartreach_store::Store`], runs plugins only through
//! [`smartreach_plugin_runtime`], and stops on the one [`Shutdown`] signal that the HTTP host
//! shares.
//!
//! The workers: claim due deliveries, run each through its plugin, record the outcome.
//!
//! One loop claims; every claimed delivery runs as its own task, at most each plugin's
//! `limits.max_concurrency` at once and `delivery.workers` in all. The loop claims ahead (see
//! [`slots`]): up to twice a plugin's concurrency, again once it holds no more than its
//! concurrency. It claims as soon as a delivery finishes or a webhook arrives, else every
//! `delivery.poll_interval` (for retries coming due). Every third of `delivery.lease` it renews
//! the leases of everything it holds ([`heartbeat`]), so a claim outlives no host that died.
//!
//! A plugin an operator paused, or one held back because its upstream asked to wait
//! ([`Controls`]), is not claimed for, and what was claimed ahead for it goes back to pending
//! unstarted; it waits there, in order, until the plugin is resumed or the hold ends.

mod breaker;
pub mod controls;
mod deliver;
mod heartbeat;
pub mod plugins;
pub mod retention;
mod retry;
mod shutdown;
mod slots;

use std::sync::Arc;
use std::time::Duration;

use smartreach_store::{ClaimRequest, Claimed, Store, now_ms};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::Instrument;

pub use controls::Controls;
pub use retry::RetrySchedule;
pub use shutdown::Shutdown;

use crate::plugins::{PluginSet, Registry};
use heartbeat::Heartbeat;
use slots::Slots;

/// The longest pause between claims while claiming fails (the store is unreachable): the pause
/// grows by `delivery.poll_interval` with each failure up to this.
const MAX_CLAIM_BACKOFF: Duration = Duration::from_secs(5);

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
    pub metrics: Arc<smartreach_metrics::Metrics>,
    /// Deliveries in flight at most.
    pub workers: usize,
    /// How often to look for due deliveries when nothing wakes the loop.
    pub poll_interval: Duration,
    /// How long a claim holds unrenewed before another host may take the delivery over; renewed
    /// every third of it while held.
    pub lease: Duration,
    /// Woken when a webhook was stored.
    pub wake: Arc<Notify>,
    /// How long a shutdown waits for deliveries in flight.
    pub grace: Duration,
    /// Which plugins are paused (shared with the admin API, which pauses and resumes them).
    pub controls: Arc<Controls>,
}

impl Dispatcher {
    /// Runs until `shutdown`, then waits up to the grace period for the deliveries in flight and
    /// returns the rest, with those claimed ahead, to pending.
    pub async fn run(self, shutdown: Shutdown) {
        let mut running: JoinSet<()> = JoinSet::new();
        let mut slots = Slots::default();
        let mut heartbeat = Heartbeat::new(self.lease);
        let mut rotation = 0usize;
        let mut claim_failures = 0u32;
        self.refresh_controls().await;
        while !shutdown.is_triggered() {
            while let Some(done) = running.try_join_next_with_id() {
                slots.finished(done);
            }
            self.renew(&mut heartbeat, &mut slots).await;
            let plugins = self.registry.snapshot();
            self.start_waiting(&plugins, &mut slots, &heartbeat, &mut running)
                .await;
            let requests = self.requests(&plugins, &slots, rotation);
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
                        if claim_failures > 0 {
                            tracing::info!(
                                failures = claim_failures,
                                "claiming deliveries works again"
                            );
                            claim_failures = 0;
                        }
                        claimed_all = claimed.len() as u32 == wanted;
                        for delivery in claimed {
                            let id = delivery.delivery_id;
                            if !slots.claimed(delivery) {
                                tracing::info!(
                                    delivery = id,
                                    "claimed a delivery this host still holds (its attempt was \
                                     being recorded); handed back once the held copy ends"
                                );
                            }
                        }
                        self.start_waiting(&plugins, &mut slots, &heartbeat, &mut running)
                            .await;
                    }
                    Err(err) => {
                        claim_failures = claim_failures.saturating_add(1);
                        // Said on the 1st, 2nd, 4th, 8th... failure in a row: a store down for an
                        // hour is not an hour of errors every few seconds.
                        if claim_failures.is_power_of_two() {
                            tracing::error!(
                                error = %err,
                                failures = claim_failures,
                                retry_in_ms = self.claim_pause(claim_failures).as_millis() as u64,
                                "cannot claim deliveries; trying again"
                            );
                        }
                    }
                }
            }
            if (claimed_all || slots.held() > slots.running()) && !running.is_empty() {
                // More may be due, or claimed deliveries wait: go on once a slot frees up (or a
                // webhook arrives for a plugin that has room).
                tokio::select! {
                    Some(done) = running.join_next_with_id() => slots.finished(done),
                    _ = self.wake.notified() => {}
                    _ = self.until_overdue(&slots, &heartbeat) => {}
                    _ = heartbeat.wait() => {}
                    _ = shutdown.wait() => {}
                }
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                Some(done) = running.join_next_with_id() => slots.finished(done),
                _ = tokio::time::sleep(self.claim_pause(claim_failures)) => {}
                _ = self.until_overdue(&slots, &heartbeat) => {}
                _ = heartbeat.wait() => {}
                _ = shutdown.wait() => {}
            }
        }
        self.drain(running, slots, heartbeat).await;
    }

    /// How long to wait before claiming again after `failures` failed claims in a row: the poll
    /// interval, growing with each failure, at most [`MAX_CLAIM_BACKOFF`].
    fn claim_pause(&self, failures: u32) -> Duration {
        let pause = self.poll_interval.saturating_mul(failures.max(1));
        pause.min(MAX_CLAIM_BACKOFF.max(self.poll_interval))
    }

    /// Sleeps until the first waiting delivery is due to be handed back (forever when none waits).
    async fn until_overdue(&self, slots: &Slots, heartbeat: &Heartbeat) {
        match slots.next_overdue(heartbeat.margin_ms()) {
            Some(at) => {
                let wait = u64::try_from(at - now_ms()).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            None => std::future::pending().await,
        }
    }

    /// Starts claimed deliveries in their plugins' free slots, within the workers. Deliveries
    /// claimed for a plugin that has been unloaded since go back to pending, and so do those
    /// whose lease is about to end unrenewed (the heartbeat could not reach the store).
    async fn start_waiting(
        &self,
        plugins: &PluginSet,
        slots: &mut Slots,
        heartbeat: &Heartbeat,
        running: &mut JoinSet<()>,
    ) {
        self.requeue(slots.take_handed_back()).await;
        let overdue = slots.take_overdue(now_ms(), heartbeat.margin_ms());
        if !overdue.is_empty() {
            tracing::info!(
                deliveries = overdue.len(),
                "claimed deliveries whose leases could not be renewed are about to expire; handed back"
            );
            self.requeue(overdue).await;
        }
        for name in slots.waiting_plugins() {
            let Some(plugin) = plugins.get(&name) else {
                self.requeue(slots.take_waiting(&name)).await;
                continue;
            };
            if self.controls.is_held(&name, now_ms()) {
                let waiting = slots.take_waiting(&name);
                tracing::info!(
                    plugin = %name,
                    deliveries = waiting.len(),
                    "plugin paused or held back: deliveries claimed ahead go back to pending, \
                     unstarted"
                );
                self.requeue(waiting).await;
                continue;
            }
            let concurrency = plugin.limits().max_concurrency;
            while slots.running() < self.workers {
                let Some(delivery) = slots.next_to_start(&name, concurrency) else {
                    break;
                };
                let span = tracing::info_span!(
                    "delivery",
                    plugin = %delivery.plugin,
                    event = %delivery.event_id,
                    attempt = delivery.attempts + 1,
                );
                let delivery_id = delivery.delivery_id;
                let task = deliver::deliver(
                    deliver::Context {
                        store: Arc::clone(&self.store),
                        owner: Arc::clone(&self.owner),
                        schedule: Arc::clone(&self.schedule),
                        metrics: Arc::clone(&self.metrics),
                        controls: Arc::clone(&self.controls),
                    },
                    Arc::clone(plugin),
                    delivery,
                );
                let handle = running.spawn(task.instrument(span));
                slots.started(handle.id(), name.clone(), delivery_id);
            }
        }
    }

    /// Claimed deliveries that will not run here: pending again at once, without an attempt.
    async fn requeue(&self, deliveries: Vec<Claimed>) {
        if deliveries.is_empty() {
            return;
        }
        let ids: Vec<i64> = deliveries
            .iter()
            .map(|delivery| delivery.delivery_id)
            .collect();
        let now = now_ms();
        if let Err(err) = self.store.requeue(&self.owner, ids, now, now).await {
            tracing::error!(
                error = %err,
                deliveries = deliveries.len(),
                "cannot return claimed deliveries to pending; they are claimed again when their leases expire"
            );
        }
    }

    /// What to claim now: for each loaded plugin that is not paused or held back and holds no more than its
    /// concurrency, up to twice that (a plugin with `limits.rate`: its free slots, within its
    /// rate budget, which the store keeps), within twice the workers in all, starting at a
    /// different plugin each round so that none starves the others.
    fn requests(&self, plugins: &PluginSet, slots: &Slots, rotation: usize) -> Vec<ClaimRequest> {
        let workers = u32::try_from(self.workers).unwrap_or(u32::MAX);
        let mut budget = (2 * workers).saturating_sub(slots.held() as u32);
        // Workers not running anything now: what a rate-limited plugin may claim at most.
        let mut idle = workers.saturating_sub(slots.running() as u32);
        let count = plugins.len().max(1);
        let now = now_ms();
        let mut requests = Vec::new();
        for plugin in plugins
            .iter()
            .cycle()
            .skip(rotation % count)
            .take(plugins.len())
            .filter(|plugin| !self.controls.is_held(plugin.name(), now))
        {
            let concurrency = plugin.limits().max_concurrency.min(workers);
            let held = slots.held_of(plugin.name());
            let rate = plugin.limits().rate.as_ref().map(controls::claim_rate);
            let mut limit = match rate {
                // Rate-limited: only what can start now. A delivery claimed ahead would start
                // later than its share of the budget was spent, and several such at once.
                Some(_) => concurrency.saturating_sub(held).min(budget).min(idle),
                None => slots::to_claim(concurrency, held, budget),
            };
            if let Some(probe) = self.controls.breaker_limit(plugin.name(), held, now) {
                limit = limit.min(probe);
            }
            if limit > 0 {
                budget -= limit;
                if rate.is_some() {
                    idle -= limit;
                }
                requests.push(ClaimRequest {
                    plugin: plugin.name().to_owned(),
                    limit,
                    rate,
                });
            }
        }
        requests
    }

    /// Reads which plugins are paused or held back from the store (at start, and with every
    /// heartbeat: what other hosts set). On failure the last copy stays; the store's claim still
    /// takes nothing of a paused or held plugin.
    async fn refresh_controls(&self) {
        if let Err(err) = self.controls.refresh(&*self.store).await {
            tracing::error!(
                error = %err,
                "cannot read which plugins are paused or held back; trying again with the next \
                 heartbeat"
            );
        }
    }

    /// Hands back what waits for a slot, then waits up to the grace period for what runs (renewing
    /// its leases meanwhile, so no other host takes it over), and releases what is left.
    async fn drain(&self, mut running: JoinSet<()>, mut slots: Slots, mut heartbeat: Heartbeat) {
        for plugin in slots.waiting_plugins() {
            self.requeue(slots.take_waiting(&plugin)).await;
        }
        if !running.is_empty() {
            tracing::info!(
                in_flight = running.len(),
                grace_ms = self.grace.as_millis() as u64,
                "waiting for deliveries in flight"
            );
        }
        let waited = tokio::time::timeout(self.grace, async {
            loop {
                tokio::select! {
                    done = running.join_next_with_id() => match done {
                        Some(done) => slots.finished(done),
                        None => break,
                    },
                    _ = heartbeat.wait() => self.renew(&mut heartbeat, &mut slots).await,
                }
            }
        })
        .await;
        if waited.is_err() {
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
        match self.store.release(&self.owner, now_ms()).await {
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
