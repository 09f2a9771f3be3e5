//! A stand-in for the services plugins call, inside the runtime: in [`crate::OutboundMode::Fake`]
//! an allowed request is handed, whole (method, URL, headers, body), to a [`FakeUpstream`] and
//! its answer goes back to the plugin as the response. Nothing is resolved, connected to or
//! sent, so a plugin's test run never leaves the machine (`smartreach-hooks test-plugin`).

use std::fmt::Debug;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

/// One request a plugin made, as the fake upstream receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The whole target: `scheme://authority/path?query`.
    pub url: String,
    /// The headers in the order the plugin set them; names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body, whole.
    pub body: Vec<u8>,
}

/// What the fake upstream answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeResponse {
    /// The status code.
    pub status: u16,
    /// Its headers.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Vec<u8>,
}

/// Answers a plugin's requests in [`crate::OutboundMode::Fake`]. Called once per allowed
/// request, in the order the plugin makes them; an implementation records them if it wants to.
pub trait FakeUpstream: Debug + Send + Sync {
    /// The answer to `request`.
    fn answer(&self, request: FakeRequest) -> FakeResponse;
}

/// Reads `request` whole, asks `upstream`, and builds the response the plugin sees. A response
/// body over `max_response_bytes` fails as it would from a real service.
pub(crate) async fn answer(
    upstream: Arc<dyn FakeUpstream>,
    request: http::Request<WasiBody>,
    max_response_bytes: u64,
) -> Result<http::Response<WasiBody>, HttpError> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let answer = upstream.answer(FakeRequest {
        method: parts.method.to_string(),
        url: parts.uri.to_string(),
        headers,
        body: body.to_vec(),
    });
    let length = answer.body.len() as u64;
    if length > max_response_bytes {
        return Err(HttpError::HttpResponseBodySize(Some(length)));
    }
    let mut response = http::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name, value);
    }
    let body = Full::new(Bytes::from(answer.body))
        .map_err(|never| match never {})
        .boxed_unsync();
    // A status or header the script got wrong: what a plugin would see from a broken service.
    response
        .body(body)
        .map_err(|_| HttpError::HttpProtocolError)
}
