//! `GET /api/v1/events` and `GET /api/v1/events/{id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use smartreach_store::{EventDetail, EventFilter, EventSummary};
use utoipa::{IntoParams, ToSchema};

use super::ids::{EVENT_ID_PATTERN, is_event_id};
use super::query::{known_cursor, limit, parsed};
use super::unix_ms;
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// Filters and paging of the event list. Any other query parameter is refused (400).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Only events of this type (exact match).
    event_type: Option<String>,
    /// Received at or after (Unix ms).
    #[serde(default, deserialize_with = "unix_ms::in_query")]
    #[param(minimum = 0, maximum = 253_402_300_799_999_i64)]
    since: Option<i64>,
    /// Received before (Unix ms).
    #[serde(default, deserialize_with = "unix_ms::in_query")]
    #[param(minimum = 0, maximum = 253_402_300_799_999_i64)]
    until: Option<i64>,
    /// Only this prospect email (exact match).
    email: Option<String>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page: an event id.
    #[param(pattern = "^[0-9A-HJKMNP-TV-Z]{26}:[0-9]{1,10}$")]
    cursor: Option<String>,
}

/// A page of events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// The events.
    items: Vec<EventSummary>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// Lists stored events.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events", operation_id = "list_events",
    params(EventQuery),
    responses(
        (status = 200, description = "A page of events, newest first", body = EventPage, links(
            ("show_event" = (operation_id = "show_event", parameters(("id" = "$response.body#/items/0/id")),
                description = "The first event of the page")),
        )),
    ),
    security(("admin_token" = []))
)]
pub async fn list(
    State(app): State<Arc<App>>,
    query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Json<EventPage>, Problem> {
    let mut query = parsed(query)?;
    let cursor = known_cursor(
        query.cursor.take(),
        is_event_id,
        &format!("an event id, {EVENT_ID_PATTERN}"),
    )?;
    let filter = EventFilter {
        event_type: query.event_type,
        since: query.since,
        until: query.until,
        email: query.email,
    };
    let page = app
        .store
        .list_events(filter, limit(query.limit)?, cursor)
        .await?;
    Ok(Json(EventPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One event with its deliveries, their attempts, and the plugins' log lines.
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "events", operation_id = "show_event",
    params(("id" = String, Path, description = "Event id, `{webhook_id}:{index}`",
        pattern = "^[0-9A-HJKMNP-TV-Z]{26}:[0-9]{1,10}$")),
    responses(
        (status = 200, description = "The event", body = EventDetail),
    ),
    security(("admin_token" = []))
)]
pub async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<EventDetail>, Problem> {
    match app.store.event(id.clone()).await? {
        Some(event) => Ok(Json(event)),
        None => Err(Problem::new(
            ProblemKind::EventNotFound,
            format!("no event has the id `{id}` (it may have been pruned by retention)"),
        )),
    }
}
