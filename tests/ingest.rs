//! Ingest, end to end through the binary: every documented event fixture through the four example
//! plugins (snapshots of what they sent and of their delivery records), the quirks the receiver
//! must accept, bad input refused with its status and nothing stored, signed sources, and
//! redeliveries processed once.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

use serde::Serialize;
use serde_json::{Value, json};
use support::capture::{CaptureServer, Captured};
use support::db::{Db, Totals};
use support::host::{Config, Env, Ingested, Response, SOURCE, Source, TOKEN, hook_path};
use support::payload::{fixture_json, prospect_event, secret, sign};
use support::plugins::manifest;
use support::{BATCH, fixture, fixture_names, now_ms};

/// The four example plugins, their manifests pointing every endpoint at `capture`. Returns the
/// environment and each plugin's SHA-256.
fn example_plugins(capture: &CaptureServer, config: Config) -> (Env, BTreeMap<String, String>) {
    let env = Env::with_config(config);
    let allowed = capture.host();
    let url = capture.url();
    let plugins = [
        (
            "crm-sync",
            "crm_sync",
            manifest(
                Some(&allowed),
                &[
                    ("endpoint", &format!("{url}/crm/api/v1")),
                    ("api_token", "test-crm-token"),
                ],
                &[],
            ),
        ),
        ("event-log", "event_log", manifest(None, &[], &[])),
        (
            "slack-replies",
            "slack_replies",
            manifest(
                Some(&allowed),
                &[(
                    "webhook_url",
                    &format!("{url}/slack/services/T000/B000/XXXX"),
                )],
                &[],
            ),
        ),
        (
            "suppression",
            "suppression",
            manifest(
                Some(&allowed),
                &[("endpoint", &format!("{url}/suppression/v1/suppressions"))],
                &[],
            ),
        ),
    ];
    let mut hashes = BTreeMap::new();
    for (name, crate_name, manifest) in plugins {
        let hash = env.install(name, crate_name, Some(&manifest));
        hashes.insert(name.to_owned(), hash);
    }
    (env, hashes)
}

/// The example plugins that subscribe to `event_type`, sorted.
fn subscribers(event_type: &str) -> Vec<&'static str> {
    let mut plugins = vec!["event-log"];
    match event_type {
        "prospect.created" | "prospect.updated" | "prospect.created_or_updated" => {
            plugins.push("crm-sync");
        }
        "activity.email.replied" => plugins.push("slack-replies"),
        "activity.email.bounced" | "activity.email.invalid" | "activity.prospect.opted_out" => {
            plugins.push("suppression");
        }
        _ => {}
    }
    plugins.sort_unstable();
    plugins
}

/// `value` with every map's keys inserted in sorted order (stable output whatever serde_json's
/// map type) and every string passed through `fix`.
fn normalise(value: &Value, fix: &dyn Fn(&str) -> String) -> Value {
    match value {
        Value::String(text) => Value::String(fix(text)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| normalise(item, fix)).collect())
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = serde_json::Map::new();
            for key in keys {
                sorted.insert(key.clone(), normalise(&map[key], fix));
            }
            Value::Object(sorted)
        }
        other => other.clone(),
    }
}

/// One attempt as the snapshot shows it: no id, timestamp or duration.
#[derive(Serialize)]
struct AttemptView {
    attempt: i64,
    plugin_hash: String,
    outcome: String,
    detail: Option<String>,
    logs: Value,
    requests: Value,
}

/// One delivery as the snapshot shows it.
#[derive(Serialize)]
struct DeliveryView {
    plugin: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    runs: Vec<AttemptView>,
}

/// One event of the webhook as the snapshot shows it.
#[derive(Serialize)]
struct EventView {
    event_id: String,
    event_type: String,
    prospect_id: Option<String>,
    email: Option<String>,
    deliveries: Vec<DeliveryView>,
}

/// What one fixture's snapshot shows.
#[derive(Serialize)]
struct FixtureRun {
    answer: Value,
    events: Vec<EventView>,
    /// What the plugins sent, as the capture server received it, sorted.
    requests: Vec<Captured>,
}

#[test]
fn signature_helper_matches_the_standard_webhooks_example() {
    // The example of the Standard Webhooks reference libraries: if the harness signs this right,
    // its signatures below are the ones a sender makes.
    assert_eq!(
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

/// Every documented event, posted as its fixture to a host running the four example plugins:
/// each is stored as sent, gets one delivery per subscribed plugin, every delivery is done, and
/// the snapshot shows the requests the plugins made and their delivery records.
#[test]
fn every_documented_event_through_the_example_plugins() {
    let started_ms = now_ms();
    let capture = CaptureServer::start();
    let (env, hashes) = example_plugins(&capture, Config::default());
    let host = env.start();
    let db = env.db();

    let names = fixture_names("events");
    assert_eq!(
        names.len(),
        13,
        "one fixture per documented event type: {names:?}"
    );
    for event_type in &names {
        let body = fixture(&format!("events/{event_type}.json"));
        let payload: Value = serde_json::from_slice(&body).unwrap();
        let items = payload["data"].as_array().unwrap();
        let plugins = subscribers(event_type);

        let mark = capture.len();
        let answer = host.post_webhook(&body);
        assert_eq!(answer.status, 202, "{event_type}: {answer:?}");
        let answer_json = answer.json();
        let webhook_id = answer_json["webhook_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{event_type}: no webhook_id in {answer_json}"))
            .to_owned();
        assert_eq!(
            answer_json["duplicate"],
            json!(false),
            "{event_type}: {answer_json}"
        );
        assert_eq!(
            answer_json["events"],
            json!(items.len()),
            "{event_type}: {answer_json}"
        );
        assert_eq!(
            answer_json["deliveries"],
            json!(items.len() * plugins.len()),
            "{event_type}: one delivery per item and subscribed plugin {plugins:?}: {answer_json}"
        );

        // Stored as it arrived.
        let webhook = db
            .webhooks()
            .into_iter()
            .find(|webhook| webhook.id == webhook_id)
            .unwrap_or_else(|| panic!("{event_type}: webhook {webhook_id} is not stored"));
        assert_eq!(webhook.source, SOURCE);
        assert_eq!(&webhook.event_type, event_type);
        assert!(
            db.webhook_body(&webhook_id) == body,
            "{event_type}: the stored body differs from the one sent"
        );

        let deliveries = db.wait_webhook_finished(&webhook_id, items.len() * plugins.len());
        let requests = capture.requests()[mark..].to_vec();

        let events = db.events_of(&webhook_id);
        assert_eq!(
            events.len(),
            items.len(),
            "{event_type}: one event per data item"
        );
        let mut event_views = Vec::new();
        for (index, (event, item)) in events.iter().zip(items).enumerate() {
            assert_eq!(event.id, format!("{webhook_id}:{index}"));
            assert_eq!(event.item_index, index as i64);
            assert_eq!(&event.event_type, event_type);
            assert_eq!(
                event.prospect_id.as_deref(),
                Some(item["prospect"]["prospect_id"].to_string().as_str()),
                "{event_type}: the event's prospect id"
            );
            let mut delivery_views = Vec::new();
            let mut of_event: Vec<_> = deliveries
                .iter()
                .filter(|delivery| delivery.event_id == event.id)
                .collect();
            of_event.sort_by(|a, b| a.plugin.cmp(&b.plugin));
            assert_eq!(
                of_event
                    .iter()
                    .map(|d| d.plugin.as_str())
                    .collect::<Vec<_>>(),
                plugins,
                "{event_type}: the plugins that got event {}",
                event.id
            );
            for delivery in of_event {
                assert_eq!(
                    delivery.status, "done",
                    "{event_type}: delivery to {}: {delivery:?}",
                    delivery.plugin
                );
                assert_eq!(delivery.prospect_id, event.prospect_id);
                let attempts = db.attempts_of(delivery.id);
                assert_eq!(
                    attempts.len() as i64,
                    delivery.attempts,
                    "{event_type}: the delivery's attempt count and its attempt rows"
                );
                let mut runs = Vec::new();
                for (number, attempt) in attempts.iter().enumerate() {
                    assert_eq!(attempt.attempt, number as i64 + 1, "attempts count from 1");
                    assert_eq!(
                        attempt.plugin_hash, hashes[&delivery.plugin],
                        "{event_type}: an attempt records the SHA-256 of the plugin that ran"
                    );
                    assert!(
                        attempt.started_at >= started_ms - 1000 && attempt.started_at <= now_ms(),
                        "{event_type}: started_at {} is a time during this test (ms)",
                        attempt.started_at
                    );
                    assert!(attempt.duration_us >= 0);
                    runs.push(AttemptView {
                        attempt: attempt.attempt,
                        plugin_hash: format!("[sha256 of {}.wasm]", delivery.plugin),
                        outcome: attempt.outcome.clone(),
                        detail: attempt.detail.clone(),
                        logs: attempt.logs.clone(),
                        requests: attempt.requests.clone(),
                    });
                }
                delivery_views.push(DeliveryView {
                    plugin: delivery.plugin.clone(),
                    status: delivery.status.clone(),
                    attempts: delivery.attempts,
                    last_error: delivery.last_error.clone(),
                    runs,
                });
            }
            event_views.push(EventView {
                event_id: event.id.clone(),
                event_type: event.event_type.clone(),
                prospect_id: event.prospect_id.clone(),
                email: event.email.clone(),
                deliveries: delivery_views,
            });
        }

        // Every request a plugin made is one of this webhook's, and none is unexpected.
        for request in &requests {
            if let Some(key) = request.header("idempotency-key") {
                assert!(
                    key.starts_with(&format!("{webhook_id}:")),
                    "{event_type}: the idempotency key {key} is an event id of this webhook"
                );
            }
        }

        let run = FixtureRun {
            answer: json!({
                "status": answer.status,
                "webhook_id": webhook_id,
                "events": answer_json["events"],
                "deliveries": answer_json["deliveries"],
                "duplicate": answer_json["duplicate"],
            }),
            events: event_views,
            requests,
        };
        let capture_host = capture.host();
        let fix = |text: &str| {
            text.replace(&webhook_id, "[webhook_id]")
                .replace(&capture_host, "[capture]")
        };
        let mut snapshot = normalise(&serde_json::to_value(&run).unwrap(), &fix);
        // Requests of one webhook may arrive in any order: sort them.
        if let Some(requests) = snapshot["requests"].as_array_mut() {
            requests.sort_by_key(|request| request.to_string());
        }
        insta::assert_yaml_snapshot!(format!("events@{event_type}"), snapshot);
    }
    // Nothing else was sent, and every plugin ran only on what it subscribes to.
    assert_eq!(db.open_deliveries(), 0);
    drop(host);
}

/// The quirks of `tests/fixtures/quirks/` are accepted and reach the plugins normalised.
#[test]
fn quirks_are_accepted_and_normalised() {
    let capture = CaptureServer::start();
    let env = Env::new();
    env.install("event-log", "event_log", Some(&manifest(None, &[], &[])));
    env.install(
        "crm-sync",
        "crm_sync",
        Some(&manifest(
            Some(&capture.host()),
            &[("endpoint", &format!("{}/crm", capture.url()))],
            &[],
        )),
    );
    let host = env.start();
    let db = env.db();

    let names = fixture_names("quirks");
    assert_eq!(names.len(), 9, "{names:?}");
    let mut webhooks = BTreeMap::new();
    for name in &names {
        let body = fixture(&format!("quirks/{name}.json"));
        let items = fixture_json(&format!("quirks/{name}.json"))["data"]
            .as_array()
            .unwrap()
            .len();
        let ingested = host.ingest(&body);
        assert_eq!(ingested.events, items as u64, "{name}");
        let deliveries =
            db.wait_webhook_finished(&ingested.webhook_id, ingested.deliveries as usize);
        for delivery in &deliveries {
            assert_eq!(delivery.status, "done", "{name}: {delivery:?}");
        }
        webhooks.insert(name.clone(), (ingested, deliveries));
    }

    let event_of = |name: &str| {
        let events = db.events_of(&webhooks[name].0.webhook_id);
        assert_eq!(events.len(), 1, "{name}");
        events.into_iter().next().unwrap()
    };
    let plugins_of = |name: &str| {
        let mut plugins: Vec<String> = webhooks[name].1.iter().map(|d| d.plugin.clone()).collect();
        plugins.sort();
        plugins
    };

    // A test ping: stored, nothing to deliver.
    let (ping, ping_deliveries) = &webhooks["empty-data"];
    assert_eq!((ping.events, ping.deliveries), (0, 0));
    assert!(ping_deliveries.is_empty());
    assert!(
        db.webhooks()
            .iter()
            .any(|webhook| webhook.id == ping.webhook_id)
    );

    // An unknown event type keeps its name and reaches the plugins that take every event.
    let unknown = event_of("unknown-event-type");
    assert_eq!(unknown.event_type, "activity.linkedin.connection_accepted");
    assert_eq!(plugins_of("unknown-event-type"), ["event-log"]);
    let logged = db.attempts_of(webhooks["unknown-event-type"].1[0].id);
    assert!(
        logged[0]
            .logs
            .to_string()
            .contains("event=activity.linkedin.connection_accepted"),
        "event-log logged the unknown type: {:?}",
        logged[0].logs
    );

    // Legacy event type names are stored normalised.
    assert_eq!(
        event_of("legacy-event-type").event_type,
        "activity.email.opened"
    );
    assert_eq!(
        event_of("prospect-email-field").event_type,
        "activity.email.opened"
    );

    // `prospect_email` stands in for a missing `email`; `email` wins when both are set.
    assert_eq!(
        event_of("prospect-email-only").email.as_deref(),
        fixture_json("quirks/prospect-email-only.json")["data"][0]["prospect"]["prospect_email"]
            .as_str()
    );
    assert_eq!(
        event_of("both-email-fields").email.as_deref(),
        Some("ana@new.example")
    );
    assert_eq!(plugins_of("both-email-fields"), ["crm-sync", "event-log"]);
    let crm: Vec<Captured> = capture
        .requests()
        .into_iter()
        .filter(|request| {
            request.header("idempotency-key")
                == Some(&format!("{}:0", webhooks["both-email-fields"].0.webhook_id))
        })
        .collect();
    assert_eq!(crm.len(), 1, "crm-sync synced the prospect once: {crm:?}");
    assert_eq!(crm[0].body["email"], "ana@new.example");
    drop(host);
}

/// A refused request's status.
fn assert_refused(what: &str, response: &Response, status: u16) {
    assert_eq!(response.status, status, "{what}: {response:?}");
}

/// Checks a problem document (`application/problem+json`) and returns it.
fn assert_problem(what: &str, response: &Response, status: u16, slug: Option<&str>) -> Value {
    assert_refused(what, response, status);
    let content_type = response.content_type.as_deref().unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "{what}: a problem document, not {content_type:?}: {response:?}"
    );
    let problem = response.json();
    let kind = problem["type"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no type: {problem}"));
    match slug {
        Some(slug) => assert_eq!(kind, format!("/problems/{slug}"), "{what}: {problem}"),
        None => assert!(kind.starts_with("/problems/"), "{what}: {problem}"),
    }
    assert_eq!(problem["status"], json!(status), "{what}: {problem}");
    for field in ["title", "detail"] {
        assert!(
            problem[field].as_str().is_some_and(|text| !text.is_empty()),
            "{what}: a non-empty {field}: {problem}"
        );
    }
    problem
}

/// Checks that nothing was stored (or run) since `before`.
fn assert_nothing_stored(what: &str, db: &Db, before: Totals) {
    assert_eq!(db.totals(), before, "{what}: nothing may be stored");
}

/// `body` padded with trailing spaces (still the same JSON) to exactly `len` bytes.
fn padded(body: &[u8], len: usize) -> Vec<u8> {
    assert!(body.len() <= len);
    let mut padded = body.to_vec();
    padded.resize(len, b' ');
    padded
}

/// Bad requests: each refused with its documented status (and a problem document, for a webhook
/// URL), nothing stored or processed.
#[test]
fn bad_requests_are_refused_and_nothing_is_stored() {
    let config = Config {
        max_body_bytes: 64 * 1024,
        ..Config::default()
    };
    let env = Env::with_config(config);
    env.install("event-log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    let path = hook_path(TOKEN);
    let json_type = Some("application/json");
    let good = fixture("events/prospect.updated.json");
    let empty = db.totals();
    assert_eq!(
        empty,
        Totals {
            webhooks: 0,
            events: 0,
            deliveries: 0,
            attempts: 0
        }
    );

    // Unknown token, or not a webhook URL at all.
    for (what, path) in [
        ("unknown token", hook_path("wrong-token-0123456789abcdef")),
        ("token of another length", hook_path("short")),
        ("the token in capitals", hook_path(&TOKEN.to_uppercase())),
    ] {
        let response = host.post(&path, json_type, &[], &good);
        assert_problem(what, &response, 404, None);
        assert_nothing_stored(what, &db, empty);
    }
    let response = host.post(&format!("/hooks/other/{TOKEN}"), json_type, &[], &good);
    assert_refused("another path", &response, 404);
    assert_nothing_stored("another path", &db, empty);

    // Not JSON by its content type.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let what = format!("content type {content_type:?}");
        let response = host.post(&path, content_type, &[], &good);
        assert_problem(&what, &response, 415, None);
        assert_nothing_stored(&what, &db, empty);
    }

    // One byte over the limit.
    let response = host.post(&path, json_type, &[], &padded(&good, 64 * 1024 + 1));
    assert_problem("a body over max_body_bytes", &response, 413, None);
    assert_nothing_stored("a body over max_body_bytes", &db, empty);

    // Not JSON, or not a SmartReach payload: a problem naming where.
    let mut problems = BTreeMap::new();
    for name in fixture_names("invalid") {
        let body = fixture(&format!("invalid/{name}.json"));
        let syntax = matches!(
            name.as_str(),
            "seed-webhook-example" | "seed-prospect-example" | "truncated"
        );
        let slug = if syntax {
            "invalid-json"
        } else {
            "invalid-payload"
        };
        let response = host.post(&path, json_type, &[], &body);
        let problem = assert_problem(&name, &response, 400, Some(slug));
        let detail = problem["detail"].as_str().unwrap().to_lowercase();
        if syntax {
            assert!(
                detail.contains("line") && detail.contains("column"),
                "{name}: the detail names the line and column: {problem}"
            );
        } else {
            let path = match name.as_str() {
                "prospect-id-letters" => "data[0].prospect.prospect_id",
                "missing-metadata" => "metadata",
                "data-not-array" => "data",
                "timestamp-as-string" => "metadata.received_at",
                "custom-fields-not-object" => "data[0].prospect.custom_fields",
                other => panic!("a new invalid fixture {other}: say what its problem names"),
            };
            assert!(
                detail.contains(path),
                "{name}: the detail names the JSON path {path}: {problem}"
            );
        }
        assert_nothing_stored(&name, &db, empty);
        problems.insert(
            name,
            json!({
                "status": response.status,
                "content_type": response.content_type,
                "type": problem["type"],
                "title": problem["title"],
                "detail": problem["detail"],
            }),
        );
    }
    assert_eq!(problems.len(), 8, "{:?}", problems.keys());
    insta::assert_yaml_snapshot!("invalid_fixture_problems", problems);

    for (what, body, slug) in [
        ("an empty body", &b""[..], "invalid-json"),
        ("a JSON array", &b"[]"[..], "invalid-payload"),
        ("a JSON string", &b"\"hello\""[..], "invalid-payload"),
        (
            "trailing garbage",
            &b"{\"metadata\": {\"event_type\": \"prospect.created\"}, \"data\": []} x"[..],
            "invalid-json",
        ),
    ] {
        let response = host.post(&path, json_type, &[], body);
        assert_problem(what, &response, 400, Some(slug));
        assert_nothing_stored(what, &db, empty);
    }

    // The limits are exact: a body of exactly max_body_bytes is taken, as is a JSON content type
    // with parameters.
    let at_limit = host.post(&path, json_type, &[], &padded(&good, 64 * 1024));
    assert_eq!(
        at_limit.status, 202,
        "a body of exactly max_body_bytes: {at_limit:?}"
    );
    let with_charset = host.post(
        &path,
        Some("application/json; charset=utf-8"),
        &[],
        &prospect_event("prospect.updated", 1, "charset@example.com", "charset"),
    );
    assert_eq!(
        with_charset.status, 202,
        "application/json; charset=utf-8: {with_charset:?}"
    );

    // Those two were processed, and nothing else ever was.
    db.wait_idle(support::SOON);
    assert_eq!(
        db.totals(),
        Totals {
            webhooks: 2,
            events: 2,
            deliveries: 2,
            attempts: 2
        },
        "only the two accepted webhooks were stored and run"
    );
    drop(host);
}

/// A source with signing secrets takes only correctly signed webhooks (Standard Webhooks); a
/// source without them takes unsigned ones.
#[test]
fn a_signed_source_needs_a_valid_signature() {
    const SIGNED_TOKEN: &str = "signed-token-0123456789abcdef";
    let mut config = Config::default();
    config.sources.push(Source {
        name: "signed".to_owned(),
        tokens: vec![SIGNED_TOKEN.to_owned()],
        signing_secrets: vec![secret(1), secret(2)],
    });
    let env = Env::with_config(config);
    env.install("event-log", "event_log", Some(&manifest(None, &[], &[])));
    let host = env.start();
    let db = env.db();
    let path = hook_path(SIGNED_TOKEN);
    let json_type = Some("application/json");
    let now = now_ms() / 1000;
    let body = |n: i64| {
        prospect_event(
            "prospect.updated",
            100 + n,
            "signed@example.com",
            &format!("signed {n}"),
        )
    };
    let post = |body: &[u8], id: Option<&str>, timestamp: Option<i64>, signature: Option<&str>| {
        let timestamp = timestamp.map(|t| t.to_string());
        let mut headers = Vec::new();
        if let Some(id) = id {
            headers.push(("webhook-id", id));
        }
        if let Some(timestamp) = &timestamp {
            headers.push(("webhook-timestamp", timestamp.as_str()));
        }
        if let Some(signature) = signature {
            headers.push(("webhook-signature", signature));
        }
        host.post(&path, json_type, &headers, body)
    };
    let empty = db.totals();

    let b = body(0);
    let good = sign(&secret(1), "msg_1", now, &b);
    let refused: Vec<(&str, Response)> = vec![
        ("no signature headers", post(&b, None, None, None)),
        (
            "no signature header",
            post(&b, Some("msg_1"), Some(now), None),
        ),
        ("no id header", post(&b, None, Some(now), Some(&good))),
        (
            "no timestamp header",
            post(&b, Some("msg_1"), None, Some(&good)),
        ),
        (
            "signed with an unknown secret",
            post(
                &b,
                Some("msg_1"),
                Some(now),
                Some(&sign(&secret(9), "msg_1", now, &b)),
            ),
        ),
        (
            "signature of another body",
            post(&body(1), Some("msg_1"), Some(now), Some(&good)),
        ),
        (
            "signature of another id",
            post(&b, Some("msg_2"), Some(now), Some(&good)),
        ),
        (
            "signature of another timestamp",
            post(&b, Some("msg_1"), Some(now + 1), Some(&good)),
        ),
        (
            "a malformed signature",
            post(&b, Some("msg_1"), Some(now), Some("v1,not base64!")),
        ),
        (
            "a timestamp 10 minutes old (tolerance 5 m)",
            post(
                &b,
                Some("msg_1"),
                Some(now - 600),
                Some(&sign(&secret(1), "msg_1", now - 600, &b)),
            ),
        ),
        (
            "a timestamp 10 minutes ahead (tolerance 5 m)",
            post(
                &b,
                Some("msg_1"),
                Some(now + 600),
                Some(&sign(&secret(1), "msg_1", now + 600, &b)),
            ),
        ),
    ];
    for (what, response) in &refused {
        assert_problem(what, response, 401, None);
        assert_nothing_stored(what, &db, empty);
    }

    // Correctly signed: with either secret (rotation), or among several signatures.
    let accepted = [
        (
            "signed with the first secret",
            post(&b, Some("msg_1"), Some(now), Some(&good)),
        ),
        (
            "signed with the second secret",
            post(
                &body(2),
                Some("msg_2"),
                Some(now),
                Some(&sign(&secret(2), "msg_2", now, &body(2))),
            ),
        ),
        (
            "a good signature after a bad one",
            post(
                &body(3),
                Some("msg_3"),
                Some(now),
                Some(&format!(
                    "{} {}",
                    sign(&secret(9), "msg_3", now, &body(3)),
                    sign(&secret(1), "msg_3", now, &body(3))
                )),
            ),
        ),
    ];
    for (what, response) in &accepted {
        assert_eq!(response.status, 202, "{what}: {response:?}");
    }
    // A source without secrets needs no signature.
    let unsigned = host.post(&hook_path(TOKEN), json_type, &[], &body(4));
    assert_eq!(unsigned.status, 202, "unsigned source: {unsigned:?}");

    db.wait_idle(support::SOON);
    let totals = db.totals();
    assert_eq!(
        (totals.webhooks, totals.deliveries, totals.attempts),
        (4, 4, 4),
        "{totals:?}"
    );
    let sources: Vec<String> = db
        .webhooks()
        .into_iter()
        .map(|webhook| webhook.source)
        .collect();
    assert_eq!(
        sources.iter().filter(|source| *source == "signed").count(),
        3,
        "{sources:?}"
    );
    drop(host);
}

/// SmartReach redelivers a webhook it is unsure about: an identical body is recognised (200, the
/// first one's id), stored and processed once, also when both copies arrive at the same time.
#[test]
fn an_identical_redelivery_is_processed_once() {
    let capture = CaptureServer::start();
    let env = Env::new();
    env.install("event-log", "event_log", Some(&manifest(None, &[], &[])));
    env.install(
        "crm-sync",
        "crm_sync",
        Some(&manifest(
            Some(&capture.host()),
            &[("endpoint", &format!("{}/crm", capture.url()))],
            &[],
        )),
    );
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
    db.wait_idle(support::SOON);
    check_duplicate("after it was processed");
    db.wait_idle(support::SOON);

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
