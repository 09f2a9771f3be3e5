//! Delivery: what the host does with each outcome (retries on the configured schedule, then the
//! dead letter; permanent failures at once) and the order of one prospect's deliveries.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::collections::BTreeMap;
use std::time::Duration;

use support::BATCH;
use support::capture::CaptureServer;
use support::db::{Attempt, Db, Delivery};
use support::host::{Config, RETRY_SCHEDULE};
use support::payload::prospect_event;
use support::plugins::manifest;

/// Checks a delivery that ran out of retries: 1 + len(`delays`) attempts, numbered from 1, each
/// ending in `outcome`, attempt n + 1 started at least `delays[n - 1]` after attempt n, then dead
/// with the last attempt's error. Returns its attempts.
fn assert_retried_then_dead(
    db: &Db,
    delivery: &Delivery,
    outcome: &str,
    delays: &[Duration],
) -> Vec<Attempt> {
    let name = &delivery.plugin;
    let attempts = db.attempts_of(delivery.id);
    let expected = 1 + delays.len();
    assert_eq!(
        attempts.len(),
        expected,
        "{name}: 1 + {} retries: {attempts:#?}",
        delays.len()
    );
    assert_eq!(delivery.attempts, expected as i64, "{name}: {delivery:?}");
    assert_eq!(
        delivery.status, "dead",
        "{name}: dead after the last retry: {delivery:?}"
    );
    for (index, attempt) in attempts.iter().enumerate() {
        assert_eq!(
            attempt.attempt,
            index as i64 + 1,
            "{name}: attempts count from 1"
        );
        assert_eq!(
            attempt.outcome,
            outcome,
            "{name}: attempt {}: {attempt:?}",
            index + 1
        );
        assert!(
            attempt
                .detail
                .as_deref()
                .is_some_and(|detail| !detail.is_empty()),
            "{name}: attempt {} says why: {attempt:?}",
            index + 1
        );
    }
    // Attempt n + 1 starts at least delays[n - 1] after attempt n started (it starts after
    // attempt n ended plus the delay; 2 ms for millisecond timestamps).
    for (pair, delay) in attempts.windows(2).zip(delays) {
        let gap = pair[1].started_at - pair[0].started_at;
        let delay_ms = i64::try_from(delay.as_millis()).unwrap();
        assert!(
            gap >= delay_ms - 2,
            "{name}: attempt {} started {gap} ms after attempt {}, before the delay of {delay_ms} ms",
            pair[1].attempt,
            pair[0].attempt
        );
    }
    let last = attempts.last().unwrap().detail.clone().unwrap();
    let last_error = delivery
        .last_error
        .clone()
        .unwrap_or_else(|| panic!("{name}: a dead delivery keeps its last error: {delivery:?}"));
    assert!(
        last_error.contains(&last) || last.contains(&last_error),
        "{name}: last_error {last_error:?} is the last attempt's error {last:?}"
    );
    attempts
}

/// A plugin that always faults (a panic, a loop past its deadline, memory past its cap) gets
/// 1 + len(retry_schedule) attempts, each at least the schedule's delay after the previous one,
/// then is dead; a permanent failure is dead at once; a success is done once. (A `retry` outcome
/// with a delay of its own: [`a_retry_waits_the_plugins_delay_not_the_schedule`].)
#[test]
fn failing_plugins_are_retried_on_schedule_then_dead() {
    let env = SUITE.env();
    let plugins: [(&str, &[(&str, u64)]); 5] = [
        ("panic", &[]),
        ("loop", &[("timeout_ms", 300)]),
        ("hog", &[("memory_mib", 16)]),
        ("fail", &[]),
        ("done", &[]),
    ];
    for (mode, limits) in plugins {
        env.install(
            &format!("hostile-{mode}"),
            "hostile",
            Some(&manifest(None, &[("mode", mode)], limits)),
        );
    }
    let host = env.start();
    let db = env.db();

    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        1,
        "ana@example.com",
        "fail",
    ));
    assert_eq!(ingested.deliveries, 5, "hostile subscribes to every event");
    let deliveries: BTreeMap<String, Delivery> = db
        .wait_webhook_finished(&ingested.webhook_id, 5)
        .into_iter()
        .map(|delivery| (delivery.plugin.clone(), delivery))
        .collect();

    // Faults are retried like `retry`.
    let panics =
        assert_retried_then_dead(&db, &deliveries["hostile-panic"], "fault", &RETRY_SCHEDULE);
    for attempt in &panics {
        assert!(
            attempt
                .logs
                .to_string()
                .contains("hostile plugin panicked on purpose"),
            "the panic message is in the attempt's log lines: {:?}",
            attempt.logs
        );
    }
    let last_error = deliveries["hostile-panic"]
        .last_error
        .as_deref()
        .unwrap()
        .to_lowercase();
    assert!(
        last_error.contains("trap") || last_error.contains("panic"),
        "a panic's last error says it trapped: {last_error}"
    );
    assert_retried_then_dead(&db, &deliveries["hostile-loop"], "fault", &RETRY_SCHEDULE);
    assert_retried_then_dead(&db, &deliveries["hostile-hog"], "fault", &RETRY_SCHEDULE);

    // A permanent failure: one attempt, dead.
    let fail = &deliveries["hostile-fail"];
    let attempts = db.attempts_of(fail.id);
    assert_eq!(
        (fail.status.as_str(), fail.attempts, attempts.len()),
        ("dead", 1, 1),
        "{fail:?}"
    );
    assert_eq!(attempts[0].outcome, "failed");
    assert!(
        fail.last_error
            .as_deref()
            .unwrap_or("")
            .contains("permanent"),
        "{fail:?}"
    );

    // Success: one attempt, done, no error.
    let done = &deliveries["hostile-done"];
    let attempts = db.attempts_of(done.id);
    assert_eq!(
        (done.status.as_str(), done.attempts, attempts.len()),
        ("done", 1, 1),
        "{done:?}"
    );
    assert_eq!(attempts[0].outcome, "done");

    // Every attempt ran the same plugin build.
    let hash = support::sha256_hex(&support::plugins::wasm("hostile"));
    for attempt in db.attempts() {
        assert_eq!(attempt.plugin_hash, hash, "{attempt:?}");
    }
    // Nothing more happens to dead deliveries.
    assert_eq!(db.open_deliveries(), 0);
    drop(host);
}

/// The delay the `hostile` plugin asks for with its `retry` outcome
/// (`Outcome::retry_after("try again", 1500)`).
const PLUGIN_RETRY_DELAY: Duration = Duration::from_millis(1500);

/// A `retry` outcome with a delay of its own is retried after that delay, not the schedule's: with
/// a schedule of hours, a plugin asking for 1.5 s gets all its attempts (each at least 1.5 s
/// after the previous one) and is dead within seconds. Were the schedule used, its second attempt
/// would come an hour later and the wait below would time out.
#[test]
fn a_retry_waits_the_plugins_delay_not_the_schedule() {
    const HOUR: Duration = Duration::from_secs(3600);
    let schedule = [HOUR; 3];
    let env = SUITE.env_with(Config {
        retry_schedule: schedule.to_vec(),
        ..Config::default()
    });
    env.install(
        "hostile-retry",
        "hostile",
        Some(&manifest(None, &[("mode", "retry")], &[])),
    );
    let host = env.start();
    let db = env.db();
    let ingested = host.ingest(&prospect_event(
        "prospect.created",
        2,
        "bo@example.com",
        "retry",
    ));
    let [delivery] = db
        .wait_webhook_finished(&ingested.webhook_id, 1)
        .try_into()
        .unwrap_or_else(|all: Vec<Delivery>| panic!("one delivery: {all:#?}"));
    assert_retried_then_dead(&db, &delivery, "retry", &[PLUGIN_RETRY_DELAY; 3]);
    assert!(
        delivery
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("try again")),
        "the plugin's reason is the last error: {delivery:?}"
    );
    drop(host);
}

/// Deliveries of one prospect to one plugin run one after the other in the order they were
/// received, also when one of them has to be retried; other prospects are not held up.
#[test]
fn deliveries_of_one_prospect_run_in_order() {
    const PROSPECTS: i64 = 3;
    const UPDATES: usize = 8;
    let capture = CaptureServer::start();
    // Slow answers widen any window in which two deliveries of one prospect could overlap.
    capture.set_delay(Duration::from_millis(10));
    // The third update of prospect 1 fails once (503: crm-sync asks for a retry).
    capture.fail_once("order-1-02", 503);
    let env = SUITE.env_with(Config::default().reaching_loopback());
    env.install_crm_sync(&capture);
    let host = env.start();
    let db = env.db();

    let marker = |prospect: i64, seq: usize| format!("order-{prospect}-{seq:02}");
    for seq in 0..UPDATES {
        for prospect in 1..=PROSPECTS {
            host.ingest(&prospect_event(
                "prospect.updated",
                9_000_000 + prospect,
                &format!("p{prospect}@example.com"),
                &marker(prospect, seq),
            ));
        }
    }
    db.wait_idle(BATCH);

    let deliveries = db.deliveries();
    assert_eq!(deliveries.len(), PROSPECTS as usize * UPDATES);
    for delivery in &deliveries {
        assert_eq!(delivery.status, "done", "{delivery:?}");
    }
    let requests = capture.requests();
    for prospect in 1..=PROSPECTS {
        let path = format!("/crm/contacts/smartreach-{}", 9_000_000 + prospect);
        let sent: Vec<(String, u16)> = requests
            .iter()
            .filter(|request| request.path == path)
            .map(|request| {
                let marker = request.body["custom_fields"]["marker"]
                    .as_str()
                    .unwrap_or("?");
                (marker.to_owned(), request.status)
            })
            .collect();
        let mut expected: Vec<(String, u16)> = (0..UPDATES)
            .map(|seq| (marker(prospect, seq), 200))
            .collect();
        if prospect == 1 {
            expected.insert(2, (marker(1, 2), 503));
        }
        assert_eq!(
            sent, expected,
            "prospect {prospect}: requests in the order received"
        );

        // From the store's side: no two attempts of the prospect overlapped.
        let mut attempts: Vec<Attempt> = db
            .attempts_of_plugin("crm-sync")
            .into_iter()
            .filter(|attempt| {
                deliveries.iter().any(|delivery| {
                    delivery.id == attempt.delivery_id
                        && delivery.prospect_id.as_deref()
                            == Some(&(9_000_000 + prospect).to_string())
                })
            })
            .collect();
        attempts.sort_by_key(|attempt| attempt.started_at);
        for pair in attempts.windows(2) {
            let first_end_ms = pair[0].started_at + pair[0].duration_us / 1000;
            assert!(
                pair[1].started_at + 1 >= first_end_ms,
                "prospect {prospect}: an attempt started before the previous one ended: {pair:#?}"
            );
        }
    }
    drop(host);
}
