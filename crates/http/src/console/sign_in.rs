//! Signing in with the admin token and out again, and the pages of a console that is off or of a
//! path it does not have.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::header::SET_COOKIE;
use http::{HeaderMap, StatusCode};
use maud::html;
use serde::Deserialize;
use smartreach_store::now_ms;

use super::error::error_page;
use super::guard::same_origin;
use super::layout::{Section, page};
use super::session::{Session, Sessions, set_cookie};
use crate::admin::auth::token_matches;
use crate::state::App;

/// How long a wrong token waits before its answer: guessing is slow, and nothing else is said.
pub const WRONG_TOKEN_DELAY: Duration = Duration::from_secs(1);

/// Every `/console` path while `admin.token` is not set.
pub async fn off() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "The console is off",
        "The console is off because admin.token is not set. Set admin.token (or \
         SMARTREACH_HOOKS_ADMIN__TOKEN) and restart the host to turn on /console and /api/v1.",
        None,
    )
}

/// A `/console` path that is no page.
pub async fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "No such page",
        "The console has no page at this address.",
        None,
    )
}

/// `GET /console/sign-in`: the form, or the overview for who is signed in already.
pub async fn form(Extension(sessions): Extension<Arc<Sessions>>, headers: HeaderMap) -> Response {
    if sessions.verify(&headers, now_ms()).is_some() {
        return Redirect::to("/console").into_response();
    }
    sign_in_page(StatusCode::OK, None)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    token: String,
}

/// `POST /console/sign-in`: the admin token starts a session (a cookie) and leads to the
/// overview; a wrong one waits [`WRONG_TOKEN_DELAY`] and says only that it is wrong.
pub async fn submit(
    State(app): State<Arc<App>>,
    Extension(sessions): Extension<Arc<Sessions>>,
    headers: HeaderMap,
    form: Result<Form<SignIn>, FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "this sign-in came from another site; sign in from the console's own page",
            None,
        );
    }
    let expected = app.admin_token.as_deref().unwrap_or_default();
    let presented = form.map(|Form(form)| form.token).unwrap_or_default();
    if expected.is_empty() || !token_matches(presented.trim(), expected) {
        tokio::time::sleep(WRONG_TOKEN_DELAY).await;
        return sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some("That is not the admin token. Check admin.token in the host's configuration."),
        );
    }
    let (cookie, _) = sessions.issue(now_ms());
    let mut response = Redirect::to("/console").into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, set_cookie(Some(&cookie), over_tls(&headers)));
    tracing::info!("console: signed in");
    response
}

/// `POST /console/sign-out`: ends the session here and removes its cookie.
pub async fn sign_out(
    Extension(sessions): Extension<Arc<Sessions>>,
    Extension(session): Extension<Session>,
    headers: HeaderMap,
) -> Response {
    sessions.revoke(&session, now_ms());
    let mut response = Redirect::to("/console/sign-in").into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, set_cookie(None, over_tls(&headers)));
    response
}

/// Whether the browser reached the host over TLS: the host speaks plain HTTP, so only through a
/// proxy that terminates TLS and says so (`X-Forwarded-Proto: https`). Then the cookie is
/// `Secure`.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn sign_in_page(status: StatusCode, error: Option<&str>) -> Response {
    let content = html! {
        @if let Some(error) = error {
            p.error role="alert" { (error) }
        }
        form.sign-in method="post" action="/console/sign-in" {
            label for="token" { "Admin token" }
            input #token type="password" name="token" autocomplete="current-password" required autofocus;
            button type="submit" { "Sign in" }
        }
        p.hint { "The token is the host's admin.token. A session lasts 8 hours." }
    };
    (
        status,
        Html(page("Sign in", Section::None, None, content).into_string()),
    )
        .into_response()
}
