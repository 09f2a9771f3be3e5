//! `GET /console/events/{id}`: one event (the admin API's `Store::event`): its fields labelled
//! from the schema, its payload, its deliveries and every attempt with outcome, duration, log
//! lines and outbound requests.

use std::sync::Arc;

use axum::extract::{Extension, Path, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use serde_json::Value;
use smartreach_store::{AttemptView, DeliveryDetail, ShownStatus};

use super::error::problem_page;
use super::layout::{Section, badge, csrf_field, page};
use super::schema_labels::fields;
use super::session::Session;
use super::time::{duration_us, show as show_time};
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// The event page.
pub async fn show(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    match render(&app, &session, id).await {
        Ok(page) => page,
        Err(problem) => problem_page(&problem, Some(&session)),
    }
}

async fn render(app: &App, session: &Session, id: String) -> Result<Response, Problem> {
    let Some(event) = app.store.event(id.clone()).await? else {
        return Err(Problem::new(
            ProblemKind::EventNotFound,
            format!("no event has the id `{id}` (it may have been pruned by retention)"),
        ));
    };
    let summary = &event.summary;
    let content = html! {
        dl.summary {
            dt { "Id" } dd #event-id { (summary.id) }
            dt { "Type" } dd { (summary.event_type) }
            dt { "Received" } dd { (show_time(summary.received_at)) }
            @if let Some(at) = summary.occurred_at { dt { "Occurred" } dd { (show_time(at)) } }
            dt { "Email" } dd { (summary.email.as_deref().unwrap_or("")) }
            dt { "Prospect" } dd { (summary.prospect_id.as_deref().unwrap_or("")) }
            dt { "Webhook" } dd { (summary.webhook_id) }
        }
        section {
            h2 { "Fields" }
            table #fields {
                thead { tr { th { "Part" } th { "Field" } th { "Value" } th { "Meaning" } } }
                tbody {
                    @for field in fields(&event.metadata, &event.item) {
                        tr {
                            td { (field.part) }
                            td { code { (field.name) } }
                            td.value { (field.value) }
                            td.meaning { (field.meaning) }
                        }
                    }
                }
            }
        }
        section {
            h2 { "Deliveries" }
            @if event.deliveries.is_empty() {
                p { "No plugin subscribed to this event when it arrived; a backfill can run one over it." }
            }
            @for delivery in &event.deliveries {
                (delivery_block(delivery, &summary.id, session))
            }
        }
        section {
            h2 { "Payload" }
            details open {
                summary { "Data item" }
                pre #payload-item { (pretty(&event.item)) }
            }
            details {
                summary { "Webhook metadata" }
                pre #payload-metadata { (pretty(&event.metadata)) }
            }
        }
    };
    let title = format!("Event {}", summary.event_type);
    Ok(Html(page(&title, Section::Events, Some(session), content).into_string()).into_response())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Whether a delivery in `status` can be replayed now (the store refuses the others).
pub fn replayable(status: ShownStatus) -> bool {
    matches!(
        status,
        ShownStatus::Done | ShownStatus::Skipped | ShownStatus::Dead
    )
}

/// A replay button for delivery `id`; `back` is the event to offer a way back to.
pub fn replay_button(id: i64, back: &str, session: &Session) -> Markup {
    html! {
        form.inline method="post" action={ "/console/deliveries/" (id) "/replay" } {
            (csrf_field(session))
            input type="hidden" name="back" value=(back);
            button type="submit" { "Replay" }
        }
    }
}

fn delivery_block(delivery: &DeliveryDetail, event_id: &str, session: &Session) -> Markup {
    let summary = &delivery.summary;
    html! {
        article.delivery id={ "delivery-" (summary.id) } {
            h3 {
                (summary.plugin) " " (badge(summary.status.as_str()))
                span.meta { " delivery " (summary.id) ", " (summary.origin) ", " (summary.attempts) " attempt(s)" }
            }
            p.meta {
                @if let Some(of) = summary.replay_of { "Replays delivery " (of) ". " }
                @if let Some(by) = summary.replayed_by { "Replayed by delivery " (by) ". " }
                @if summary.status == ShownStatus::Pending { "Due " (show_time(summary.next_attempt_at)) ". " }
                @if let Some(error) = &summary.last_error { "Last error: " span.error { (error) } }
            }
            @if replayable(summary.status) {
                (replay_button(summary.id, event_id, session))
            }
            @if !delivery.runs.is_empty() {
                table.attempts {
                    thead { tr {
                        th { "#" } th { "Started" } th { "Duration" } th { "Outcome" } th { "Detail" }
                        th { "Log lines" } th { "Outbound requests" }
                    } }
                    tbody {
                        @for run in &delivery.runs { (attempt_row(run)) }
                    }
                }
            }
        }
    }
}

fn attempt_row(run: &AttemptView) -> Markup {
    let logs = run.logs.as_array().cloned().unwrap_or_default();
    let requests = run.requests.as_array().cloned().unwrap_or_default();
    let text = |value: &Value, key: &str| -> String {
        match value.get(key) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    html! {
        tr {
            td { (run.attempt) }
            td { (show_time(run.started_at)) }
            td.num { (duration_us(run.duration_us)) }
            td { (badge(run.outcome.as_str())) }
            td { (run.detail.as_deref().unwrap_or("")) }
            td {
                @if !logs.is_empty() {
                    ul.logs {
                        @for line in &logs {
                            li { span.level { (text(line, "level")) } " " (text(line, "message")) }
                        }
                    }
                }
            }
            td {
                @if !requests.is_empty() {
                    ul.requests {
                        @for request in &requests {
                            li {
                                (text(request, "method")) " " (text(request, "origin")) " → "
                                (text(request, "decision"))
                                @let reason = text(request, "reason");
                                @if !reason.is_empty() { " (" (reason) ")" }
                            }
                        }
                    }
                }
            }
        }
    }
}
