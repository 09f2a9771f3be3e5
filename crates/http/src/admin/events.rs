//! `GET /api/v1/events` and `GET /api/v1/events/{id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use smartreach_store::{EventDetail, EventFilter, EventSummary};
use utoipa::{IntoParams, ToSchema};

use super::query::{limit, parsed};
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// Filters of the event list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this type.
    event_type: Option<String>,
    /// Received at or after (Unix ms).
    since: Option<i64>,
    /// Received before (Unix ms).
    until: Option<i64>,
    /// Only this prospect email (exact match).
    email: Option<String>,
    /// Items per page (1..=500, default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
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
    get, path = "/api/v1/events", tag = "events",
    params(EventQuery),
    responses(
        (status = 200, description = "A page of events, newest first", body = EventPage),
        (status = 400, description = "Invalid query", body = crate::problem::ProblemDoc),
        (status = 401, description = "No or wrong admin token", body = crate::problem::ProblemDoc),
    ),
    security(("admin_token" = []))
)]
pub async fn list(
    State(app): State<Arc<App>>,
    query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Json<EventPage>, Problem> {
    let query = parsed(query)?;
    let filter = EventFilter {
        event_type: query.event_type,
        since: query.since,
        until: query.until,
        email: query.email,
    };
    let page = app
        .store
        .list_events(filter, limit(query.limit)?, query.cursor)
        .await?;
    Ok(Json(EventPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One event with its deliveries, their attempts, and the plugins' log lines.
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "Event id, `{webhook_id}:{index}`")),
    responses(
        (status = 200, description = "The event", body = EventDetail),
        (status = 404, description = "No such event", body = crate::problem::ProblemDoc),
        (status = 401, description = "No or wrong admin token", body = crate::problem::ProblemDoc),
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
