//! Gauges: the queue as the store reported it at scrape time, and the series a fresh host shows.

use super::*;

#[test]
fn gauges_come_from_the_snapshot() {
    let metrics = Metrics::default();
    let queue = QueueSnapshot {
        by_plugin: vec![
            PluginQueue {
                plugin: "slack-replies".to_owned(),
                pending: 3,
                running: 1,
                dead: 0,
            },
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 120,
                running: 4,
                dead: 2,
            },
            // The same plugin twice is one series.
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 1,
                running: 0,
                dead: 1,
            },
        ],
        oldest_pending_age: Some(Duration::from_millis(90_250)),
        plugins_loaded: 4,
    };
    let scrape = parse(&metrics.render(&queue));
    let crm = [("plugin", "crm-sync")];
    let slack = [("plugin", "slack-replies")];
    assert_eq!(
        scrape.value("smartreach_hooks_queue_depth", &crm),
        Some(121.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_queue_depth", &slack),
        Some(3.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_deliveries_running", &crm),
        Some(4.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_deliveries_running", &slack),
        Some(1.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_dead_letters", &crm),
        Some(3.0)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_dead_letters", &slack),
        Some(0.0)
    );
    assert_eq!(
        scrape.family("smartreach_hooks_queue_depth").samples.len(),
        2
    );
    assert_eq!(
        scrape.value("smartreach_hooks_oldest_pending_age_seconds", &[]),
        Some(90.25)
    );
    assert_eq!(
        scrape.value("smartreach_hooks_plugins_loaded", &[]),
        Some(4.0)
    );

    let idle = parse(&metrics.render(&empty_queue()));
    assert_eq!(
        idle.value("smartreach_hooks_oldest_pending_age_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(
        idle.value("smartreach_hooks_plugins_loaded", &[]),
        Some(0.0)
    );
    assert!(
        idle.family("smartreach_hooks_queue_depth")
            .samples
            .is_empty()
    );
}

#[test]
fn a_fresh_host_shows_its_label_less_series_at_zero() {
    let scrape = parse(&Metrics::default().render(&empty_queue()));
    let ingest = "smartreach_hooks_ingest_duration_seconds";
    let buckets = scrape.buckets(ingest, &[]);
    assert_eq!(buckets.len(), INGEST_BUCKETS.len() + 1);
    assert!(buckets.iter().all(|(_, count)| *count == 0.0));
    assert_eq!(scrape.value(&format!("{ingest}_sum"), &[]), Some(0.0));
    assert_eq!(scrape.value(&format!("{ingest}_count"), &[]), Some(0.0));
    for (name, _) in FAMILIES {
        let labelled = scrape
            .family(name)
            .samples
            .iter()
            .any(|s| !s.series().is_empty());
        assert!(!labelled, "{name} has a labelled series before any call");
    }
}
