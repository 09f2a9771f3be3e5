//! The admin commands (`events`, `deliveries`, `plugins`, `replay`, `backfill`) run as the real
//! binary against a stub of the admin API, which checks the bearer token, records every request
//! and answers canned JSON shaped like the API's contract.

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const TOKEN: &str = "admin-token-0123456789";

/// One request the stub received.
#[derive(Debug, Clone)]
struct Seen {
    method: &'static str,
    path: String,
    query: BTreeMap<String, String>,
    body: Value,
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

fn event_summary(id: &str, email: &str, done: u64) -> Value {
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

/// The stub, serving on a loopback port for as long as the returned runtime lives.
struct Api {
    url: String,
    stub: Stub,
    _runtime: tokio::runtime::Runtime,
}

impl Api {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
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
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            stub,
            _runtime: runtime,
        }
    }

    /// Runs the binary with `args`, `--url` of the stub and the right token.
    fn run(&self, args: &[&str]) -> Output {
        self.run_with_token(args, Some(TOKEN))
    }

    fn run_with_token(&self, args: &[&str], token: Option<&str>) -> Output {
        let mut command = cli();
        command.args(args).arg("--url").arg(&self.url);
        if let Some(token) = token {
            command.arg("--admin-token").arg(token);
        }
        command.output().unwrap()
    }

    fn seen(&self) -> Vec<Seen> {
        self.stub.seen.lock().unwrap().clone()
    }
}

/// The binary, with no admin token in its environment unless a test sets one.
fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smartreach-hooks"));
    command.env_remove("SMARTREACH_ADMIN_TOKEN");
    command
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of_failure(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The row of a table whose first cells are `starts`.
fn row<'a>(table: &'a str, contains: &str) -> &'a str {
    table
        .lines()
        .find(|line| line.contains(contains))
        .unwrap_or_else(|| panic!("no row with {contains:?} in\n{table}"))
}

#[test]
fn events_prints_a_table_and_sends_the_filters() {
    let api = Api::start();
    let before = now_ms();
    let output = api.run(&[
        "events",
        "--type",
        "activity.email.replied",
        "--since",
        "2h",
        "--until",
        "2026-11-27T10:00:00Z",
        "--email",
        "aisha@gulfline.example",
        "--limit",
        "20",
    ]);
    let table = stdout(&output);
    assert!(table.starts_with("RECEIVED"), "{table}");
    let line = row(&table, "01JNEWER:0");
    for cell in [
        "2026-11-27T10:00:00Z",
        "activity.email.replied",
        "7854240",
        "aisha@gulfline.example",
        "2 done, 1 dead",
    ] {
        assert!(line.contains(cell), "{cell:?} in {line:?}");
    }
    // Only the first page without --all, and a hint that there is more.
    assert!(!table.contains("01JOLDER:0"), "{table}");
    assert!(table.contains("pass --all"), "{table}");

    let seen = api.seen();
    assert_eq!(seen.len(), 1);
    let query = &seen[0].query;
    assert_eq!(query["event_type"], "activity.email.replied");
    assert_eq!(query["email"], "aisha@gulfline.example");
    assert_eq!(query["limit"], "20");
    assert_eq!(query["until"], "1795773600000");
    let since: i64 = query["since"].parse().unwrap();
    let two_hours = 2 * 3_600_000;
    assert!(
        (before - two_hours - 5_000..=now_ms() - two_hours).contains(&since),
        "since {since} is not two hours ago"
    );
}

#[test]
fn events_all_follows_the_cursor() {
    let api = Api::start();
    let table = stdout(&api.run(&["events", "--all"]));
    row(&table, "01JNEWER:0");
    row(&table, "old@example.com");
    assert!(!table.contains("pass --all"), "{table}");
    let seen = api.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].query.get("cursor"), None);
    assert_eq!(seen[1].query["cursor"], "page-2");
    assert_eq!(seen[1].query["limit"], "50");
}

#[test]
fn json_passes_the_api_answer_through() {
    let api = Api::start();
    let page: Value = serde_json::from_slice(&api.run(&["events", "--json"]).stdout).unwrap();
    assert_eq!(page["next_cursor"], "page-2");
    assert_eq!(
        page["items"][0],
        event_summary("01JNEWER:0", "aisha@gulfline.example", 2)
    );

    let plugins: Value = serde_json::from_slice(&api.run(&["plugins", "--json"]).stdout).unwrap();
    assert_eq!(
        plugins["items"][0]["allowed_outbound_hosts"],
        json!(["hooks.slack.com"])
    );
    assert_eq!(plugins["items"][0]["limits"]["memory_mib"], 64);

    let detail: Value =
        serde_json::from_slice(&api.run(&["events", "show", "01JNEWER:0", "--json"]).stdout)
            .unwrap();
    assert_eq!(
        detail["deliveries"][0]["runs"][0]["logs"][0]["message"],
        "slack answered 500"
    );
}

#[test]
fn events_show_prints_the_event_its_deliveries_attempts_and_logs() {
    let api = Api::start();
    let text = stdout(&api.run(&["events", "show", "01JNEWER:0"]));
    for needle in [
        "event     01JNEWER:0",
        "type      activity.email.replied",
        "prospect  7854240 <aisha@gulfline.example>",
        "\"version\": \"v2\"",
        "delivery 41 to slack-replies: dead, 2 attempts (ingest)",
        "last error: status 500 from hooks.slack.com",
        "attempt 1  2026-11-27T10:00:00Z  retry  2.4 ms  plugin 0123456789ab",
        "warn  host   slack answered 500",
        "http  POST https://hooks.slack.com sent",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    let missing = api.run(&["events", "show", "nope"]);
    let stderr = stderr_of_failure(&missing);
    assert_eq!(stderr.trim(), "error: No such event: no event has id nope");
}

#[test]
fn deliveries_prints_a_table_and_sends_the_filters() {
    let api = Api::start();
    let table = stdout(&api.run(&[
        "deliveries",
        "--status",
        "dead",
        "--plugin",
        "slack-replies",
        "--type",
        "activity.email.replied",
    ]));
    let line = row(&table, "slack-replies");
    for cell in [
        "41",
        "01JNEWER:0",
        "dead",
        "4",
        "status 500 from hooks.slack.com",
    ] {
        assert!(line.contains(cell), "{cell:?} in {line:?}");
    }
    let query = &api.seen()[0].query;
    assert_eq!(query["status"], "dead");
    assert_eq!(query["plugin"], "slack-replies");
    assert_eq!(query["event_type"], "activity.email.replied");
}

#[test]
fn plugins_prints_counts_and_the_last_error() {
    let api = Api::start();
    let table = stdout(&api.run(&["plugins"]));
    let cells: Vec<&str> = row(&table, "slack-replies").split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "slack-replies",
            "yes",
            "fedcba987654",
            "activity.email.replied",
            "3",
            "1",
            "120",
            "0",
            "2"
        ]
    );
    assert!(
        table.contains("slack-replies: last error 2026-11-27T10:00:05Z (delivery 41): status 500"),
        "{table}"
    );
}

#[test]
fn replay_and_backfill_post_to_their_routes() {
    let api = Api::start();
    assert_eq!(
        stdout(&api.run(&["replay", "41"])),
        "queued 1 delivery: 57\n"
    );
    assert_eq!(
        stdout(&api.run(&["replay", "--dead", "--plugin", "slack-replies"])),
        "queued 2 deliveries: 58 59\n"
    );
    assert_eq!(
        stdout(&api.run(&[
            "backfill",
            "--plugin",
            "crm-sync",
            "--type",
            "prospect.created",
            "--type",
            "prospect.updated",
            "--since",
            "2026-11-20",
            "--until",
            "1795773600000",
        ])),
        "queued 3 deliveries: 60 61 62\n"
    );
    let seen = api.seen();
    let routes: Vec<(&str, &str)> = seen.iter().map(|s| (s.method, s.path.as_str())).collect();
    assert_eq!(
        routes,
        [
            ("POST", "/api/v1/deliveries/41/replay"),
            ("POST", "/api/v1/plugins/slack-replies/replay-dead"),
            ("POST", "/api/v1/plugins/crm-sync/backfill"),
        ]
    );
    assert_eq!(
        seen[2].body,
        json!({
            "event_types": ["prospect.created", "prospect.updated"],
            "since": 1_795_132_800_000_i64,
            "until": 1_795_773_600_000_i64,
        })
    );

    // Without --type and --until, the host's defaults apply: neither is sent.
    stdout(&api.run(&["backfill", "--plugin", "crm-sync", "--since", "7d"]));
    let body = &api.seen()[3].body;
    assert!(
        body.get("event_types").is_none() && body.get("until").is_none(),
        "{body}"
    );
}

#[test]
fn a_problem_is_printed_as_title_and_detail_with_exit_1() {
    let api = Api::start();
    let conflict = api.run(&["replay", "7"]);
    assert_eq!(
        stderr_of_failure(&conflict).trim(),
        "error: Delivery not finished: delivery 7 is still pending; replay it once it is done, \
         skipped or dead"
    );
    assert!(conflict.stdout.is_empty());

    for args in [&["events"][..], &["plugins", "--json"], &["replay", "41"]] {
        let output = api.run_with_token(args, Some("wrong-token"));
        let stderr = stderr_of_failure(&output);
        assert_eq!(
            stderr.trim(),
            "error: Unauthorized: the admin token is missing or wrong; send Authorization: \
             Bearer <admin.token>",
            "{args:?}"
        );
    }
}

#[test]
fn the_token_comes_from_smartreach_admin_token_and_is_required() {
    let api = Api::start();
    let output = cli()
        .args(["plugins", "--url", &api.url])
        .env("SMARTREACH_ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap();
    row(&stdout(&output), "slack-replies");

    let stderr = stderr_of_failure(&api.run_with_token(&["plugins"], None));
    assert!(
        stderr.contains("--admin-token") && stderr.contains("SMARTREACH_ADMIN_TOKEN"),
        "{stderr}"
    );
    assert_eq!(api.seen().len(), 1, "no request without a token");
}

#[test]
fn a_host_that_is_not_there_is_named() {
    // Bind a port, then free it: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let output = cli()
        .args(["events", "--url", &url, "--admin-token", TOKEN])
        .output()
        .unwrap();
    let stderr = stderr_of_failure(&output);
    assert!(
        stderr.starts_with(&format!("error: the host isn't reachable at {url}")),
        "{stderr}"
    );

    let output = cli()
        .args([
            "events",
            "--url",
            "https://example.com",
            "--admin-token",
            TOKEN,
        ])
        .output()
        .unwrap();
    assert!(stderr_of_failure(&output).contains("not an http:// URL"));
}

#[test]
fn a_bad_time_is_refused_before_any_request() {
    let api = Api::start();
    let stderr = stderr_of_failure(&api.run(&["events", "--since", "last tuesday"]));
    assert!(
        stderr.starts_with("error: `last tuesday` is not a time"),
        "{stderr}"
    );
    assert!(api.seen().is_empty());
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
