//! `/metrics` (Prometheus text format 0.0.4), `/healthz` and `/readyz`: after known traffic, the
//! counters count exactly it, the queue gauges come from the store, and the exposition parses.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use support::exposition::{Exposition, check_histogram, counts, expected};
use support::host::{SOURCE, TOKEN, hook_path};
use support::payload::{all_items, prospect_event, reply, single_event};
use support::plugins::manifest;
use support::{BATCH, SOON, eventually_or};

const FAMILIES: [(&str, &str); 13] = [
    ("smartreach_hooks_webhooks_received_total", "counter"),
    ("smartreach_hooks_webhooks_duplicate_total", "counter"),
    ("smartreach_hooks_ingest_rejected_total", "counter"),
    ("smartreach_hooks_ingest_duration_seconds", "histogram"),
    ("smartreach_hooks_deliveries_total", "counter"),
    ("smartreach_hooks_plugin_duration_seconds", "histogram"),
    ("smartreach_hooks_dead_letters", "gauge"),
    ("smartreach_hooks_deliveries_running", "gauge"),
    ("smartreach_hooks_queue_depth", "gauge"),
    ("smartreach_hooks_oldest_pending_age_seconds", "gauge"),
    ("smartreach_hooks_plugins_loaded", "gauge"),
    ("smartreach_hooks_deliveries_waiting", "gauge"),
    ("smartreach_hooks_breaker_changes_total", "counter"),
];

/// Known traffic (stored webhooks by type, one redelivery, rejections of four kinds, deliveries
/// to four plugins ending done, skipped, dead at once and dead after retries), then `/metrics`:
/// every counter counts exactly that, the histograms agree with the counters, the queue gauges
/// show the dead letters and an empty queue. After a restart the counters start again at zero
/// while the dead letters, read from the store, are still there.
#[test]
fn metrics_count_the_traffic() {
    let env = SUITE.env();
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    env.install_hostile("fail", &["prospect.updated"], "fail");
    // `retry` asks for 1.5 s between attempts: 4 attempts (the test schedule has 3 retries).
    env.install_hostile("flaky", &["activity.email.opened"], "retry");
    env.install_hostile("skip", &["activity.email.replied"], "counter");
    let mut host = env.start();
    let db = env.db();

    // A fresh host: every family is announced, nothing counted yet.
    let fresh = Exposition::scrape(&host);
    for (family, kind) in FAMILIES {
        assert_eq!(
            fresh.types.get(family).map(String::as_str),
            Some(kind),
            "# TYPE {family} {kind}"
        );
    }
    for counter in [
        "smartreach_hooks_webhooks_received_total",
        "smartreach_hooks_webhooks_duplicate_total",
        "smartreach_hooks_ingest_rejected_total",
        "smartreach_hooks_deliveries_total",
    ] {
        assert!(
            fresh.series(counter).values().all(|value| *value == 0.0),
            "{counter} before any traffic: {:?}",
            fresh.series(counter)
        );
    }
    assert_eq!(fresh.get("smartreach_hooks_plugins_loaded", &[]), Some(4.0));

    // Stored: 9 webhooks, 11 events (the `sent` fixture has 3 items).
    let first = prospect_event("prospect.created", 1, "m1@example.com", "m1");
    host.ingest(&first);
    host.ingest(&prospect_event(
        "prospect.created",
        2,
        "m2@example.com",
        "m2",
    ));
    host.ingest(&prospect_event(
        "prospect.created",
        3,
        "m3@example.com",
        "m3",
    ));
    host.ingest(&prospect_event(
        "prospect.updated",
        1,
        "m1@example.com",
        "m4",
    ));
    host.ingest(&prospect_event(
        "prospect.updated",
        2,
        "m2@example.com",
        "m5",
    ));
    host.ingest(&single_event("activity.email.opened", 4, "m6@example.com"));
    host.ingest(&reply(5, "m7@example.com", "m7"));
    host.ingest(&reply(6, "m8@example.com", "m8"));
    let sent = host.ingest(&all_items("activity.email.sent", 7));
    assert_eq!(sent.events, 3);

    // One redelivery.
    let again = host.post_webhook(&first);
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.json()["duplicate"], true);

    // Rejections.
    let json_type = Some("application/json");
    let unknown = hook_path("no-such-token-0123456789");
    let good = hook_path(TOKEN);
    for (path, content_type, body, status) in [
        (unknown.as_str(), json_type, first.as_slice(), 404),
        (unknown.as_str(), Some("text/plain"), first.as_slice(), 404),
        (good.as_str(), Some("text/plain"), first.as_slice(), 415),
        (good.as_str(), None, first.as_slice(), 415),
        (good.as_str(), json_type, b"{not json".as_slice(), 400),
        (good.as_str(), json_type, b"".as_slice(), 400),
        (
            good.as_str(),
            json_type,
            br#"{"metadata": {"event_type": "prospect.created"}, "data": []} x"#.as_slice(),
            400,
        ),
        (
            good.as_str(),
            json_type,
            br#"{"hello": "world"}"#.as_slice(),
            400,
        ),
    ] {
        let response = host.post(path, content_type, &[], body);
        assert_eq!(
            response.status, status,
            "{path} {content_type:?}: {response:?}"
        );
    }
    // Not webhooks: not counted as rejections.
    assert_eq!(host.client().get("/no/such/route").unwrap().status, 404);
    assert_eq!(
        host.client().get("/api/v1/events").unwrap().status,
        404,
        "the admin API is off"
    );

    // Deliveries: log 11 done; fail 2 failed (dead); flaky 4 retries (then dead); skip 2 skipped.
    db.wait_idle(BATCH);
    let statuses = db.status_counts();
    assert_eq!(
        statuses,
        [
            ("dead".to_owned(), 3),
            ("done".to_owned(), 11),
            ("skipped".to_owned(), 2)
        ]
        .into_iter()
        .collect(),
    );

    let metrics = Exposition::scrape(&host);
    let received = counts(metrics.series("smartreach_hooks_webhooks_received_total"));
    let source = |event_type: &str| format!("event_type={event_type},source={SOURCE}");
    assert_eq!(
        received,
        [
            (source("activity.email.opened"), 1),
            (source("activity.email.replied"), 2),
            (source("activity.email.sent"), 1),
            (source("prospect.created"), 3),
            (source("prospect.updated"), 2),
        ]
        .into_iter()
        .collect(),
        "one per stored webhook (not per event), by type"
    );
    assert_eq!(
        counts(metrics.series("smartreach_hooks_webhooks_duplicate_total")),
        expected(&[(&format!("source={SOURCE}"), 1)])
    );
    assert_eq!(
        counts(metrics.series("smartreach_hooks_ingest_rejected_total")),
        expected(&[
            ("reason=invalid-json", 3),
            ("reason=invalid-payload", 1),
            ("reason=unknown-token", 2),
            ("reason=unsupported-media-type", 2),
        ]),
        "by problem slug"
    );
    assert_eq!(
        counts(metrics.series("smartreach_hooks_deliveries_total")),
        expected(&[
            ("outcome=done,plugin=log", 11),
            ("outcome=failed,plugin=fail", 2),
            ("outcome=retry,plugin=flaky", 4),
            ("outcome=skipped,plugin=skip", 2),
        ]),
        "attempts by plugin and outcome"
    );
    // One duration per attempt.
    for (plugin, attempts) in [("log", 11), ("fail", 2), ("flaky", 4), ("skip", 2)] {
        assert_eq!(
            metrics.get(
                "smartreach_hooks_plugin_duration_seconds_count",
                &[("plugin", plugin)]
            ),
            Some(attempts as f64),
            "plugin_duration_seconds_count{{plugin={plugin}}}"
        );
        assert_eq!(
            check_histogram(
                &metrics,
                "smartreach_hooks_plugin_duration_seconds",
                &[("plugin", plugin)]
            ),
            attempts
        );
    }
    assert_eq!(
        db.totals().attempts,
        19,
        "the store holds as many attempts as were counted"
    );
    // One ingest duration per acknowledged webhook: the 9 stored and the redelivery (answered
    // 200); none for a rejection.
    let ingests = check_histogram(&metrics, "smartreach_hooks_ingest_duration_seconds", &[]);
    assert_eq!(ingests, 10, "ingest_duration_seconds_count");

    // The queue, from the store.
    let dead = counts(metrics.series("smartreach_hooks_dead_letters"));
    assert_eq!(dead.get("plugin=fail"), Some(&2), "{dead:?}");
    assert_eq!(dead.get("plugin=flaky"), Some(&1), "{dead:?}");
    assert!(
        dead.iter()
            .all(|(key, value)| key == "plugin=fail" || key == "plugin=flaky" || *value == 0),
        "{dead:?}"
    );
    let depth = counts(metrics.series("smartreach_hooks_queue_depth"));
    assert!(
        depth.values().all(|value| *value == 0),
        "drained: {depth:?}"
    );
    let running = counts(metrics.series("smartreach_hooks_deliveries_running"));
    assert!(running.values().all(|value| *value == 0), "{running:?}");
    assert_eq!(
        metrics.get("smartreach_hooks_oldest_pending_age_seconds", &[]),
        Some(0.0)
    );
    assert_eq!(
        metrics.get("smartreach_hooks_plugins_loaded", &[]),
        Some(4.0)
    );

    // Health.
    let health = host.client().get("/healthz").unwrap();
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(health.json()["status"], "ok");
    let ready = host.client().get("/readyz").unwrap();
    assert_eq!(ready.status, 200, "{ready:?}");
    let ready = ready.json();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["plugins_loaded"], true, "{ready}");
    assert_eq!(ready["plugins"], 4, "{ready}");

    // A plugin removed: one fewer loaded.
    env.remove_plugin_file("skip.wasm");
    eventually_or("plugins_loaded to drop to 3", SOON, || {
        let loaded = Exposition::scrape(&host).value("smartreach_hooks_plugins_loaded", &[]);
        if loaded == 3.0 {
            Ok(())
        } else {
            Err(format!("{loaded}"))
        }
    });

    // Restarted: the counters start again; the dead letters are still in the store.
    let status = host.stop("TERM");
    assert!(status.success(), "{status:?}");
    let host = env.start();
    let restarted = Exposition::scrape(&host);
    for counter in [
        "smartreach_hooks_webhooks_received_total",
        "smartreach_hooks_webhooks_duplicate_total",
        "smartreach_hooks_ingest_rejected_total",
        "smartreach_hooks_deliveries_total",
    ] {
        assert!(
            restarted
                .series(counter)
                .values()
                .all(|value| *value == 0.0),
            "{counter} after a restart: {:?}",
            restarted.series(counter)
        );
    }
    assert_eq!(
        restarted.get("smartreach_hooks_dead_letters", &[("plugin", "fail")]),
        Some(2.0)
    );
    assert_eq!(
        restarted.get("smartreach_hooks_dead_letters", &[("plugin", "flaky")]),
        Some(1.0)
    );
    assert_eq!(
        restarted.get("smartreach_hooks_plugins_loaded", &[]),
        Some(3.0)
    );
    drop(host);
}

/// `smartreach_hooks_oldest_pending_age_seconds` is "the age of the oldest pending delivery that
/// is due; 0 when none is": a delivery waiting an hour for its retry is pending (it counts in
/// `queue_depth`) but not due, so the age stays 0 while it waits.
#[test]
fn a_retry_that_is_not_due_is_not_an_old_pending_delivery() {
    let config = support::host::Config {
        // One retry, an hour after the first attempt.
        retry_schedule: vec![std::time::Duration::from_secs(3600)],
        ..support::host::Config::default()
    };
    let env = SUITE.env_with(config);
    env.install_hostile("stuck", &["*"], "panic");
    let host = env.start();
    let db = env.db();
    let ingested = host.ingest(&prospect_event("prospect.created", 1, "p@example.com", "p"));
    eventually_or(
        "the first attempt to fault and the retry to wait",
        SOON,
        || {
            let rows = db.deliveries_of_webhook(&ingested.webhook_id);
            match rows.as_slice() {
                [row] if row.status == "pending" && row.attempts == 1 => Ok(()),
                _ => Err(format!("{rows:#?}")),
            }
        },
    );
    // Let the delivery grow older than a second, so that an age counted from its creation shows.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let metrics = Exposition::scrape(&host);
    assert_eq!(
        metrics.get("smartreach_hooks_queue_depth", &[("plugin", "stuck")]),
        Some(1.0),
        "the retry waits in the queue"
    );
    let age = metrics.get("smartreach_hooks_oldest_pending_age_seconds", &[]);
    assert_eq!(
        age,
        Some(0.0),
        "no pending delivery is due (the only one is due in an hour), yet the oldest pending age \
         is {age:?}"
    );
    drop(host);
}

/// Every loaded plugin has its per-plugin gauges, at 0 while it has nothing queued, running or
/// dead: dashboards and alerts expect a zero series, not a missing one.
#[test]
fn a_plugin_with_nothing_queued_has_zero_gauges() {
    let env = SUITE.env();
    env.install_hostile("idle", &["prospect.created"], "done");
    let host = env.start();
    let metrics = Exposition::scrape(&host);
    for gauge in [
        "smartreach_hooks_queue_depth",
        "smartreach_hooks_deliveries_running",
        "smartreach_hooks_dead_letters",
    ] {
        assert_eq!(
            metrics.get(gauge, &[("plugin", "idle")]),
            Some(0.0),
            "{gauge} of a loaded plugin without deliveries"
        );
    }
    drop(host);
}

/// The parser itself, on a hand-written exposition: escapes, no labels, `+Inf`, timestamps.
#[test]
fn the_exposition_parser_reads_the_format() {
    let text = "# HELP a_total A counter.\n# TYPE a_total counter\n\
                a_total{x=\"1\",y=\"q\\\"u\\\\o\\nte\"} 3\n\
                # TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n\
                h_sum 0.75\nh_count 2 1700000000000\n# a comment\n\n\
                # TYPE g gauge\ng 1e3\n";
    let parsed = Exposition::parse(text);
    assert_eq!(parsed.types.len(), 3);
    assert_eq!(
        parsed.get("a_total", &[("x", "1"), ("y", "q\"u\\o\nte")]),
        Some(3.0)
    );
    assert_eq!(parsed.get("h_bucket", &[("le", "+Inf")]), Some(2.0));
    assert_eq!(parsed.get("h_count", &[]), Some(2.0));
    assert_eq!(parsed.get("g", &[]), Some(1000.0));
    assert_eq!(check_histogram(&parsed, "h", &[]), 2);
}
