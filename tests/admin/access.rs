//! Who may use the admin API: the bearer token, and the API switched off.

use serde_json::{Value, json};

use crate::support::admin::{assert_problem, get_json, plugins};
use crate::support::host::{ADMIN_TOKEN, Config};
use crate::support::payload::prospect_event;

/// `GET` of every admin route without a token, with a wrong one, and with the right one: only
/// the right token gets through; the others get 401 problems that ask for a bearer token. The
/// host's other routes need no token.
#[test]
fn the_admin_api_needs_the_admin_token() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();

    let check_unauthorized = |response: &crate::support::host::Response, what: &str| {
        let problem = assert_problem(response, 401, "unauthorized");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer"),
            "{what}: a 401 names the scheme: {response:?}"
        );
        assert!(
            !response.body.contains(ADMIN_TOKEN),
            "{what}: the answer never shows the token: {problem}"
        );
    };

    let reads = [
        "/api/v1/events",
        "/api/v1/events/01JAAAAAAAAAAAAAAAAAAAAAAA:0",
        "/api/v1/deliveries",
        "/api/v1/deliveries?status=dead",
        "/api/v1/plugins",
    ];
    let wrong = [
        "Bearer wrong-token-0123456789abcdef".to_owned(),
        format!("Bearer {ADMIN_TOKEN}x"),
        format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]),
        "Bearer ".to_owned(),
        // The token without the scheme, and another scheme.
        ADMIN_TOKEN.to_owned(),
        format!("Basic {ADMIN_TOKEN}"),
    ];
    for path in reads {
        let response = host.get_with_token(path, None);
        check_unauthorized(&response, &format!("GET {path} without a token"));
        for authorization in &wrong {
            let response = host
                .client()
                .get_with(path, &[("Authorization", authorization)])
                .unwrap();
            check_unauthorized(
                &response,
                &format!("GET {path} with Authorization: {authorization}"),
            );
        }
    }
    let writes = [
        ("/api/v1/deliveries/1/replay", None),
        ("/api/v1/plugins/event-log/replay-dead", None),
        (
            "/api/v1/plugins/event-log/backfill",
            Some(json!({ "since": 0 })),
        ),
    ];
    for (path, body) in &writes {
        let body = body.as_ref().map(Value::to_string).unwrap_or_default();
        let response = host.post(path, Some("application/json"), &[], body.as_bytes());
        check_unauthorized(&response, &format!("POST {path} without a token"));
        let response = host.post(
            path,
            Some("application/json"),
            &[("Authorization", "Bearer wrong-token-0123456789abcdef")],
            body.as_bytes(),
        );
        check_unauthorized(&response, &format!("POST {path} with a wrong token"));
    }

    // The right token.
    let page = get_json(&host, "/api/v1/events");
    assert_eq!(page, json!({ "items": [], "next_cursor": null }));
    let page = get_json(&host, "/api/v1/deliveries");
    assert_eq!(page, json!({ "items": [], "next_cursor": null }));
    assert_eq!(plugins(&host), Vec::<Value>::new());

    // Not behind the token: ingest, health and metrics.
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = host.get_with_token(path, None);
        assert_eq!(
            response.status, 200,
            "GET {path} needs no token: {response:?}"
        );
    }
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "token@example.com",
        "token",
    ));
    drop(host);
}

/// The authentication scheme is case-insensitive (RFC 7235 section 2.1, which RFC 6750's `Bearer`
/// follows): `bearer TOKEN` and `BEARER TOKEN` are the right token too.
#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let env = crate::SUITE.env_with(Config::with_admin());
    let host = env.start();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let authorization = format!("{scheme} {ADMIN_TOKEN}");
        let response = host
            .client()
            .get_with("/api/v1/events", &[("Authorization", &authorization)])
            .unwrap();
        assert_eq!(
            response.status, 200,
            "Authorization: {scheme} <the admin token>: {response:?}"
        );
    }
    drop(host);
}

/// Without `admin.token` the admin API is off: every route answers 404 `admin-disabled`, whatever
/// token is sent; the rest of the host works.
#[test]
fn without_an_admin_token_the_admin_api_is_off() {
    let env = crate::SUITE.env();
    let host = env.start();
    for token in [None, Some(ADMIN_TOKEN)] {
        for path in ["/api/v1/events", "/api/v1/deliveries", "/api/v1/plugins"] {
            let response = host.get_with_token(path, token);
            assert_problem(&response, 404, "admin-disabled");
        }
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let response = host.post(
            "/api/v1/plugins/event-log/backfill",
            Some("application/json"),
            &headers,
            br#"{"since": 0}"#,
        );
        assert_problem(&response, 404, "admin-disabled");
        let response = host.post("/api/v1/deliveries/1/replay", None, &headers, b"");
        assert_problem(&response, 404, "admin-disabled");
    }
    host.ingest(&prospect_event(
        "prospect.created",
        1,
        "off@example.com",
        "off",
    ));
    let health = host.get_with_token("/healthz", None);
    assert_eq!(health.status, 200);
    drop(host);
}
