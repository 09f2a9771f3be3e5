//! A local HTTP server standing in for Slack, a CRM or a suppression list: it records every
//! request the plugins make and answers 200 `{}`, or what the test asks for: another answer, a
//! delay, one failure for a request carrying a marker, or holding requests with a marker until
//! released.
//!
//! It runs on its own small tokio runtime ([`StubServer`]), so the tests themselves stay
//! synchronous.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde::Serialize;

use crate::stub::StubServer;

/// One recorded request.
#[derive(Debug, Clone, Serialize)]
pub struct Captured {
    /// The request method (`POST`, ...).
    pub method: String,
    /// The path and query the plugin requested.
    pub path: String,
    /// Headers a plugin chose to send (not transport headers such as host or content-length),
    /// sorted.
    pub headers: Vec<(String, String)>,
    /// The body, parsed as JSON when it is JSON.
    pub body: serde_json::Value,
    /// The status the server answered (or will answer, for a held request).
    #[serde(skip)]
    pub status: u16,
    /// The body as text, for matching markers.
    #[serde(skip)]
    pub raw: String,
    /// When it arrived, for measuring the rate requests came at.
    #[serde(skip)]
    pub received: std::time::Instant,
}

impl Captured {
    /// The SmartReach prospect id of a crm-sync request (`/crm/contacts/smartreach-{id}`); panics
    /// on any other request.
    pub fn crm_prospect_id(&self) -> i64 {
        self.path
            .strip_prefix("/crm/contacts/smartreach-")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("not a crm-sync contact request: {self:?}"))
    }

    /// The value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Default)]
struct Rules {
    /// Requests whose body contains one of these wait until the marker is released.
    hold: Vec<String>,
    /// The first request whose body contains the marker gets the status; then the rule is gone.
    fail_once: Vec<(String, u16)>,
}

#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Captured>>>,
    rules: Arc<Mutex<Rules>>,
    /// The status and body of every answer not set by a rule.
    answer: Arc<Mutex<(u16, Vec<u8>)>>,
    /// Headers of every answer not set by a rule.
    answer_headers: Arc<Mutex<Vec<(String, String)>>>,
    delay_ms: Arc<AtomicU64>,
    held_now: Arc<AtomicU64>,
}

/// The running server; stops when dropped.
pub struct CaptureServer {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    shared: Shared,
    _server: StubServer,
}

impl CaptureServer {
    /// Starts a server on a random loopback port that answers 200 `{}` to everything.
    pub fn start() -> Self {
        let shared = Shared {
            requests: Arc::default(),
            rules: Arc::default(),
            answer: Arc::new(Mutex::new((200, b"{}".to_vec()))),
            answer_headers: Arc::default(),
            delay_ms: Arc::default(),
            held_now: Arc::default(),
        };
        let app = Router::new().fallback(record).with_state(shared.clone());
        let server = StubServer::start("capture", app);
        Self {
            addr: server.addr,
            shared,
            _server: server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`, for `allowed_outbound_hosts`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Answers `status` with `body` to every request no other rule answers (instead of 200 `{}`),
    /// without headers of its own.
    pub fn answer(&self, status: u16, body: &[u8]) {
        self.answer_with_headers(status, &[], body);
    }

    /// Answers `status` with `headers` (such as `retry-after`) and `body` to every request no
    /// other rule answers.
    pub fn answer_with_headers(&self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        *self.shared.answer_headers.lock().unwrap() = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        *self.shared.answer.lock().unwrap() = (status, body.to_vec());
    }

    /// Answers every request after `delay`.
    pub fn set_delay(&self, delay: Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis().try_into().unwrap(), Ordering::SeqCst);
    }

    /// Holds requests whose body contains `marker` (they get no answer) until [`Self::release`].
    pub fn hold(&self, marker: &str) {
        self.shared
            .rules
            .lock()
            .unwrap()
            .hold
            .push(marker.to_owned());
    }

    /// Lets the requests held for `marker` (and later ones) through.
    pub fn release(&self, marker: &str) {
        self.shared
            .rules
            .lock()
            .unwrap()
            .hold
            .retain(|held| held != marker);
    }

    /// How many requests are being held right now.
    pub fn held_now(&self) -> u64 {
        self.shared.held_now.load(Ordering::SeqCst)
    }

    /// Answers `status` to the first request whose body contains `marker`.
    pub fn fail_once(&self, marker: &str, status: u16) {
        self.shared
            .rules
            .lock()
            .unwrap()
            .fail_once
            .push((marker.to_owned(), status));
    }

    /// What has been received so far, in arrival order.
    pub fn requests(&self) -> Vec<Captured> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// How many requests have been received so far.
    pub fn len(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Whether no request has been received yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const TRANSPORT_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "user-agent",
    "accept-encoding",
];

async fn record(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Vec<u8>) {
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
    let raw = String::from_utf8_lossy(&body).into_owned();
    let parsed =
        serde_json::from_slice(&body).unwrap_or_else(|_| serde_json::Value::String(raw.clone()));
    let answer_headers = shared.answer_headers.lock().unwrap().clone();
    let (status, answer) = {
        let mut rules = shared.rules.lock().unwrap();
        match rules
            .fail_once
            .iter()
            .position(|(marker, _)| raw.contains(marker.as_str()))
        {
            Some(index) => (
                rules.fail_once.remove(index).1,
                b"{\"error\": \"injected by the test\"}".to_vec(),
            ),
            None => shared.answer.lock().unwrap().clone(),
        }
    };
    shared.requests.lock().unwrap().push(Captured {
        method: method.to_string(),
        path: uri.to_string(),
        headers: kept,
        body: parsed,
        status,
        raw: raw.clone(),
        received: std::time::Instant::now(),
    });
    let is_held = || {
        shared
            .rules
            .lock()
            .unwrap()
            .hold
            .iter()
            .any(|marker| raw.contains(marker.as_str()))
    };
    if is_held() {
        shared.held_now.fetch_add(1, Ordering::SeqCst);
        while is_held() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        shared.held_now.fetch_sub(1, Ordering::SeqCst);
    }
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mut headers = HeaderMap::new();
    for (name, value) in answer_headers {
        headers.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&value).unwrap(),
        );
    }
    (StatusCode::from_u16(status).unwrap(), headers, answer)
}
