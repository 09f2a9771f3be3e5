//! Backfills of a plugin over stored events.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::admin::{assert_problem, deliveries, plugin, plugins};
use crate::support::capture::CaptureServer;
use crate::support::host::{ADMIN_TOKEN, Config};
use crate::support::payload::{all_items, prospect_event, reply, single_event};
use crate::support::plugins::manifest;
use crate::support::{BATCH, SOON, eventually, eventually_or, now_ms};

/// A plugin added after events were stored has no deliveries of them; a backfill queues one
/// delivery per stored event of the given types (and time window) it has none of, which run and
/// end done; a second backfill queues nothing; a backfill for a plugin that is not loaded is a
/// 404 problem, a bad body a 400 one.
#[test]
fn a_new_plugin_is_backfilled_over_stored_events() {
    let capture = CaptureServer::start();
    let env = crate::SUITE.env_with(Config::with_admin().reaching_loopback());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();

    // Batch 1, then batch 2.
    let created = [
        host.ingest(&prospect_event(
            "prospect.created",
            21,
            "c1@example.com",
            "c1",
        )),
        host.ingest(&prospect_event(
            "prospect.created",
            22,
            "c2@example.com",
            "c2",
        )),
    ];
    let sent = host.ingest(&all_items("activity.email.sent", 100));
    std::thread::sleep(Duration::from_millis(50));
    let middle = now_ms();
    std::thread::sleep(Duration::from_millis(50));
    let replies = [
        host.ingest(&reply(23, "r1@example.com", "first reply")),
        host.ingest(&reply(24, "r2@example.com", "second reply")),
    ];
    let opened = host.ingest(&single_event("activity.email.opened", 25, "o@example.com"));
    db.wait_idle(SOON);
    assert_eq!(db.totals().events, 8);
    assert_eq!(db.deliveries().len(), 8, "only `log` so far");
    let event_of = |ingested: &crate::support::host::Ingested| format!("{}:0", ingested.webhook_id);
    let reply_events: BTreeSet<String> = replies.iter().map(event_of).collect();

    // Added: reply-forwarder as `fwd`, and event-log again as `audit`.
    env.install(
        "fwd",
        "reply_forwarder",
        Some(&manifest(
            Some(&capture.host()),
            &[("url", &format!("{}/replies", capture.url()))],
            &[],
        )),
    );
    env.install("audit", "event_log", Some(&manifest(None, &[], &[])));
    eventually("fwd and audit to be loaded", SOON, || {
        let list = plugins(&host);
        let loaded = |name: &str| {
            list.iter()
                .any(|p| p["name"] == name && p["loaded"] == true)
        };
        (loaded("fwd") && loaded("audit")).then_some(())
    });
    assert_eq!(deliveries(&host, &[("plugin", "fwd")]), Vec::<Value>::new());
    assert_eq!(
        deliveries(&host, &[("plugin", "audit")]),
        Vec::<Value>::new()
    );
    assert_eq!(capture.len(), 0);

    // fwd over the stored replies.
    let response = host.admin_post(
        "/api/v1/plugins/fwd/backfill",
        Some(&json!({ "event_types": ["activity.email.replied"], "since": 0 })),
    );
    assert_eq!(response.status, 202, "{response:?}");
    let queued = response.json();
    assert_eq!(queued["count"], 2, "{queued}");
    assert_eq!(
        queued["deliveries"].as_array().unwrap().len(),
        2,
        "{queued}"
    );
    let done = eventually_or("the backfilled fwd deliveries to be done", SOON, || {
        let list = deliveries(&host, &[("plugin", "fwd")]);
        if list.len() == 2 && list.iter().all(|d| d["status"] == "done") {
            Ok(list)
        } else {
            Err(format!("{list:#?}"))
        }
    });
    let backfilled: BTreeSet<String> = done
        .iter()
        .map(|d| {
            assert_eq!(d["origin"], "backfill", "{d}");
            assert_eq!(d["replay_of"], Value::Null, "{d}");
            d["event_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(backfilled, reply_events);
    let keys: BTreeSet<String> = eventually("fwd's two requests", SOON, || {
        let requests = capture.requests();
        (requests.len() >= 2).then_some(requests)
    })
    .iter()
    .map(|request| {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/replies")
        );
        request.header("idempotency-key").unwrap_or("").to_owned()
    })
    .collect();
    assert_eq!(keys, reply_events, "one request per stored reply");
    // Again: nothing left, with the types given or the plugin's own.
    for body in [
        json!({ "event_types": ["activity.email.replied"], "since": 0 }),
        json!({ "since": 0 }),
    ] {
        let response = host.admin_post("/api/v1/plugins/fwd/backfill", Some(&body));
        assert_eq!(response.status, 202, "{response:?}");
        assert_eq!(
            response.json(),
            json!({ "count": 0, "deliveries": [] }),
            "{body}"
        );
    }

    // audit (every event) in three steps: several types within a window, several types, then
    // its own subscriptions (all); each event once.
    let step = |body: Value, expected: usize| {
        let response = host.admin_post("/api/v1/plugins/audit/backfill", Some(&body));
        assert_eq!(response.status, 202, "{body}: {response:?}");
        let queued = response.json();
        assert_eq!(queued["count"], expected, "{body}: {queued}");
        db.wait_idle(SOON);
    };
    step(
        json!({
            "event_types": ["prospect.created", "activity.email.replied"],
            "since": 0,
            "until": middle,
        }),
        2,
    );
    let audit_events = || -> BTreeSet<String> {
        deliveries(&host, &[("plugin", "audit")])
            .iter()
            .map(|d| d["event_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        audit_events(),
        created.iter().map(event_of).collect::<BTreeSet<_>>(),
        "only the created events before `until`"
    );
    step(
        json!({
            "event_types": ["prospect.created", "activity.email.replied", "activity.email.sent"],
            "since": 0,
        }),
        5,
    );
    step(json!({ "since": 0 }), 1);
    step(json!({ "since": 0 }), 0);
    let audit = deliveries(&host, &[("plugin", "audit")]);
    assert_eq!(audit.len(), 8);
    let all_events: BTreeSet<String> = db.events().into_iter().map(|event| event.id).collect();
    assert_eq!(audit_events(), all_events, "every stored event once");
    for delivery in &audit {
        assert_eq!(delivery["status"], "done", "{delivery}");
        assert_eq!(delivery["origin"], "backfill", "{delivery}");
    }
    assert!(all_events.contains(&event_of(&opened)));
    assert!(all_events.contains(&format!("{}:2", sent.webhook_id)));

    // Not loaded, and bad bodies.
    let response = host.admin_post(
        "/api/v1/plugins/nope/backfill",
        Some(&json!({ "since": 0 })),
    );
    assert_problem(&response, 404, "plugin-not-loaded");
    for bad in [
        "{}",
        "not json",
        r#"{"since": "yesterday"}"#,
        r#"{"since": 0, "event_types": "prospect.created"}"#,
    ] {
        let response = host.post(
            "/api/v1/plugins/fwd/backfill",
            Some("application/json"),
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
            bad.as_bytes(),
        );
        assert_problem(&response, 400, "invalid-body");
    }
    db.wait_idle(BATCH);
    assert_eq!(
        db.deliveries().len(),
        8 + 2 + 8,
        "log, fwd's backfill and audit's"
    );
    drop(host);
}

/// `"event_types": []` in a backfill cannot widen what a plugin receives: reply-forwarder
/// subscribes to replies only, so a backfill with an empty list of types queues at most replies
/// (or is refused), never every stored event.
#[test]
fn a_backfill_with_an_empty_type_list_stays_within_the_subscriptions() {
    let capture = CaptureServer::start();
    let env = crate::SUITE.env_with(Config::with_admin().reaching_loopback());
    env.install("log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    host.ingest(&prospect_event(
        "prospect.created",
        31,
        "e1@example.com",
        "e1",
    ));
    host.ingest(&single_event("activity.email.opened", 32, "e2@example.com"));
    host.ingest(&reply(33, "e3@example.com", "e3"));
    db.wait_idle(SOON);
    env.install(
        "fwd",
        "reply_forwarder",
        Some(&manifest(
            Some(&capture.host()),
            &[("url", &format!("{}/replies", capture.url()))],
            &[],
        )),
    );
    eventually("fwd to be loaded", SOON, || {
        plugin(&host, "fwd")
            .is_some_and(|p| p["loaded"] == true)
            .then_some(())
    });

    let response = host.admin_post(
        "/api/v1/plugins/fwd/backfill",
        Some(&json!({ "event_types": [], "since": 0 })),
    );
    db.wait_idle(SOON);
    let queued: Vec<String> = deliveries(&host, &[("plugin", "fwd")])
        .iter()
        .map(|d| d["event_type"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        queued
            .iter()
            .all(|event_type| event_type == "activity.email.replied"),
        "a backfill of `fwd` (subscribed to activity.email.replied) with \"event_types\": [] \
         queued deliveries of other types: {queued:?} (answer: {response:?})"
    );
    // Refused, saying how to ask for every subscribed type.
    let problem = assert_problem(&response, 400, "invalid-body");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("event_types is empty")),
        "{problem}"
    );
    assert!(queued.is_empty(), "nothing queued: {queued:?}");
    drop(host);
}
