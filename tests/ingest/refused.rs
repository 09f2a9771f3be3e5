//! Bad input refused with its documented status and nothing stored, and signed sources.

use std::collections::BTreeMap;

use serde_json::json;

use crate::support::admin::assert_problem;
use crate::support::db::{Db, Totals};
use crate::support::host::{Config, Response, Source, TOKEN, hook_path};
use crate::support::payload::{prospect_event, secret, sign};
use crate::support::{fixture, fixture_names, now_ms};

/// A refused request's status.
fn assert_refused(what: &str, response: &Response, status: u16) {
    assert_eq!(response.status, status, "{what}: {response:?}");
}

/// Checks that nothing was stored (or run) since `before`.
fn assert_nothing_stored(what: &str, db: &Db, before: Totals) {
    assert_eq!(db.totals(), before, "{what}: nothing may be stored");
}

/// `body` padded with trailing spaces (still the same JSON) to exactly `len` bytes.
/// A refusal sent before the body was read says that the connection closes, so that the sender's
/// client does not send its next webhook on it.
fn assert_closes(what: &str, response: &Response) {
    assert_eq!(
        response.header("connection"),
        Some("close"),
        "{what}: {response:?}"
    );
}

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
    let env = crate::SUITE.env_with(config);
    env.install_event_log();
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
        assert_problem(&response, 404, "unknown-token");
        assert_closes(what, &response);
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
        assert_problem(&response, 415, "unsupported-media-type");
        assert_closes(&what, &response);
        assert_nothing_stored(&what, &db, empty);
    }

    // One byte over the limit.
    let response = host.post(&path, json_type, &[], &padded(&good, 64 * 1024 + 1));
    assert_problem(&response, 413, "body-too-large");
    assert_closes("a body over max_body_bytes", &response);
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
        let problem = assert_problem(&response, 400, slug);
        // The body was read whole: the connection stays open for the next webhook.
        assert_eq!(response.header("connection"), None, "{name}");
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
        assert_problem(&response, 400, slug);
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
    db.wait_idle(crate::support::SOON);
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
    let env = crate::SUITE.env_with(config);
    env.install_event_log();
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
        assert_problem(response, 401, "invalid-signature");
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

    db.wait_idle(crate::support::SOON);
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
