//! README promises checked against the binary: readiness on a full filesystem; a dead letter
//! releases its prospect's later events, and a replay or a backfill runs behind newer events of
//! the prospect; text and JSON logs with one span per delivery.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

use std::time::Duration;

use serde_json::Value;

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

/// The fields of one `delivery` span as a log line carries them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct DeliverySpan {
    plugin: String,
    event: String,
    attempt: i64,
}

/// The `delivery` spans a line of the host's log carries, outermost first: in a text line each
/// `delivery{plugin=.. event=.. attempt=..}:` before the message; in a JSON line its `span` (and
/// any `spans`) named `delivery`.
fn delivery_spans(format: &str, line: &str) -> Vec<DeliverySpan> {
    let from_fields = |fields: &dyn Fn(&str) -> Option<String>| DeliverySpan {
        plugin: fields("plugin").unwrap_or_else(|| panic!("no plugin in the span: {line}")),
        event: fields("event").unwrap_or_else(|| panic!("no event in the span: {line}")),
        attempt: fields("attempt")
            .and_then(|attempt| attempt.parse().ok())
            .unwrap_or_else(|| panic!("no numeric attempt in the span: {line}")),
    };
    match format {
        "text" => line
            .split("delivery{")
            .skip(1)
            .map(|rest| {
                let inside = rest.split_once("}:").map_or(rest, |(inside, _)| inside);
                let pairs: Vec<(&str, &str)> = inside
                    .split(' ')
                    .filter_map(|pair| pair.split_once('='))
                    .collect();
                from_fields(&|key| {
                    pairs
                        .iter()
                        .find(|(name, _)| *name == key)
                        .map(|(_, value)| (*value).to_owned())
                })
            })
            .collect(),
        "json" => {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}"));
            let mut spans: Vec<&Value> = value["spans"].as_array().into_iter().flatten().collect();
            spans.push(&value["span"]);
            spans
                .into_iter()
                .filter(|span| span["name"] == "delivery")
                .map(|span| {
                    from_fields(&|key| match &span[key] {
                        Value::String(text) => Some(text.clone()),
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    })
                })
                .collect()
        }
        other => panic!("no log format {other}"),
    }
}

/// Whether `line` is a plugin's own log line (target `plugin`).
fn is_plugin_line(format: &str, line: &str) -> bool {
    match format {
        "text" => line.contains("}: plugin: "),
        _ => serde_json::from_str::<Value>(line).is_ok_and(|value| value["target"] == "plugin"),
    }
}

/// README: "one span per delivery with the plugin, the event id and the attempt, and the plugin's
/// own log lines inside it", in text and in JSON. Two events go through event-log (which logs a
/// line naming the event id and the attempt it sees) and one through a plugin that faults and is
/// retried to its fourth attempt. Each attempt's `delivery attempt finished` line and each of
/// event-log's lines carry exactly one `delivery` span, whose fields are that attempt's (as the
/// store recorded it); every attempt has its line.
fn one_span_per_delivery(format: &str) {
    let env = SUITE.env_with(Config {
        log_format: format.to_owned(),
        ..Config::default()
    });
    env.install_event_log();
    env.install_hostile("faulty", &["prospect.updated"], "panic");
    let host = env.start();
    let db = env.db();
    let created = host.ingest(&prospect_event(
        "prospect.created",
        81_001,
        "span1@example.com",
        "span 1",
    ));
    let updated = host.ingest(&prospect_event(
        "prospect.updated",
        81_002,
        "span2@example.com",
        "span 2",
    ));
    assert_eq!((created.deliveries, updated.deliveries), (1, 2));
    db.wait_idle(BATCH);

    let attempts: Vec<DeliverySpan> = db
        .attempts()
        .into_iter()
        .map(|attempt| DeliverySpan {
            plugin: attempt.plugin,
            event: attempt.event_id,
            attempt: attempt.attempt,
        })
        .collect();
    assert_eq!(
        attempts.len(),
        2 + 4,
        "event-log twice, faulty 4 times: {attempts:#?}"
    );
    let event_log_attempts: Vec<&DeliverySpan> = attempts
        .iter()
        .filter(|span| span.plugin == "event-log")
        .collect();

    // Each attempt's closing line is written once, inside its own span.
    let finished_spans = |stderr: &str| -> Vec<DeliverySpan> {
        let mut spans = Vec::new();
        for line in stderr
            .lines()
            .filter(|line| line.contains("delivery attempt finished"))
        {
            let carried = delivery_spans(format, line);
            let [span] = carried.as_slice() else {
                panic!("{format}: not exactly one delivery span ({carried:?}) on {line}")
            };
            spans.push(span.clone());
        }
        spans.sort();
        spans
    };
    let mut expected = attempts.clone();
    expected.sort();
    let finished = eventually_or("a closing line for every attempt", SOON, || {
        let spans = finished_spans(&host.stderr());
        if spans.len() >= expected.len() {
            Ok(spans)
        } else {
            Err(format!("{spans:#?}"))
        }
    });
    assert_eq!(
        finished, expected,
        "{format}: one closing line per attempt, in its span"
    );

    // event-log's own lines: inside the span of the attempt that wrote them.
    let stderr = host.stderr();
    let mut plugin_spans = Vec::new();
    for line in stderr.lines().filter(|line| is_plugin_line(format, line)) {
        let carried = delivery_spans(format, line);
        let [span] = carried.as_slice() else {
            panic!(
                "{format}: a plugin line without exactly one delivery span ({carried:?}): {line}"
            )
        };
        if span.plugin != "event-log" {
            continue;
        }
        // The line itself names the event and the attempt the plugin saw (escaped quotes in
        // JSON do not matter: ids and numbers are unquoted).
        assert!(
            line.contains(&format!("id={}", span.event))
                && line.contains(&format!("attempt={}", span.attempt)),
            "{format}: event-log's line is in its own delivery's span: {line}"
        );
        plugin_spans.push(span.clone());
    }
    plugin_spans.sort();
    let mut event_log_expected: Vec<DeliverySpan> =
        event_log_attempts.into_iter().cloned().collect();
    event_log_expected.sort();
    assert_eq!(
        plugin_spans, event_log_expected,
        "{format}: one event-log line per attempt, each in its span"
    );
    drop(host);
}

#[test]
fn text_logs_carry_one_span_per_delivery() {
    one_span_per_delivery("text");
}

#[test]
fn json_logs_carry_one_span_per_delivery() {
    one_span_per_delivery("json");
}
