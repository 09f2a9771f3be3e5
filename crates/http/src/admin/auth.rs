//! The admin token check: `Authorization: Bearer <admin.token>`, compared in constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// Lets the request through with the right token; 401 otherwise, 404 when the admin API is off.
pub async fn require_token(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(expected) = app.admin_token.as_deref() else {
        return Problem::new(
            ProblemKind::AdminDisabled,
            "set admin.token (or SMARTREACH_HOOKS_ADMIN__TOKEN) to turn it on",
        )
        .into_response();
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token);
    let Some(presented) = presented else {
        return unauthorized("send the admin token as `Authorization: Bearer <admin.token>`");
    };
    if !token_matches(presented, expected) {
        return unauthorized("the bearer token is not the configured admin.token");
    }
    next.run(request).await
}

/// Whether `presented` is the admin token `expected`, compared in constant time: the check of
/// the API's bearer token and of the console's sign-in.
pub(crate) fn token_matches(presented: &str, expected: &str) -> bool {
    // Hashing first makes the comparison independent of the presented token's length.
    Sha256::digest(presented.as_bytes())
        .ct_eq(&Sha256::digest(expected.as_bytes()))
        .into()
}

/// The credentials of `Bearer <token>`; the scheme name is case-insensitive (RFC 9110, 11.1).
fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim_start())
        .filter(|token| !token.is_empty())
}

fn unauthorized(detail: &str) -> Response {
    let mut response = Problem::new(ProblemKind::Unauthorized, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        "Bearer".parse().expect("a valid header value"),
    );
    response
}
