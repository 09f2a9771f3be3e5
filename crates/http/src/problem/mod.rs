//! RFC 9457 problem details: the one shape of every HTTP error the server returns.
//!
//! ```json
//! {"type": "/problems/body-too-large", "title": "Webhook body too large", "status": 413,
//!  "detail": "the body is over the limit of 1048576 bytes (ingest.max_body_bytes)", "limit": 1048576}
//! ```
//!
//! `type` is a relative URI built from a stable slug, so clients can branch on it; `title` is the
//! same for every occurrence of a type, `detail` explains this one. Every kind, with its status and
//! title, is listed once in [`ProblemKind`] ([`kind`]); library errors turn into problems in [`from`].

mod from;
pub mod kind;

pub use kind::{Family, ProblemKind};

use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use serde_json::{Map, Value};

/// The media type of a problem document.
pub const CONTENT_TYPE_PROBLEM: &str = "application/problem+json";

/// Members a problem defines itself; extensions with these names are ignored.
const RESERVED: [&str; 5] = ["type", "title", "status", "detail", "instance"];

/// An HTTP error as an RFC 9457 problem: status, type, title, detail and extension members.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} {}: {}", .kind.status(), .kind.title(), .detail)]
pub struct Problem {
    kind: ProblemKind,
    detail: String,
    extensions: Map<String, Value>,
}

impl Problem {
    /// A problem of `kind`; `detail` says what went wrong this time and what to do.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            extensions: Map::new(),
        }
    }

    /// Adds the extension member `key` (like `"limit"` or `"retry_after"`). A key the RFC defines
    /// (`type`, `title`, `status`, `detail`, `instance`) is ignored, so an extension can never
    /// contradict the problem; a key added twice keeps the last value.
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        debug_assert!(
            !RESERVED.contains(&key),
            "`{key}` is a reserved problem member"
        );
        insert_extension(&mut self.extensions, key, value.into());
        self
    }

    /// The kind.
    pub fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The slug of the problem's type: `body-too-large` for `/problems/body-too-large`.
    pub fn slug(&self) -> &'static str {
        self.kind.slug()
    }

    /// The title, the same for every problem of this kind.
    pub fn title(&self) -> &'static str {
        self.kind.title()
    }

    /// What went wrong this time.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The problem document.
    pub fn to_json(&self) -> Value {
        let mut body = self.extensions.clone();
        body.insert("type".into(), self.kind.type_uri().into());
        body.insert("title".into(), self.title().into());
        body.insert("status".into(), self.status().as_u16().into());
        body.insert("detail".into(), self.detail.clone().into());
        Value::Object(body)
    }
}

/// Adds `key` unless the RFC defines it; returns whether it was added.
fn insert_extension(extensions: &mut Map<String, Value>, key: &str, value: Value) -> bool {
    if RESERVED.contains(&key) {
        return false;
    }
    extensions.insert(key.to_owned(), value);
    true
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        (
            self.status(),
            [(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_PROBLEM))],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use serde_json::json;

    use super::*;

    /// The response's status, content type and JSON body. A body built from a string is ready at
    /// once, so one poll reads it without a runtime.
    fn respond(problem: Problem) -> (StatusCode, String, Value) {
        let response = problem.into_response();
        let status = response.status();
        let content_type = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let mut read = pin!(axum::body::to_bytes(response.into_body(), usize::MAX));
        let Poll::Ready(bytes) = read.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
            panic!("the body was not ready")
        };
        (
            status,
            content_type,
            serde_json::from_slice(&bytes.unwrap()).unwrap(),
        )
    }

    #[test]
    fn the_response_is_a_problem_document() {
        let problem = Problem::new(
            ProblemKind::BodyTooLarge,
            "the body is larger than 1048576 bytes",
        )
        .with("limit", 1_048_576)
        .with("source", "smartreach");
        let (status, content_type, body) = respond(problem);
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(
            body,
            json!({
                "type": "/problems/body-too-large",
                "title": "Webhook body too large",
                "status": 413,
                "detail": "the body is larger than 1048576 bytes",
                "limit": 1_048_576,
                "source": "smartreach",
            })
        );
    }

    #[test]
    fn accessors_and_display_describe_the_problem() {
        let problem = Problem::new(ProblemKind::InvalidSignature, "no match");
        assert_eq!(problem.kind(), ProblemKind::InvalidSignature);
        assert_eq!(problem.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(problem.slug(), "invalid-signature");
        assert_eq!(problem.title(), "Invalid webhook signature");
        assert_eq!(problem.detail(), "no match");
        assert_eq!(
            problem.to_string(),
            "401 Unauthorized Invalid webhook signature: no match"
        );
    }

    #[test]
    fn a_repeated_extension_keeps_the_last_value() {
        let problem = Problem::new(ProblemKind::DeliveryOpen, "d")
            .with("n", 1)
            .with("n", json!([2]));
        assert_eq!(problem.to_json()["n"], json!([2]));
    }

    /// What a release build does with a reserved key, tested in every build (`with` panics on one
    /// in debug builds, so the rule itself is tested here).
    #[test]
    fn a_reserved_extension_cannot_override_a_member() {
        let mut extensions = Map::new();
        for key in RESERVED {
            assert!(!insert_extension(&mut extensions, key, json!(200)), "{key}");
        }
        assert!(extensions.is_empty());
        assert!(insert_extension(&mut extensions, "limit", json!(1)));
        assert_eq!(extensions["limit"], 1);
    }

    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "reserved problem member")]
    fn a_reserved_extension_is_a_bug_in_debug_builds() {
        let _ = Problem::new(ProblemKind::NotFound, "d").with("status", 200);
    }
}

/// The shape of a problem document, for the OpenAPI description.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProblemDoc {
    /// `/problems/{slug}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and what to do.
    pub detail: String,
}
