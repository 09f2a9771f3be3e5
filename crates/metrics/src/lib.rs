//! smartreach-metrics: the host's Prometheus metrics, what ingest (in the HTTP host) and
//! dispatch count as they go, and the text exposition (format 0.0.4) that the HTTP host's
//! `GET /metrics` answers with. It needs only the models' list of event types, so it sits below
//! both.
//!
//! ```text
//! ingest   ─ webhook_received, webhook_duplicate, ingest_rejected, ingest_latency ─┐
//! dispatch ─ delivery_finished ─────────────────────────────────────────────────────┴─> Metrics
//! scrape   ─ the store's QueueSnapshot ─> Metrics::render ─> text
//! ```
//!
//! Counters and histograms live in this process and start at zero with it (Prometheus handles the
//! reset). The queue gauges are not kept here: the store knows them, across restarts and across
//! hosts sharing it, so they are read from it at scrape time and passed in as a [`QueueSnapshot`].
//!
//! The update methods run on every webhook and every delivery. Each costs a read lock and one or
//! two relaxed atomic additions, without allocating; `family.rs` says why that shape.

mod counter;
mod event_type;
mod family;
mod histogram;
#[cfg(test)]
mod tests;
mod text;

use std::collections::BTreeMap;
use std::time::Duration;

use counter::Counter;
use event_type::EventTypeLabels;
use histogram::Histogram;
use text::Kind;

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of the ingest duration, in seconds: a stored webhook is a parse and a group-committed
/// write, normally a few milliseconds; a second means the store is struggling.
const INGEST_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];

/// Buckets of a plugin invocation, in seconds: from a wasm function that returns at once (0.1 ms)
/// to outbound HTTP calls near the host's 10 s request timeout.
const PLUGIN_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Every metric of the host. Shared as `Arc<Metrics>`; every method takes `&self`.
pub struct Metrics {
    received: Counter<2>,
    event_types: EventTypeLabels,
    duplicate: Counter<1>,
    rejected: Counter<1>,
    ingest_duration: Histogram<0>,
    deliveries: Counter<2>,
    plugin_duration: Histogram<1>,
    breaker: Counter<2>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            received: Counter::new(
                "smartreach_hooks_webhooks_received_total",
                "Webhooks stored, by source and event type (redeliveries are counted apart).",
                ["source", "event_type"],
            ),
            event_types: EventTypeLabels::default(),
            duplicate: Counter::new(
                "smartreach_hooks_webhooks_duplicate_total",
                "Redeliveries of a stored webhook: acknowledged, not processed again.",
                ["source"],
            ),
            rejected: Counter::new(
                "smartreach_hooks_ingest_rejected_total",
                "Webhook requests rejected, by problem type.",
                ["reason"],
            ),
            ingest_duration: Histogram::new(
                "smartreach_hooks_ingest_duration_seconds",
                "Time from receiving a webhook request to answering it, for stored webhooks.",
                [],
                INGEST_BUCKETS,
            ),
            deliveries: Counter::new(
                "smartreach_hooks_deliveries_total",
                "Delivery attempts finished, by plugin and outcome.",
                ["plugin", "outcome"],
            ),
            plugin_duration: Histogram::new(
                "smartreach_hooks_plugin_duration_seconds",
                "Duration of a delivery attempt (one plugin invocation), by plugin.",
                ["plugin"],
                PLUGIN_BUCKETS,
            ),
            breaker: Counter::new(
                "smartreach_hooks_breaker_changes_total",
                "Circuit breakers of plugins that opened or closed on this host, by plugin and \
                 the state they went to (`open`, `closed`).",
                ["plugin", "state"],
            ),
        }
    }
}

impl Metrics {
    /// Counts a webhook from `source` of `event_type`: one per webhook, not per event in it.
    /// Undocumented types past the bounds of [`event_type`] count as [`event_type::OTHER`].
    pub fn webhook_received(&self, source: &str, event_type: &str) {
        self.received
            .inc([source, self.event_types.label(event_type)]);
    }

    /// Counts a redelivery from `source` of a webhook already stored.
    pub fn webhook_duplicate(&self, source: &str) {
        self.duplicate.inc([source]);
    }

    /// Counts a rejected webhook request; `reason` is the problem's slug (`unknown-token`,
    /// `invalid-signature`, ...).
    pub fn ingest_rejected(&self, reason: &str) {
        self.rejected.inc([reason]);
    }

    /// Records how long a stored webhook took from request to answer.
    pub fn ingest_latency(&self, elapsed: Duration) {
        self.ingest_duration.observe([], elapsed);
    }

    /// Counts a finished delivery attempt of `plugin` with `outcome` (`done`, `skipped`, `retry`,
    /// `failed`, `fault`) and records how long it ran.
    pub fn delivery_finished(&self, plugin: &str, outcome: &str, elapsed: Duration) {
        self.deliveries.inc([plugin, outcome]);
        self.plugin_duration.observe([plugin], elapsed);
    }

    /// Counts `plugin`'s circuit breaker going to `state` (`open` or `closed`).
    pub fn breaker_changed(&self, plugin: &str, state: &str) {
        self.breaker.inc([plugin, state]);
    }

    /// Every metric in the text exposition format 0.0.4 ([`CONTENT_TYPE`]): the counters and
    /// histograms of this process, and the gauges of `queue`.
    ///
    /// The output depends only on the counts: families come sorted by name and the series of a
    /// family by label values. Every family has its `# HELP` and `# TYPE` lines, even with no
    /// series yet.
    pub fn render(&self, queue: &QueueSnapshot) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // The snapshot may list a plugin twice or out of order; one series per plugin, sorted.
        let mut by_plugin: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
        let mut waiting: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for entry in &queue.by_plugin {
            let counts = by_plugin.entry(&entry.plugin).or_default();
            counts[0] += entry.pending;
            counts[1] += entry.running;
            counts[2] += entry.dead;
            if let Some(reason) = entry.waiting_on {
                *waiting.entry((&entry.plugin, reason)).or_default() += entry.pending;
            }
        }
        let per_plugin = |out: &mut String, name: &str, help: &str, column: usize| {
            text::header(out, name, Kind::Gauge, help);
            for (plugin, counts) in &by_plugin {
                text::sample(out, name, [("plugin", *plugin)], counts[column]);
            }
        };

        // In the order of the names.
        self.breaker.render(&mut out);
        per_plugin(
            &mut out,
            "smartreach_hooks_dead_letters",
            "Deliveries that ran out of attempts (dead), by plugin.",
            2,
        );
        per_plugin(
            &mut out,
            "smartreach_hooks_deliveries_running",
            "Deliveries claimed and running now, by plugin.",
            1,
        );
        self.deliveries.render(&mut out);
        let name = "smartreach_hooks_deliveries_waiting";
        text::header(
            &mut out,
            name,
            Kind::Gauge,
            "Pending deliveries held back by a control, by plugin and what they wait on: pause, \
             breaker, upstream (Retry-After) or rate (a plugin with a rate limit: all its pending).",
        );
        for ((plugin, reason), pending) in &waiting {
            text::sample(
                &mut out,
                name,
                [("plugin", *plugin), ("reason", *reason)],
                *pending,
            );
        }
        self.ingest_duration.render(&mut out);
        self.rejected.render(&mut out);
        let oldest = "smartreach_hooks_oldest_pending_age_seconds";
        text::header(
            &mut out,
            oldest,
            Kind::Gauge,
            "Age in seconds of the oldest pending delivery that is due; 0 when none is.",
        );
        let age = queue.oldest_pending_age.unwrap_or_default().as_secs_f64();
        text::sample(&mut out, oldest, [], age);
        self.plugin_duration.render(&mut out);
        let loaded = "smartreach_hooks_plugins_loaded";
        text::header(&mut out, loaded, Kind::Gauge, "Plugins loaded now.");
        text::sample(&mut out, loaded, [], queue.plugins_loaded);
        per_plugin(
            &mut out,
            "smartreach_hooks_queue_depth",
            "Deliveries waiting to run, by plugin.",
            0,
        );
        self.duplicate.render(&mut out);
        self.received.render(&mut out);
        out
    }
}

/// The state of the delivery queue at one moment, read from the store for a scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSnapshot {
    /// One entry per plugin that has deliveries, in any order.
    pub by_plugin: Vec<PluginQueue>,
    /// How long the oldest due pending delivery has been due; `None` when none is.
    pub oldest_pending_age: Option<Duration>,
    /// How many plugins are loaded.
    pub plugins_loaded: usize,
}

/// The deliveries of one plugin, by status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginQueue {
    /// The plugin's name.
    pub plugin: String,
    /// Waiting to run.
    pub pending: u64,
    /// Claimed by a host and running.
    pub running: u64,
    /// Out of attempts.
    pub dead: u64,
    /// What its pending deliveries wait on besides their time, when a control holds them:
    /// `pause` (paused by an operator), `breaker` (its circuit breaker is open), `upstream` (its
    /// upstream asked to wait) or `rate` (it has a rate limit).
    pub waiting_on: Option<&'static str>,
}
