//! A stub of the admin API: checks the bearer token, records every request and answers canned
//! JSON shaped like the API's contract.

use std::collections::BTreeMap;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use smartreach_hooks_tests::stub::StubServer;

use super::cli;

pub(crate) const TOKEN: &str = "admin-token-0123456789";

/// One request the stub received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) body: Value,
}

#[derive(Clone, Default)]
struct Stub {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn record(
        &self,
        method: &'static str,
        path: String,
        query: BTreeMap<String, String>,
        body: Value,
    ) {
        self.seen.lock().unwrap().push(Seen {
            method,
            path,
            query,
            body,
        });
    }
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        [("content-type", "application/problem+json")],
        json!({"type": "/problems/x", "title": title, "status": status.as_u16(), "detail": detail})
            .to_string(),
    )
        .into_response()
}

/// The bearer check every admin route makes: the refusal, when the token is not the right one.
fn refusal(headers: &HeaderMap) -> Option<Response> {
    let expected = format!("Bearer {TOKEN}");
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(value) if value == expected => None,
        _ => Some(problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "the admin token is missing or wrong; send Authorization: Bearer <admin.token>",
        )),
    }
}

pub(crate) fn event_summary(id: &str, email: &str, done: u64) -> Value {
    json!({
        "id": id, "webhook_id": "01JWEBHOOK", "event_type": "activity.email.replied",
        "prospect_id": "7854240", "email": email,
        "occurred_at": 1_795_772_600_000_i64, "received_at": 1_795_773_600_000_i64,
        "delivery_counts": {"pending": 0, "running": 0, "done": done, "skipped": 0, "dead": 1}
    })
}

async fn events(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    stub.record("GET", "/api/v1/events".into(), query.clone(), Value::Null);
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    // Two pages: the second is asked for with the first's cursor.
    let page = if query.get("cursor").map(String::as_str) == Some("page-2") {
        json!({"items": [event_summary("01JOLDER:0", "old@example.com", 1)], "next_cursor": null})
    } else {
        json!({"items": [event_summary("01JNEWER:0", "aisha@gulfline.example", 2)], "next_cursor": "page-2"})
    };
    axum::Json(page).into_response()
}

async fn event(State(stub): State<Stub>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    stub.record(
        "GET",
        format!("/api/v1/events/{id}"),
        BTreeMap::new(),
        Value::Null,
    );
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    if id != "01JNEWER:0" {
        return problem(
            StatusCode::NOT_FOUND,
            "No such event",
            &format!("no event has id {id}"),
        );
    }
    let mut detail = event_summary(&id, "aisha@gulfline.example", 2);
    detail["metadata"] = json!({"event_type": "activity.email.replied", "version": "v2"});
    detail["item"] = json!({"prospect": {"prospect_id": 7854240}});
    detail["deliveries"] = json!([{
        "id": 41, "event_id": id, "event_type": "activity.email.replied", "plugin": "slack-replies",
        "status": "dead", "origin": "ingest", "attempts": 2, "next_attempt_at": 0,
        "last_error": "status 500 from hooks.slack.com", "replay_of": null, "replayed_by": null,
        "created_at": 1_795_773_600_000_i64, "updated_at": 1_795_773_605_000_i64,
        "runs": [{
            "attempt": 1, "plugin_hash": "0123456789abcdef", "started_at": 1_795_773_600_100_i64,
            "duration_us": 2_400, "outcome": "retry", "detail": "status 500 from hooks.slack.com",
            "logs": [{"level": "warn", "source": "host", "message": "slack answered 500"}],
            "requests": [{"method": "POST", "origin": "https://hooks.slack.com", "decision": "sent"}]
        }]
    }]);
    axum::Json(detail).into_response()
}

async fn deliveries(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    stub.record("GET", "/api/v1/deliveries".into(), query, Value::Null);
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    axum::Json(json!({"items": [{
        "id": 41, "event_id": "01JNEWER:0", "event_type": "activity.email.replied",
        "plugin": "slack-replies", "status": "dead", "origin": "ingest", "attempts": 4,
        "next_attempt_at": 0, "last_error": "status 500 from hooks.slack.com", "replay_of": null,
        "replayed_by": null, "created_at": 1_795_773_600_000_i64, "updated_at": 1_795_773_600_000_i64
    }], "next_cursor": null}))
    .into_response()
}

async fn plugins(State(stub): State<Stub>, headers: HeaderMap) -> Response {
    stub.record(
        "GET",
        "/api/v1/plugins".into(),
        BTreeMap::new(),
        Value::Null,
    );
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    axum::Json(json!({"items": [{
        "name": "slack-replies", "loaded": true, "content_hash": "fedcba9876543210fedc",
        "description": "posts replies to Slack", "subscriptions": ["activity.email.replied"],
        "limits": {"timeout_ms": 1000, "memory_mib": 64, "http_timeout_ms": 10000,
                   "max_response_bytes": 1048576, "max_concurrency": 4},
        "allowed_outbound_hosts": ["hooks.slack.com"],
        "delivery_counts": {"pending": 3, "running": 1, "done": 120, "skipped": 0, "dead": 2},
        "last_error": {"delivery_id": 41, "at": 1_795_773_605_000_i64, "message": "status 500 from hooks.slack.com"}
    }]}))
    .into_response()
}

async fn replay_one(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    stub.record(
        "POST",
        format!("/api/v1/deliveries/{id}/replay"),
        BTreeMap::new(),
        Value::Null,
    );
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    if id == "7" {
        return problem(
            StatusCode::CONFLICT,
            "Delivery not finished",
            "delivery 7 is still pending; replay it once it is done, skipped or dead",
        );
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"count": 1, "deliveries": [57]})),
    )
        .into_response()
}

async fn replay_dead(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    stub.record(
        "POST",
        format!("/api/v1/plugins/{name}/replay-dead"),
        BTreeMap::new(),
        Value::Null,
    );
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"count": 2, "deliveries": [58, 59]})),
    )
        .into_response()
}

async fn backfill(
    State(stub): State<Stub>,
    headers: HeaderMap,
    Path(name): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    stub.record(
        "POST",
        format!("/api/v1/plugins/{name}/backfill"),
        BTreeMap::new(),
        body,
    );
    if let Some(refused) = refusal(&headers) {
        return refused;
    }
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({"count": 3, "deliveries": [60, 61, 62]})),
    )
        .into_response()
}

/// The stub, serving on a loopback port until dropped.
pub(crate) struct Api {
    pub(crate) url: String,
    stub: Stub,
    _server: StubServer,
}

impl Api {
    pub(crate) fn start() -> Self {
        let stub = Stub::default();
        let app = Router::new()
            .route("/api/v1/events", get(events))
            .route("/api/v1/events/{id}", get(event))
            .route("/api/v1/deliveries", get(deliveries))
            .route("/api/v1/deliveries/{id}/replay", post(replay_one))
            .route("/api/v1/plugins", get(plugins))
            .route("/api/v1/plugins/{name}/replay-dead", post(replay_dead))
            .route("/api/v1/plugins/{name}/backfill", post(backfill))
            .with_state(stub.clone());
        let server = StubServer::start("admin-api-stub", app);
        Self {
            url: server.url(),
            stub,
            _server: server,
        }
    }

    /// Runs the binary with `args`, `--url` of the stub and the right token.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_with_token(args, Some(TOKEN))
    }

    pub(crate) fn run_with_token(&self, args: &[&str], token: Option<&str>) -> Output {
        let mut command = cli();
        command.args(args).arg("--url").arg(&self.url);
        if let Some(token) = token {
            command.arg("--admin-token").arg(token);
        }
        command.output().unwrap()
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.stub.seen.lock().unwrap().clone()
    }
}
