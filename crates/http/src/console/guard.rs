//! The gate in front of every signed-in page: a valid session, and on a state-changing request
//! a same-origin request carrying the session's CSRF token. The session goes to the handler as an
//! extension.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Method, StatusCode};
use smartreach_store::now_ms;

use super::error::error_page;
use super::session::Sessions;

/// The largest form body the console reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Lets a signed-in request through, with its [`super::session::Session`]; sends a reader without
/// a session to the sign-in page, and refuses a state-changing request without a session, from
/// another origin, or without the session's CSRF token (403).
pub async fn signed_in(
    State(sessions): State<Arc<Sessions>>,
    request: Request,
    next: Next,
) -> Response {
    let session = sessions.verify(request.headers(), now_ms());
    let reading = matches!(*request.method(), Method::GET | Method::HEAD);
    let Some(session) = session else {
        if reading {
            return Redirect::to("/console/sign-in").into_response();
        }
        return forbidden("you are not signed in, or your session ended: sign in again");
    };
    if reading {
        let mut request = request;
        request.extensions_mut().insert(session);
        return next.run(request).await;
    }
    if !same_origin(request.headers()) {
        return forbidden(
            "this request came from another site; the console takes forms only from its own pages",
        );
    }
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return forbidden("the form could not be read (over 64 KiB, or cut off)");
    };
    let presented = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(key, _)| key == "csrf"))
        .map(|(_, value)| value);
    match presented {
        Some(token) if Sessions::csrf_matches(&session, &token) => {
            parts.extensions.insert(session);
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => forbidden(
            "the form's CSRF token is missing or not this session's: reload the page and try again",
        ),
    }
}

/// Whether a state-changing request comes from the console's own pages: a browser names the site
/// it comes from (`Sec-Fetch-Site`) and its origin (`Origin`); when it sends them they must be
/// this host's.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (header(ORIGIN.as_str()), header(HOST.as_str())) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        (Some(_), None) => false,
    }
}

fn forbidden(detail: &str) -> Response {
    error_page(StatusCode::FORBIDDEN, "Request refused", detail, None)
}
