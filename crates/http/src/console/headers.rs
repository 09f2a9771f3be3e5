//! The headers of every console answer: a strict Content-Security-Policy (scripts, styles and
//! everything else from the host only, no inline code, no framing), no caching of pages, and the
//! server time the answer took (`Server-Timing`, which the console's bench reads).

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};

/// The console's Content-Security-Policy: nothing but the host's own files, no inline script or
/// style, forms only to the host, never in a frame.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers, `Cache-Control: no-store` unless the answer set its own, and
/// `Server-Timing: app;dur=MS`: the time from the request to the rendered page.
pub async fn secure(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let headers = response.headers_mut();
    if let Ok(timing) = HeaderValue::from_str(&format!("app;dur={took:.2}")) {
        headers.insert("server-timing", timing);
    }
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
