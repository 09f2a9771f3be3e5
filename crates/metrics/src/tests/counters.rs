//! Counters: every call counted under its labels, label values escaped and read back.

use super::*;

#[test]
fn counters_count_the_calls() {
    let metrics = Metrics::default();
    for _ in 0..3 {
        metrics.webhook_received("main", "prospect.created");
    }
    metrics.webhook_received("main", "activity.email.opened");
    metrics.webhook_received("eu", "prospect.created");
    metrics.webhook_duplicate("main");
    metrics.webhook_duplicate("main");
    metrics.ingest_rejected("invalid-signature");
    metrics.delivery_finished("crm-sync", "done", ms(5));
    metrics.delivery_finished("crm-sync", "done", ms(6));
    metrics.delivery_finished("crm-sync", "fault", ms(1000));
    metrics.delivery_finished("event-log", "skipped", ms(1));
    let scrape = parse(&metrics.render(&empty_queue()));

    let received = "smartreach_hooks_webhooks_received_total";
    let of = |source, event_type| [("source", source), ("event_type", event_type)];
    assert_eq!(
        scrape.value(received, &of("main", "prospect.created")),
        Some(3.0)
    );
    assert_eq!(
        scrape.value(received, &of("main", "activity.email.opened")),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(received, &of("eu", "prospect.created")),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(received, &of("eu", "activity.email.opened")),
        None
    );
    assert_eq!(scrape.family(received).samples.len(), 3);
    assert_eq!(
        scrape.value(
            "smartreach_hooks_webhooks_duplicate_total",
            &[("source", "main")]
        ),
        Some(2.0)
    );
    assert_eq!(
        scrape.value(
            "smartreach_hooks_ingest_rejected_total",
            &[("reason", "invalid-signature")]
        ),
        Some(1.0)
    );
    let deliveries = "smartreach_hooks_deliveries_total";
    let of = |plugin, outcome| [("plugin", plugin), ("outcome", outcome)];
    assert_eq!(scrape.value(deliveries, &of("crm-sync", "done")), Some(2.0));
    assert_eq!(
        scrape.value(deliveries, &of("crm-sync", "fault")),
        Some(1.0)
    );
    assert_eq!(
        scrape.value(deliveries, &of("event-log", "skipped")),
        Some(1.0)
    );
    assert_eq!(scrape.family(deliveries).samples.len(), 3);
    let plugin = "smartreach_hooks_plugin_duration_seconds";
    assert_eq!(
        scrape.value(&format!("{plugin}_count"), &[("plugin", "crm-sync")]),
        Some(3.0)
    );
    assert_eq!(
        scrape.value(&format!("{plugin}_count"), &[("plugin", "event-log")]),
        Some(1.0)
    );
}

#[test]
fn label_values_are_escaped_and_read_back() {
    let metrics = Metrics::default();
    let source = "back\\slash \"quoted\"\nnew line, {braces}=é";
    metrics.webhook_received(source, "activity.email.replied");
    let text = metrics.render(&empty_queue());
    assert!(
        text.contains(
            r#"{source="back\\slash \"quoted\"\nnew line, {braces}=é",event_type="activity.email.replied"} 1"#
        ),
        "{text}"
    );
    let scrape = parse(&text);
    assert_eq!(
        scrape.value(
            "smartreach_hooks_webhooks_received_total",
            &[("source", source), ("event_type", "activity.email.replied")]
        ),
        Some(1.0)
    );
}
