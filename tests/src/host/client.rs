//! Talking to the host: HTTP answers, ingest answers and a small keep-alive client.

use std::time::Duration;

use serde_json::Value;

use super::TOKEN;

/// An HTTP answer of the host.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type` header, if any.
    pub content_type: Option<String>,
    /// The body, as text.
    pub body: String,
    /// Every header, names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; panics naming the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| {
            panic!(
                "status {} body is not JSON ({err}): {}",
                self.status, self.body
            )
        })
    }
}

/// The answer to an accepted webhook (202) or a recognised redelivery (200).
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The status it was answered with (202, or 200 for a redelivery).
    pub status: u16,
    /// The id the host gave the webhook.
    pub webhook_id: String,
    /// How many events it was split into.
    pub events: u64,
    /// How many deliveries it queued.
    pub deliveries: u64,
    /// Whether it was a redelivery of a stored webhook.
    pub duplicate: bool,
}

impl Ingested {
    /// Reads the JSON answer of an accepted webhook; panics when it is not one. A redelivery's
    /// answer (200) may leave out `events` and `deliveries` (read as 0).
    pub fn from_response(response: &Response) -> Self {
        assert!(
            matches!(response.status, 200 | 202),
            "webhook not accepted: {response:?}"
        );
        let json = response.json();
        let field = |name: &str| {
            json.get(name)
                .unwrap_or_else(|| panic!("no `{name}` in the answer {json}"))
                .clone()
        };
        let count = |name: &str| match json.get(name) {
            None if response.status == 200 => 0,
            _ => field(name)
                .as_u64()
                .unwrap_or_else(|| panic!("`{name}` is a count in {json}")),
        };
        Self {
            status: response.status,
            webhook_id: field("webhook_id")
                .as_str()
                .expect("webhook_id is a string")
                .to_owned(),
            events: count("events"),
            deliveries: count("deliveries"),
            duplicate: field("duplicate")
                .as_bool()
                .expect("duplicate is a boolean"),
        }
    }
}

/// An HTTP client for one host; cheap to clone and to send to another thread.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub(super) fn new(base: String) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            // Well under the server's keep-alive limits: a POST is never sent on a connection
            // the server is closing (POSTs are not retried).
            .max_idle_age(Duration::from_secs(5))
            .build()
            .into();
        Self { agent, base }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Response, String> {
        let response = self.agent.get(&self.url(path)).call();
        read(response)
    }

    /// `GET path` with more headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Result<Response, String> {
        let mut request = self.agent.get(&self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.call())
    }

    /// `POST path` with `body`, a `Content-Type` when given, and more headers.
    pub fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, String> {
        let mut request = self.agent.post(&self.url(path));
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send(body))
    }

    /// `POST /hooks/smartreach/TOKEN` with a JSON body: what SmartReach sends.
    pub fn post_webhook(&self, body: &[u8]) -> Result<Response, String> {
        self.post(&hook_path(TOKEN), Some("application/json"), &[], body)
    }
}

/// An answer of the host as a [`Response`], or the transport error as text.
pub(crate) fn read(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Response, String> {
    let mut response = response.map_err(|err| err.to_string())?;
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap_or("<binary>").to_owned());
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                value.to_str().unwrap_or("<binary>").to_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|err| format!("reading the answer's body: {err}"))?;
    Ok(Response {
        status,
        content_type,
        body,
        headers,
    })
}

/// `/hooks/smartreach/{token}`: the URL of the source whose token it is.
pub fn hook_path(token: &str) -> String {
    format!("/hooks/smartreach/{token}")
}
