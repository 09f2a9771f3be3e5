//! The console's actions, each the admin API's own (`crate::admin::replay`), from a form: replay a
//! delivery, replay a plugin's dead letters after a confirmation that shows how many, backfill.
//! The guard has checked the session and its CSRF token.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use smartreach_store::Queued;

use super::error::problem_page;
use super::layout::{Section, csrf_field, link, page};
use super::session::Session;
use super::time::parse_input;
use crate::admin::ids::is_event_id;
use crate::admin::plugins::plugin_list;
use crate::admin::replay::{backfill_plugin, replay_dead_letters, replay_delivery};
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// The replay form: where to offer a way back to.
#[derive(Debug, Deserialize)]
pub struct ReplayForm {
    #[serde(default)]
    back: String,
}

/// `POST /console/deliveries/{id}/replay`.
pub async fn replay(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    form: Result<Form<ReplayForm>, FormRejection>,
) -> Response {
    let back = form.map(|Form(form)| form.back).unwrap_or_default();
    let result = match id.parse::<i64>() {
        Ok(id) => replay_delivery(&app, id).await.map(|queued| (id, queued)),
        Err(_) => Err(Problem::new(
            ProblemKind::InvalidPath,
            format!("`{id}` is not a delivery id (a number)"),
        )),
    };
    match result {
        Ok((id, queued)) => {
            let new = queued.deliveries.first().copied().unwrap_or_default();
            done_page(
                &session,
                "Delivery replayed",
                html! {
                    p.queued role="status" { "Delivery " (id) " was queued again as delivery " span #new-delivery { (new) } "." }
                    @if is_event_id(&back) {
                        p { a href={ "/console/events/" (back) "#delivery-" (new) } { "See it on its event" } }
                    }
                },
            )
        }
        Err(problem) => problem_page(&problem, Some(&session)),
    }
}

/// `GET /console/plugins/{name}/replay-dead`: how many dead letters a replay would queue, and
/// the button.
pub async fn confirm_replay_dead(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    let plugins = match plugin_list(&app).await {
        Ok(plugins) => plugins,
        Err(problem) => return problem_page(&problem, Some(&session)),
    };
    let dead = plugins
        .items
        .iter()
        .find(|plugin| plugin.name == name)
        .map_or(0, |plugin| plugin.delivery_counts.dead);
    let content = html! {
        @if dead == 0 {
            p #dead-count { "Plugin " (name) " has no dead letters." }
        } @else {
            p #dead-count { "Replay " strong { (dead) } " dead letter(s) of " (name) "? Each is queued as a new delivery, oldest first." }
            form method="post" action={ "/console/plugins/" (name) "/replay-dead" } {
                (csrf_field(&session))
                button type="submit" { "Replay " (dead) " dead letter(s)" }
                " "
                a href=(link("/console/deliveries", &[("status", "dead"), ("plugin", &name)])) { "Cancel" }
            }
        }
    };
    Html(
        page(
            "Replay dead letters",
            Section::Plugins,
            Some(&session),
            content,
        )
        .into_string(),
    )
    .into_response()
}

/// `POST /console/plugins/{name}/replay-dead`.
pub async fn replay_dead(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    match replay_dead_letters(&app, name.clone()).await {
        Ok(queued) => done_page(
            &session,
            "Dead letters replayed",
            queued_note(&queued, &name, "replays of its dead letters"),
        ),
        Err(problem) => problem_page(&problem, Some(&session)),
    }
}

/// The backfill form, as sent.
#[derive(Debug, Deserialize)]
pub struct BackfillForm {
    #[serde(default)]
    event_types: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

/// `POST /console/plugins/{name}/backfill`.
pub async fn backfill(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
    form: Result<Form<BackfillForm>, FormRejection>,
) -> Response {
    let result = async {
        let Form(form) = form
            .map_err(|rejection| Problem::new(ProblemKind::InvalidBody, rejection.body_text()))?;
        let time = |field: &str, text: &str| -> Result<Option<i64>, Problem> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            parse_input(text).map(Some).ok_or_else(|| {
                Problem::new(
                    ProblemKind::InvalidBody,
                    format!("{field} `{text}` is not a date and time like 2026-12-03T10:15 (UTC)"),
                )
            })
        };
        let since = time("since", &form.since)?.ok_or_else(|| {
            Problem::new(
                ProblemKind::InvalidBody,
                "say from when to backfill (since); the events received since then are queued",
            )
        })?;
        let until = time("until", &form.until)?;
        let types: Vec<String> = form
            .event_types
            .split([',', ' '])
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        let types = (!types.is_empty()).then_some(types);
        backfill_plugin(&app, name.clone(), types, since, until).await
    }
    .await;
    match result {
        Ok(queued) => done_page(
            &session,
            "Backfill queued",
            queued_note(&queued, &name, "backfilled deliveries"),
        ),
        Err(problem) => problem_page(&problem, Some(&session)),
    }
}

fn queued_note(queued: &Queued, plugin: &str, what: &str) -> Markup {
    html! {
        p.queued role="status" {
            "Queued " strong #queued-count { (queued.count) } " deliveries for " (plugin) " (" (what) ")."
        }
        p { a href=(link("/console/deliveries", &[("plugin", plugin)])) { "See the deliveries of " (plugin) } }
    }
}

fn done_page(session: &Session, title: &str, content: Markup) -> Response {
    Html(page(title, Section::None, Some(session), content).into_string()).into_response()
}
