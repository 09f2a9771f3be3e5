//! `GET /api/v1/deliveries`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use smartreach_store::{DeliveryFilter, DeliveryStatus, DeliverySummary};
use utoipa::{IntoParams, ToSchema};

use super::query::{limit, parsed};
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// Filters of the delivery list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `running`, `done`, `skipped` or `dead` (dead letters not yet replayed).
    status: Option<String>,
    /// Only this plugin.
    plugin: Option<String>,
    /// Only events of this type.
    event_type: Option<String>,
    /// Items per page (1..=500, default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    /// The deliveries.
    items: Vec<DeliverySummary>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// Lists deliveries.
#[utoipa::path(
    get, path = "/api/v1/deliveries", tag = "deliveries",
    params(DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries, newest first", body = DeliveryPage),
        (status = 400, description = "Invalid query", body = crate::problem::ProblemDoc),
        (status = 401, description = "No or wrong admin token", body = crate::problem::ProblemDoc),
    ),
    security(("admin_token" = []))
)]
pub async fn list(
    State(app): State<Arc<App>>,
    query: Result<Query<DeliveryQuery>, QueryRejection>,
) -> Result<Json<DeliveryPage>, Problem> {
    let query = parsed(query)?;
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => Some(DeliveryStatus::from_name(name).ok_or_else(|| {
            Problem::new(
                ProblemKind::InvalidQuery,
                format!("status `{name}` is not one of pending, running, done, skipped, dead"),
            )
        })?),
    };
    if let Some(cursor) = &query.cursor
        && cursor.parse::<i64>().is_err()
    {
        return Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!("cursor `{cursor}` is not a next_cursor this API gave out"),
        ));
    }
    let filter = DeliveryFilter {
        status,
        plugin: query.plugin,
        event_type: query.event_type,
    };
    let page = app
        .store
        .list_deliveries(filter, limit(query.limit)?, query.cursor)
        .await?;
    Ok(Json(DeliveryPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
