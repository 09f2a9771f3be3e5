//! The circuit breaker: a plugin whose upstream fails is held back after
//! `delivery.breaker_failures` failed attempts in a row, instead of burning its deliveries'
//! retries; its deliveries wait, visible, none dead; once the upstream is back, one probe closes
//! the breaker and everything runs.

use crate::SUITE;
use crate::support::admin::plugin;
use crate::support::capture::CaptureServer;
use crate::support::host::{Config, Host};
use crate::support::payload::prospect_event;
use crate::support::plugins::manifest;
use crate::support::{BATCH, SOON, eventually_or};

const EVENTS: i64 = 10;
const FAILURES: u32 = 3;

#[test]
fn a_failing_upstream_opens_the_breaker_and_a_probe_closes_it() {
    let capture = CaptureServer::start();
    capture.answer(500, b"{\"error\": \"down\"}");
    let env = SUITE.env_with(
        Config {
            breaker_failures: FAILURES,
            breaker_backoff: "2s".to_owned(),
            ..Config::with_admin()
        }
        .reaching_loopback(),
    );
    let text = manifest(
        Some(&capture.host()),
        &[("endpoint", &format!("{}/crm", capture.url()))],
        &[],
    );
    env.install("crm-sync", "crm_sync", Some(&text));
    let host = env.start();
    let db = env.db();
    let mark = host.stderr_mark();
    for n in 0..EVENTS {
        host.ingest(&prospect_event(
            "prospect.updated",
            7_300_000 + n,
            &format!("b{n}@example.com"),
            &format!("breaker-{n}"),
        ));
    }
    host.wait_for_stderr("circuit breaker opened", mark, SOON);
    let info = plugin(&host, "crm-sync").expect("crm-sync listed");
    let because = info["held_because"].as_str().unwrap_or_default();
    assert!(
        because.starts_with("circuit breaker open: 3 failed attempts in a row"),
        "{info}"
    );
    let sent_while_failing = capture.len();
    // Held back: at most what was already running when it opened ran after the third failure
    // (4 at once, the plugin's default concurrency).
    assert!(
        sent_while_failing <= FAILURES as usize + 4,
        "{sent_while_failing} requests: the breaker did not stop the plugin"
    );
    assert_eq!(
        db.status_counts().get("dead"),
        None,
        "nothing dead-lettered"
    );
    let metrics = scrape(&host);
    assert!(
        metrics.contains(
            "smartreach_hooks_deliveries_waiting{plugin=\"crm-sync\",reason=\"breaker\"}"
        ),
        "{metrics}"
    );

    capture.answer(200, b"{}");
    host.wait_for_stderr("circuit breaker closed", mark, BATCH);
    eventually_or("every delivery done", BATCH, || {
        let counts = db.status_counts();
        if counts.get("done") == Some(&EVENTS) && counts.len() == 1 {
            Ok(())
        } else {
            Err(format!("{counts:?}"))
        }
    });
    let metrics = scrape(&host);
    assert!(
        metrics.contains(
            "smartreach_hooks_breaker_changes_total{plugin=\"crm-sync\",state=\"open\"} 1"
        ) && metrics.contains(
            "smartreach_hooks_breaker_changes_total{plugin=\"crm-sync\",state=\"closed\"} 1"
        ),
        "{metrics}"
    );
}

/// The host's `/metrics` text.
fn scrape(host: &Host) -> String {
    host.client().get("/metrics").unwrap().body
}
