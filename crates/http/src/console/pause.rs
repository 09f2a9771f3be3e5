//! Pausing and resuming a plugin from its card on the plugin page: the admin API's own
//! `set_paused` (`crate::admin::pause`), from a form. The guard has checked the session and its
//! CSRF token.

use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::error::problem_page;
use super::layout::{Section, page};
use super::session::Session;
use super::time::show;
use crate::admin::pause::set_paused;
use crate::state::App;

/// `POST /console/plugins/{name}/pause`.
pub async fn pause(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    change(&app, &session, name, true).await
}

/// `POST /console/plugins/{name}/resume`.
pub async fn resume(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    change(&app, &session, name, false).await
}

async fn change(app: &App, session: &Session, name: String, paused: bool) -> Response {
    let control = match set_paused(app, name, paused).await {
        Ok(control) => control,
        Err(problem) => return problem_page(&problem, Some(session)),
    };
    let plugin = &control.plugin;
    let (title, content) = match control.paused_since {
        Some(since) => (
            "Plugin paused",
            html! {
                p.queued role="status" {
                    "Plugin " (plugin) " is paused since " span #paused-since { (show(since)) }
                    ": its deliveries wait, pending and in order, until it is resumed."
                }
            },
        ),
        None => (
            "Plugin resumed",
            html! {
                p.queued role="status" {
                    "Plugin " (plugin) " runs again: its waiting deliveries start, in the order received."
                }
            },
        ),
    };
    let content = html! {
        (content)
        p { a href={ "/console/plugins#plugin-" (plugin) } { "Back to the plugins" } }
    };
    Html(page(title, Section::None, Some(session), content).into_string()).into_response()
}
