//! README promises checked against the binary: readiness on a full filesystem; a dead letter
//! releases its prospect's later events, and a replay or a backfill runs behind newer events of
//! the prospect.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::time::Duration;

use support::admin::assert_problem;
use support::capture::CaptureServer;
use support::host::{Config, Host};
use support::payload::prospect_event;
use support::tmpfs::Tmpfs;
use support::{BATCH, SOON, eventually, eventually_or};

/// `GET /readyz`: its status and its `store` field.
fn readiness(host: &Host) -> (u16, String) {
    let response = host.client().get("/readyz").expect("GET /readyz");
    let store = response.json()["store"].as_str().unwrap_or("").to_owned();
    (response.status, store)
}

/// Posts distinct webhooks until one is refused; returns that answer and how many were stored.
fn ingest_until_refused(host: &Host, first: i64) -> (support::host::Response, usize) {
    for index in 0..500 {
        let body = prospect_event(
            "prospect.created",
            first + index,
            "full@example.com",
            &format!("filler {first} {index} {}", "x".repeat(2000)),
        );
        let response = host.post_webhook(&body);
        if response.status != 202 {
            return (response, index as usize);
        }
    }
    panic!("500 webhooks were acknowledged on a full filesystem");
}

/// README: ingest answers 503 "the store could not commit: send again", and `/readyz` answers 200
/// only "when the store commits". On a full filesystem both refuse; both recover with space.
#[test]
fn a_full_filesystem_makes_ingest_and_readyz_answer_503_until_space_comes_back() {
    let env = SUITE.env();
    let Some(tmpfs) = Tmpfs::mount(&env.data_dir(), "24m") else {
        return;
    };
    let host = env.start();
    assert_eq!(readiness(&host), (200, "ok".to_owned()), "ready with room");
    for index in 0..3 {
        host.ingest(&prospect_event(
            "prospect.created",
            index,
            "a@example.com",
            "room",
        ));
    }

    let filler = tmpfs.fill("filler");
    let (refused, stored) = ingest_until_refused(&host, 1000);
    let problem = assert_problem(&refused, 503, "store-unavailable");
    eprintln!("refused after {stored} more webhooks: {problem}");
    let (status, store) = readiness(&host);
    assert_eq!(
        status, 503,
        "/readyz while the store cannot commit: {store}"
    );
    assert_ne!(store, "ok", "/readyz says why");

    std::fs::remove_file(&filler).unwrap();
    eventually_or(
        "/readyz to answer 200 once space is back",
        SOON,
        || match readiness(&host) {
            (200, store) if store == "ok" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        9999,
        "b@example.com",
        "back",
    ));
    assert_eq!(
        env.db()
            .webhooks()
            .iter()
            .filter(|w| w.id == ingested.webhook_id)
            .count(),
        1,
        "the webhook acknowledged after recovery is stored"
    );
    drop(host);
    drop(tmpfs);
}

/// README: "A dead letter stops holding its prospect's later events back; a replay [...] is queued
/// behind what is already queued, so it runs after newer events of that prospect."
///
/// Update A of one prospect fails permanently (crm-sync gets 400): dead; update B of the same
/// prospect, waiting behind it, is then delivered. Update C is held in flight; replaying A while C
/// runs queues the replay behind C: the replay's attempt starts after C's attempt ended.
#[test]
fn a_dead_letter_releases_later_events_and_a_replay_runs_after_newer_ones() {
    const PROSPECT: i64 = 8_000_001;
    let capture = CaptureServer::start();
    capture.fail_once("dead-a", 400);
    let env = SUITE.env_with(Config::with_admin().reaching_loopback());
    env.install_crm_sync(&capture);
    let host = env.start();
    let db = env.db();
    let update = |marker: &str| {
        host.ingest(&prospect_event(
            "prospect.updated",
            PROSPECT,
            "dead@example.com",
            marker,
        ))
    };

    let a = update("dead-a");
    let b = update("after-b");
    let a_delivery = db.wait_webhook_finished(&a.webhook_id, 1).remove(0);
    assert_eq!(a_delivery.status, "dead", "{a_delivery:?}");
    let b_delivery = db.wait_webhook_finished(&b.webhook_id, 1).remove(0);
    assert_eq!(
        b_delivery.status, "done",
        "released by the dead letter: {b_delivery:?}"
    );

    capture.hold("newer-c");
    let c = update("newer-c");
    eventually("C to be held in flight", SOON, || {
        (capture.held_now() == 1).then_some(())
    });
    let response = host.admin_post(
        &format!("/api/v1/deliveries/{}/replay", a_delivery.id),
        None,
    );
    assert_eq!(response.status, 202, "{response:?}");
    let replay_id = response.json()["deliveries"][0]
        .as_i64()
        .expect("the replay's id");
    // Give a replay that jumped the queue time to start while C is held.
    std::thread::sleep(Duration::from_millis(500));
    capture.release("newer-c");
    db.wait_idle(BATCH);

    let c_delivery = db.deliveries_of_webhook(&c.webhook_id).remove(0);
    let c_attempt = db.attempts_of(c_delivery.id).pop().expect("C ran");
    let replay_attempt = db.attempts_of(replay_id).pop().expect("the replay ran");
    assert_eq!(replay_attempt.outcome, "done", "{replay_attempt:?}");
    assert!(
        replay_attempt.started_at >= c_attempt.started_at + c_attempt.duration_us / 1000,
        "the replay ran after the newer event C ended: C {c_attempt:?}, replay {replay_attempt:?}"
    );
    let markers: Vec<String> = capture
        .requests()
        .iter()
        .map(|request| {
            request.body["custom_fields"]["marker"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert_eq!(
        markers,
        ["dead-a", "after-b", "newer-c", "dead-a"],
        "requests in order"
    );
}

/// README: "a [...] backfill is queued behind what is already queued, so it runs after newer
/// events of that prospect". Update A is stored before crm-sync is installed; newer update C of
/// the same prospect is held in flight at crm-sync; a backfill of A then runs after C ended.
#[test]
fn a_backfill_runs_after_newer_events_of_the_prospect() {
    const PROSPECT: i64 = 8_000_002;
    let capture = CaptureServer::start();
    let env = SUITE.env_with(Config::with_admin().reaching_loopback());
    let host = env.start();
    let db = env.db();
    let update = |marker: &str| {
        host.ingest(&prospect_event(
            "prospect.updated",
            PROSPECT,
            "backfill@example.com",
            marker,
        ))
    };
    let a = update("older-a");
    assert_eq!(a.deliveries, 0, "no plugin yet");

    env.install_crm_sync(&capture);
    eventually("crm-sync to be loaded", SOON, || {
        support::admin::plugin(&host, "crm-sync")
            .filter(|plugin| plugin["loaded"] == true)
            .map(|_| ())
    });
    capture.hold("newer-c");
    let c = update("newer-c");
    eventually("C to be held in flight", SOON, || {
        (capture.held_now() == 1).then_some(())
    });
    let response = host.admin_post(
        "/api/v1/plugins/crm-sync/backfill",
        Some(&serde_json::json!({ "event_types": ["prospect.updated"], "since": 0 })),
    );
    assert_eq!(response.status, 202, "{response:?}");
    let queued = response.json();
    assert_eq!(queued["count"], 1, "A only: {queued}");
    let backfill_id = queued["deliveries"][0].as_i64().expect("the backfill's id");
    // Give a backfill that jumped the queue time to start while C is held.
    std::thread::sleep(Duration::from_millis(500));
    capture.release("newer-c");
    db.wait_idle(BATCH);

    let c_delivery = db.deliveries_of_webhook(&c.webhook_id).remove(0);
    let c_attempt = db.attempts_of(c_delivery.id).pop().expect("C ran");
    let backfill_attempt = db.attempts_of(backfill_id).pop().expect("the backfill ran");
    assert_eq!(backfill_attempt.outcome, "done", "{backfill_attempt:?}");
    assert!(
        backfill_attempt.started_at >= c_attempt.started_at + c_attempt.duration_us / 1000,
        "the backfill ran after the newer event C ended: C {c_attempt:?}, backfill {backfill_attempt:?}"
    );
    let markers: Vec<String> = capture
        .requests()
        .iter()
        .map(|request| {
            request.body["custom_fields"]["marker"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    assert_eq!(markers, ["newer-c", "older-a"], "requests in order");
}
