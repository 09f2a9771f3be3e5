//! `trigger` run as the real binary against a stub of the ingest route, which records what
//! arrives and checks it as the host would: the token in the path, JSON, the Standard Webhooks
//! signature (with the host's own `verify`), and a body that parses as the event type.

use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use smartreach_hooks_tests::exit::stdout_of_success as success;
use smartreach_hooks_tests::host::Suite;
use smartreach_hooks_tests::now_ms;
use smartreach_hooks_tests::stub::StubServer;
use smartreach_webhook_signature as signature;

/// The binary cargo built for this suite, and the suite's scratch folder.
const SUITE: Suite = Suite::new(
    env!("CARGO_BIN_EXE_smartreach-hooks"),
    env!("CARGO_TARGET_TMPDIR"),
);

const TOKEN: &str = "ingest-token-0123456789abcdef";
/// `whsec_` + base64 of the 16 bytes `0123456789abcdef`.
const SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZg==";

#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Received>>>;

async fn hook(
    State(log): State<Log>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if token != TOKEN {
        return (
            StatusCode::NOT_FOUND,
            [("content-type", "application/problem+json")],
            json!({"type": "/problems/unknown-token", "title": "Unknown webhook URL", "status": 404,
                   "detail": "no source is configured with this token; check the URL given to SmartReach"})
                .to_string(),
        )
            .into_response();
    }
    log.lock().unwrap().push(Received {
        headers,
        body: body.clone(),
    });
    (
        StatusCode::ACCEPTED,
        axum::Json(
            json!({"webhook_id": "01JSTUB", "events": 1, "deliveries": 2, "duplicate": false}),
        ),
    )
        .into_response()
}

struct Ingest {
    url: String,
    log: Log,
    _server: StubServer,
}

impl Ingest {
    fn start() -> Self {
        let log = Log::default();
        let app = Router::new()
            .route("/hooks/smartreach/{token}", post(hook))
            .with_state(log.clone());
        let server = StubServer::start("ingest-stub", app);
        Self {
            url: server.url(),
            log,
            _server: server,
        }
    }

    fn trigger(&self, args: &[&str]) -> Output {
        SUITE
            .command()
            .arg("trigger")
            .args(args)
            .arg("--url")
            .arg(&self.url)
            .output()
            .unwrap()
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

#[test]
fn a_signed_sample_arrives_fresh_and_verifies() {
    let ingest = Ingest::start();
    let before = now_ms();
    let stdout = success(&ingest.trigger(&[
        "activity.email.replied",
        "--token",
        TOKEN,
        "--secret",
        SECRET,
    ]));
    assert!(
        stdout.starts_with(&format!(
            "sent activity.email.replied (1 item, signed) to {}\n202 Accepted\n",
            ingest.url
        )),
        "{stdout}"
    );
    assert!(stdout.contains("\"webhook_id\": \"01JSTUB\""), "{stdout}");
    assert!(
        !stdout.contains(TOKEN),
        "the token is not printed: {stdout}"
    );

    let received = ingest.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.headers["content-type"], "application/json");
    signature::verify(
        &request.headers,
        &request.body,
        &[b"0123456789abcdef".to_vec()],
        SystemTime::now(),
        Duration::from_secs(300),
    )
    .expect("the signature verifies with the host's own check");

    let payload = smartreach_models::parse(&request.body).unwrap();
    assert_eq!(
        payload.metadata.event_type.as_str(),
        "activity.email.replied"
    );
    let received_at = payload.metadata.received_at.unwrap();
    assert!(
        (before - 1_000..=now_ms()).contains(&received_at),
        "received_at {received_at} is not now"
    );
    let created_at = payload.data[0]
        .activity
        .as_ref()
        .unwrap()
        .created_at
        .unwrap();
    assert!(created_at <= received_at && created_at > received_at - 86_400_000);
}

#[test]
fn each_trigger_sends_a_different_body() {
    let ingest = Ingest::start();
    for _ in 0..2 {
        success(&ingest.trigger(&["prospect.created", "--token", TOKEN]));
    }
    let received = ingest.received();
    assert_eq!(received.len(), 2);
    assert_ne!(received[0].body, received[1].body);
    assert!(
        !received[0].headers.contains_key("webhook-signature"),
        "unsigned without --secret"
    );
}

#[test]
fn the_token_is_read_from_the_data_folder_and_legacy_names_work() {
    let ingest = Ingest::start();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("ingest-token"), format!("{TOKEN}\n")).unwrap();
    let stdout =
        success(&ingest.trigger(&["email_opened", "--data-dir", data.path().to_str().unwrap()]));
    assert!(
        stdout.starts_with("sent activity.email.opened (1 item)"),
        "{stdout}"
    );
    let body: Value = serde_json::from_slice(&ingest.received()[0].body).unwrap();
    assert_eq!(body["metadata"]["event_type"], "activity.email.opened");

    let empty = tempfile::tempdir().unwrap();
    let output = ingest.trigger(&["email_opened", "--data-dir", empty.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: no ingest token") && stderr.contains("ingest-token"),
        "{stderr}"
    );
}

#[test]
fn a_refusal_prints_the_problem_and_exits_1() {
    let ingest = Ingest::start();
    let output = ingest.trigger(&["prospect.created", "--token", "wrong-token-0123456789"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "error: Unknown webhook URL: no source is configured with this token; check the URL \
         given to SmartReach"
    );

    let output = ingest.trigger(&["activity.linkedin.connected", "--token", TOKEN]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("trigger --list"));
    assert!(ingest.received().is_empty());
}

#[test]
fn list_names_the_13_types() {
    let output = SUITE
        .command()
        .args(["trigger", "--list"])
        .output()
        .unwrap();
    let stdout = success(&output);
    let names: Vec<&str> = stdout
        .lines()
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    let documented: Vec<&str> = smartreach_models::DocumentedEventType::ALL
        .iter()
        .map(|ty| ty.as_str())
        .collect();
    assert_eq!(names, documented);
}
