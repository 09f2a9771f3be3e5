//! The admin API refuses what its OpenAPI document declares refused and accepts what it declares
//! accepted (the conformance run, `cargo xtask conformance`, checks the same with generated
//! requests; these pin the cases it found).

use serde_json::json;

use crate::support::admin::{assert_problem, get_json, plugin};
use crate::support::host::{ADMIN_TOKEN, Config, Env, Host};
use crate::support::plugins::manifest_for;
use crate::support::{SOON, eventually};

/// A host with the admin API and `log` (event-log) subscribed to `prospect.created` only.
fn host_with_log(env: &Env) -> Host {
    env.install(
        "log",
        "event_log",
        Some(&manifest_for(&["prospect.created"], None, &[], &[])),
    );
    let host = env.start();
    eventually("log to be loaded", SOON, || {
        plugin(&host, "log")
            .is_some_and(|p| p["loaded"] == true)
            .then_some(())
    });
    host
}

/// `POST path` with the admin token, `content_type` and `body` as they are.
fn post_raw(
    host: &Host,
    path: &str,
    content_type: &str,
    body: &str,
) -> crate::support::host::Response {
    host.post(
        path,
        Some(content_type),
        &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        body.as_bytes(),
    )
}

/// A query parameter the list does not take is refused, naming it and the ones it takes
/// (`?type=` used to return everything); so are cursors that no page gave out and times outside
/// 0..=9999-12-31. A whole number written with a zero fraction is the integer it equals.
#[test]
fn the_lists_refuse_unknown_parameters_foreign_cursors_and_times_out_of_range() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    for (path, parameter, accepted) in [
        ("/api/v1/events?type=prospect.created", "type", "event_type"),
        ("/api/v1/deliveries?state=dead", "state", "status"),
    ] {
        let problem = assert_problem(&host.admin_get(path), 400, "invalid-query");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("`{parameter}`")) && detail.contains(accepted),
            "{path}: names the parameter and the accepted ones: {problem}"
        );
    }
    for bad in [
        "/api/v1/events?cursor=",
        "/api/v1/events?cursor=x",
        "/api/v1/events?cursor=01JAAAAAAAAAAAAAAAAAAAAAAA",
        "/api/v1/deliveries?cursor=",
        "/api/v1/deliveries?cursor=-5",
        "/api/v1/deliveries?cursor=007",
        "/api/v1/events?since=-1",
        "/api/v1/events?until=253402300800000",
        "/api/v1/events?since=1.5",
        "/api/v1/deliveries?status=replayed",
    ] {
        assert_problem(&host.admin_get(bad), 400, "invalid-query");
    }
    for good in [
        "/api/v1/events?cursor=01JAAAAAAAAAAAAAAAAAAAAAAA:0&since=0&until=253402300799999",
        "/api/v1/events?since=5.0",
        "/api/v1/deliveries?cursor=42&status=dead&limit=500",
    ] {
        assert_eq!(get_json(&host, good)["items"], json!([]), "{good}");
    }
    drop(host);
}

/// A backfill body is exactly `event_types`, `since` and `until`: another member, a time out of
/// range or a fraction is refused (400), a whole number with a zero fraction accepted; a body
/// not sent as JSON is 415; types the plugin does not subscribe to are a conflict with its
/// subscriptions (409 `not-subscribed`), not a malformed request.
#[test]
fn a_backfill_body_is_taken_as_declared() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = host_with_log(&env);
    let path = "/api/v1/plugins/log/backfill";
    for bad in [
        r#"{"since": 0, "extra": 1}"#,
        r#"{"since": -1}"#,
        r#"{"since": 1.5}"#,
        r#"{"since": 0, "until": 253402300800000}"#,
        r#"{"since": "0"}"#,
        r#"{"since": 0, "event_types": []}"#,
    ] {
        assert_problem(
            &post_raw(&host, path, "application/json", bad),
            400,
            "invalid-body",
        );
    }
    let response = post_raw(
        &host,
        path,
        "application/json",
        r#"{"since": 2647452572.0}"#,
    );
    assert_eq!(response.status, 202, "{response:?}");
    assert_eq!(response.json()["count"], 0, "{response:?}");
    assert_problem(
        &post_raw(&host, path, "text/plain", r#"{"since": 0}"#),
        415,
        "unsupported-media-type",
    );
    let problem = assert_problem(
        &post_raw(
            &host,
            path,
            "application/json",
            r#"{"since": 0, "event_types": ["prospect.created", "activity.email.sent"]}"#,
        ),
        409,
        "not-subscribed",
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("activity.email.sent"),
        "{problem}"
    );
    drop(host);
}

/// A plugin route's `{name}` must be a plugin name (letters, digits, `_`, `-`), else 400
/// `invalid-path`: replaying the dead letters of `null,null` used to answer 202.
#[test]
fn plugin_routes_refuse_what_cannot_be_a_plugin_name() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = host_with_log(&env);
    for name in ["null%2Cnull", "a.b", "%20"] {
        let response = host.admin_post(&format!("/api/v1/plugins/{name}/replay-dead"), None);
        assert_problem(&response, 400, "invalid-path");
        let response = host.admin_post(
            &format!("/api/v1/plugins/{name}/backfill"),
            Some(&json!({ "since": 0 })),
        );
        assert_problem(&response, 400, "invalid-path");
    }
    let response = host.admin_post("/api/v1/plugins/gone_plugin-2/replay-dead", None);
    assert_eq!(response.status, 202, "{response:?}");
    assert_eq!(response.json()["count"], 0, "{response:?}");
    drop(host);
}

/// The OpenAPI document is public (it describes routes, never data) and is the committed one.
#[test]
fn the_openapi_document_is_public_and_the_committed_one() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    let response = host.get_with_token("/api/v1/openapi.json", None);
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    let committed =
        std::fs::read_to_string(crate::support::repo_root().join("schema/openapi.json")).unwrap();
    assert_eq!(response.body, committed);
    drop(host);
}
