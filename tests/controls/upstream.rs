//! An upstream that answers 429 with `Retry-After` slows the whole plugin down: its next
//! deliveries wait for the time asked, not just the one that was answered so.

use std::time::Duration;

use crate::SUITE;
use crate::support::capture::CaptureServer;
use crate::support::host::Config;
use crate::support::payload::prospect_event;
use crate::support::plugins::manifest;
use crate::support::{BATCH, SOON, eventually};

const EVENTS: i64 = 5;

#[test]
fn a_retry_after_holds_the_plugin_s_other_deliveries_back_too() {
    let capture = CaptureServer::start();
    capture.answer_with_headers(429, &[("retry-after", "2")], b"{\"error\": \"slow down\"}");
    let env = SUITE.env_with(Config::with_admin().reaching_loopback());
    // One at a time: without the hold, the next delivery would start as soon as the first ended.
    let text = manifest(
        Some(&capture.host()),
        &[("endpoint", &format!("{}/crm", capture.url()))],
        &[("max_concurrency", 1)],
    );
    env.install("crm-sync", "crm_sync", Some(&text));
    let host = env.start();
    let db = env.db();
    let mark = host.stderr_mark();
    for n in 0..EVENTS {
        host.ingest(&prospect_event(
            "prospect.updated",
            7_400_000 + n,
            &format!("u{n}@example.com"),
            &format!("upstream-{n}"),
        ));
    }
    eventually("the first request", SOON, || {
        (!capture.is_empty()).then_some(())
    });
    capture.answer(200, b"{}");
    host.wait_for_stderr("plugin held back: its upstream asked to wait", mark, SOON);
    db.wait_idle(BATCH);

    let requests = capture.requests();
    assert_eq!(requests[0].status, 429);
    assert_eq!(requests.len(), EVENTS as usize + 1, "the 429'd one twice");
    let gap = requests[1].received.duration_since(requests[0].received);
    // The hold is counted from the end of the answered attempt, so the next request comes at
    // least the 2 s asked after the 429 (less a margin for the attempt's own end).
    assert!(
        gap >= Duration::from_millis(1900),
        "the next request came {gap:?} after the 429 with Retry-After: 2"
    );
    let deliveries = db.deliveries_of_plugin("crm-sync");
    let attempts: Vec<i64> = deliveries
        .iter()
        .map(|delivery| delivery.attempts)
        .collect();
    assert_eq!(
        attempts.iter().sum::<i64>(),
        EVENTS + 1,
        "only the answered delivery was attempted twice; waiting is no attempt: {attempts:?}"
    );
    assert!(deliveries.iter().all(|delivery| delivery.status == "done"));
}
