//! `GET /console/events`: stored events, newest first, filtered by type, email and time range,
//! a page at a time (the admin API's list, `Store::list_events`).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use smartreach_models::DocumentedEventType;
use smartreach_store::{EventFilter, StatusCounts};

use super::error::problem_page;
use super::layout::{Section, badge, link, page};
use super::session::Session;
use super::time::{input_value, parse_input, show};
use crate::admin::ids::is_event_id;
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// Events per page.
const PAGE: u32 = 50;

/// The filter form, as sent (empty fields mean no filter).
#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    #[serde(default, rename = "type")]
    event_type: String,
    #[serde(default)]
    email: String,
    /// `datetime-local`, UTC.
    #[serde(default)]
    since: String,
    /// `datetime-local`, UTC.
    #[serde(default)]
    until: String,
    #[serde(default)]
    cursor: String,
}

/// The event list.
pub async fn list(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Response {
    let result = match query {
        Ok(Query(query)) => render(&app, &session, query).await,
        Err(rejection) => Err(Problem::from(rejection)),
    };
    result.unwrap_or_else(|problem| problem_page(&problem, Some(&session)))
}

fn time_filter(name: &str, text: &str) -> Result<Option<i64>, Problem> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_input(text).map(Some).ok_or_else(|| {
        Problem::new(
            ProblemKind::InvalidQuery,
            format!("{name} `{text}` is not a date and time like 2026-12-03T10:15 (UTC)"),
        )
    })
}

fn filled(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

async fn render(app: &App, session: &Session, query: EventsQuery) -> Result<Response, Problem> {
    let cursor = filled(&query.cursor);
    if let Some(cursor) = &cursor
        && !is_event_id(cursor)
    {
        return Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!("cursor `{cursor}` is not an event id from a page of this list"),
        ));
    }
    let filter = EventFilter {
        event_type: filled(&query.event_type),
        since: time_filter("since", &query.since)?,
        until: time_filter("until", &query.until)?,
        email: filled(&query.email),
    };
    let events = app.store.list_events(filter.clone(), PAGE, cursor).await?;
    let since = filter.since.map(input_value).unwrap_or_default();
    let until = filter.until.map(input_value).unwrap_or_default();
    let event_type = filter.event_type.clone().unwrap_or_default();
    let email = filter.email.clone().unwrap_or_default();
    let filters = [
        ("type", event_type.as_str()),
        ("email", email.as_str()),
        ("since", since.as_str()),
        ("until", until.as_str()),
    ];
    let content = html! {
        form.filters method="get" action="/console/events" {
            label { "Type " input type="text" name="type" value=(event_type) list="event-types" placeholder="any"; }
            datalist #event-types {
                @for documented in DocumentedEventType::ALL { option value=(documented) {} }
            }
            label { "Email " input type="text" name="email" value=(email) placeholder="any"; }
            label { "Received from " input type="datetime-local" name="since" value=(since); }
            label { "until " input type="datetime-local" name="until" value=(until); }
            span.hint { "(UTC)" }
            button type="submit" { "Filter" }
            a href="/console/events" { "Clear" }
        }
        @if events.items.is_empty() {
            p.empty { "No event matches." }
        } @else {
            table #events {
                thead { tr {
                    th { "Received" } th { "Type" } th { "Email" } th { "Prospect" } th { "Deliveries" }
                } }
                tbody {
                    @for event in &events.items {
                        tr {
                            td { a href={ "/console/events/" (event.id) } { (show(event.received_at)) } }
                            td { (event.event_type) }
                            td { (event.email.as_deref().unwrap_or("")) }
                            td { (event.prospect_id.as_deref().unwrap_or("")) }
                            td { (counts(&event.delivery_counts)) }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if !query.cursor.is_empty() {
                a href=(link("/console/events", &filters)) { "Newest" }
            }
            @if let Some(next) = &events.next_cursor {
                a rel="next" href=(link("/console/events", &[filters[0], filters[1], filters[2], filters[3], ("cursor", next.as_str())])) { "Older events" }
            }
        }
    };
    Ok(Html(page("Events", Section::Events, Some(session), content).into_string()).into_response())
}

/// Deliveries by status as badges, the empty ones left out.
pub fn counts(counts: &StatusCounts) -> maud::Markup {
    let shown = [
        ("pending", counts.pending),
        ("running", counts.running),
        ("done", counts.done),
        ("skipped", counts.skipped),
        ("dead", counts.dead),
    ];
    html! {
        @for (name, count) in shown {
            @if count > 0 { (count) " " (badge(name)) " " }
        }
    }
}
