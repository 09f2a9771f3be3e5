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
                waiting_on: None,
            },
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 120,
                running: 4,
                dead: 2,
                waiting_on: None,
            },
            // The same plugin twice is one series.
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 1,
                running: 0,
                dead: 1,
                waiting_on: None,
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

#[test]
fn deliveries_held_back_by_a_control_are_counted_by_what_they_wait_on() {
    let metrics = Metrics::default();
    metrics.breaker_changed("crm-sync", "open");
    metrics.breaker_changed("crm-sync", "closed");
    metrics.breaker_changed("crm-sync", "open");
    let queue = QueueSnapshot {
        by_plugin: vec![
            PluginQueue {
                plugin: "crm-sync".to_owned(),
                pending: 7,
                running: 0,
                dead: 0,
                waiting_on: Some("breaker"),
            },
            PluginQueue {
                plugin: "slack-replies".to_owned(),
                pending: 2,
                running: 1,
                dead: 0,
                waiting_on: Some("rate"),
            },
            PluginQueue {
                plugin: "event-log".to_owned(),
                pending: 5,
                running: 0,
                dead: 0,
                waiting_on: None,
            },
        ],
        oldest_pending_age: None,
        plugins_loaded: 3,
    };
    let scrape = parse(&metrics.render(&queue));
    let waiting = "smartreach_hooks_deliveries_waiting";
    assert_eq!(
        scrape.value(waiting, &[("plugin", "crm-sync"), ("reason", "breaker")]),
        Some(7.0)
    );
    assert_eq!(
        scrape.value(waiting, &[("plugin", "slack-replies"), ("reason", "rate")]),
        Some(2.0)
    );
    assert_eq!(
        scrape.value(waiting, &[("plugin", "event-log"), ("reason", "pause")]),
        None,
        "a plugin nothing holds back has no series"
    );
    let changes = "smartreach_hooks_breaker_changes_total";
    assert_eq!(
        scrape.value(changes, &[("plugin", "crm-sync"), ("state", "open")]),
        Some(2.0)
    );
    assert_eq!(
        scrape.value(changes, &[("plugin", "crm-sync"), ("state", "closed")]),
        Some(1.0)
    );
}
