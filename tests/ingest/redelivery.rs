//! Redeliveries of an identical body: recognised and processed once.

use std::sync::{Arc, Barrier};

use crate::support::capture::CaptureServer;
use crate::support::db::Totals;
use crate::support::host::{Config, Ingested, Response};
use crate::support::payload::prospect_event;
use crate::support::{BATCH, fixture};

/// SmartReach redelivers a webhook it is unsure about: an identical body is recognised (200, the
/// first one's id), stored and processed once, also when both copies arrive at the same time.
#[test]
fn an_identical_redelivery_is_processed_once() {
    let capture = CaptureServer::start();
    let env = crate::SUITE.env_with(Config::default().reaching_loopback());
    env.install_event_log();
    env.install_crm_sync(&capture);
    let host = env.start();
    let db = env.db();

    let body = fixture("events/prospect.created.json");
    let first = host.ingest(&body);
    assert_eq!((first.events, first.deliveries), (1, 2));
    let check_duplicate = |when: &str| {
        let response = host.post_webhook(&body);
        assert_eq!(
            response.status, 200,
            "{when}: a redelivery is answered 200: {response:?}"
        );
        let again = Ingested::from_response(&response);
        assert!(again.duplicate, "{when}: {response:?}");
        assert_eq!(
            again.webhook_id, first.webhook_id,
            "{when}: the first one's id"
        );
    };
    check_duplicate("while it is processed");
    db.wait_idle(crate::support::SOON);
    check_duplicate("after it was processed");
    db.wait_idle(crate::support::SOON);

    let totals = db.totals();
    assert_eq!(
        totals,
        Totals {
            webhooks: 1,
            events: 1,
            deliveries: 2,
            attempts: 2
        },
        "stored once, each plugin ran once"
    );
    for delivery in db.deliveries() {
        assert_eq!(
            (delivery.status.as_str(), delivery.attempts),
            ("done", 1),
            "{delivery:?}"
        );
    }
    assert_eq!(
        capture.len(),
        1,
        "crm-sync synced it once: {:?}",
        capture.requests()
    );

    // Two copies at the same moment.
    let body = Arc::new(prospect_event(
        "prospect.updated",
        77,
        "twice@example.com",
        "twice",
    ));
    let barrier = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let client = host.client();
            let body = body.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                client.post_webhook(&body).expect("POST")
            })
        })
        .collect();
    let responses: Vec<Response> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 202],
        "one is new, the other its duplicate: {responses:?}"
    );
    let ids: Vec<String> = responses
        .iter()
        .map(|r| Ingested::from_response(r).webhook_id)
        .collect();
    assert_eq!(ids[0], ids[1], "both answers name the stored webhook");
    db.wait_idle(BATCH);
    let totals = db.totals();
    assert_eq!(
        (totals.webhooks, totals.deliveries, totals.attempts),
        (2, 4, 4),
        "{totals:?}"
    );
    assert_eq!(capture.len(), 2, "{:?}", capture.requests());
    drop(host);
}
