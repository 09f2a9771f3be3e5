//! Ingest, end to end through the binary: every documented event fixture through the four example
//! plugins (snapshots of what they sent and of their delivery records), the quirks the receiver
//! must accept, bad input refused with its status and nothing stored, signed sources, and
//! redeliveries processed once.

use smartreach_hooks_tests as support;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: support::host::Suite = support::host::Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

mod redelivery;
mod refused;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use support::capture::{CaptureServer, Captured};
use support::host::{Config, Env, SOURCE};
use support::payload::{fixture_json, sign};
use support::plugins::manifest;
use support::{fixture, fixture_names, now_ms};

/// The four example plugins, their manifests pointing every endpoint at `capture`. Returns the
/// environment and each plugin's SHA-256.
fn example_plugins(capture: &CaptureServer, config: Config) -> (Env, BTreeMap<String, String>) {
    let env = SUITE.env_with(config);
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
    let (env, hashes) = example_plugins(&capture, Config::default().reaching_loopback());
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
    let env = SUITE.env_with(Config::default().reaching_loopback());
    env.install_event_log();
    env.install_crm_sync(&capture);
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

/// An integer field written as a whole float (`7854240.0`: an integer to JSON Schema, and so to
/// the ingest route's OpenAPI document) is stored as that integer, and the plugins get the
/// integer; a fraction is refused, naming the field.
#[test]
fn an_integer_written_as_a_whole_float_is_that_integer() {
    let env = SUITE.env();
    env.install_event_log();
    let host = env.start();
    let db = env.db();

    let strict = String::from_utf8(support::payload::prospect_event(
        "prospect.created",
        7_854_240,
        "whole@example.com",
        "whole",
    ))
    .unwrap();
    let whole = strict.replace("\"prospect_id\":7854240", "\"prospect_id\":7854240.0");
    assert_ne!(whole, strict, "the id is written as a float");
    let ingested = host.ingest(whole.as_bytes());
    let deliveries = db.wait_webhook_finished(&ingested.webhook_id, 1);
    assert_eq!(deliveries[0].status, "done", "{deliveries:?}");
    let events = db.events_of(&ingested.webhook_id);
    assert_eq!(events[0].prospect_id.as_deref(), Some("7854240"));
    let logs = db.attempts_of(deliveries[0].id)[0].logs.to_string();
    assert!(logs.contains("prospect_id=7854240 "), "{logs}");

    let before = db.totals();
    let fraction = strict.replace("\"prospect_id\":7854240", "\"prospect_id\":7854240.5");
    let problem = support::admin::assert_problem(
        &host.post_webhook(fraction.as_bytes()),
        400,
        "invalid-payload",
    );
    assert_eq!(problem["path"], "data[0].prospect.prospect_id", "{problem}");
    assert_eq!(db.totals(), before, "nothing stored");
}
