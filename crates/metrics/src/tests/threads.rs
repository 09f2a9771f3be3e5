//! Sharing: `Metrics` crosses threads, and increments from many threads all count.

use super::*;

#[test]
fn metrics_are_shared_across_threads() {
    fn shared<T: Send + Sync + Default + 'static>() {}
    shared::<Metrics>();
}

#[test]
fn increments_from_many_threads_all_count() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 5_000;
    let metrics = Metrics::default();
    let sources = ["main", "eu"];
    let types = [
        "prospect.created",
        "activity.email.sent",
        "activity.email.opened",
    ];
    let plugins = ["crm-sync", "event-log"];
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let metrics = &metrics;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    // Threads start at different label sets, so new series race to be created.
                    let turn = thread + round;
                    metrics.webhook_received(sources[turn % 2], types[turn % 3]);
                    metrics.ingest_latency(ms(1));
                    metrics.delivery_finished(plugins[turn % 2], "done", ms(1));
                }
            });
        }
    });
    let total = (THREADS * ROUNDS) as f64;
    let scrape = parse(&metrics.render(&empty_queue()));
    let received: f64 = scrape
        .family("smartreach_hooks_webhooks_received_total")
        .samples
        .iter()
        .map(|sample| sample.value)
        .sum();
    assert_eq!(received, total);
    assert_eq!(
        scrape
            .family("smartreach_hooks_webhooks_received_total")
            .samples
            .len(),
        6
    );
    let ingest = "smartreach_hooks_ingest_duration_seconds";
    assert_eq!(scrape.value(&format!("{ingest}_count"), &[]), Some(total));
    assert_eq!(
        scrape.value(&format!("{ingest}_sum"), &[]),
        Some(total / 1000.0)
    );
    let per_plugin = total / 2.0;
    for plugin in plugins {
        assert_eq!(
            scrape.value(
                "smartreach_hooks_deliveries_total",
                &[("plugin", plugin), ("outcome", "done")]
            ),
            Some(per_plugin)
        );
        assert_eq!(
            scrape.value(
                "smartreach_hooks_plugin_duration_seconds_count",
                &[("plugin", plugin)]
            ),
            Some(per_plugin)
        );
    }
}
