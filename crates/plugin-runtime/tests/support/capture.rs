//! A local HTTP server standing in for Slack, a CRM or a suppression list: it records every
//! request and answers with a status chosen by the test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde::Serialize;

/// One recorded request.
#[derive(Debug, Clone, Serialize)]
pub struct Captured {
    pub method: String,
    pub path: String,
    /// Headers a plugin chose to send (not transport headers such as host or content-length).
    pub headers: Vec<(String, String)>,
    /// The body, parsed as JSON when it is JSON.
    pub body: serde_json::Value,
}

#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Captured>>>,
    status: StatusCode,
    body: Arc<Vec<u8>>,
    delay: Duration,
}

/// The running server.
pub struct CaptureServer {
    pub addr: SocketAddr,
    shared: Shared,
}

impl CaptureServer {
    /// Answers 200 with an empty JSON object.
    pub async fn start() -> Self {
        Self::start_with(StatusCode::OK, b"{}".to_vec(), Duration::ZERO).await
    }

    /// Answers every request with `status` and `body` after `delay`.
    pub async fn start_with(status: StatusCode, body: Vec<u8>, delay: Duration) -> Self {
        let shared = Shared {
            requests: Arc::default(),
            status,
            body: Arc::new(body),
            delay,
        };
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`, for `allowed_outbound_hosts`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// What has been received so far.
    pub fn requests(&self) -> Vec<Captured> {
        self.shared.requests.lock().unwrap().clone()
    }
}

const TRANSPORT_HEADERS: [&str; 5] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "user-agent",
];

async fn record(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Vec<u8>) {
    let mut kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| !TRANSPORT_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    kept.sort();
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into_owned()));
    shared.requests.lock().unwrap().push(Captured {
        method: method.to_string(),
        path: uri.to_string(),
        headers: kept,
        body,
    });
    tokio::time::sleep(shared.delay).await;
    (shared.status, shared.body.to_vec())
}
