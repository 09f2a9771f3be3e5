//! `GET /api/v1/deliveries`.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use smartreach_store::{DeliveryFilter, DeliveryStatus, DeliverySummary};
use utoipa::{IntoParams, ToSchema};

use super::ids::{DELIVERY_CURSOR_PATTERN, is_delivery_cursor};
use super::query::{known_cursor, limit, parsed};
use crate::problem::Problem;
use crate::state::App;

/// Filters and paging of the delivery list. Any other query parameter is refused (400).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only deliveries in this state (`dead`: dead letters not yet replayed).
    #[param(inline)]
    status: Option<StatusFilter>,
    /// Only this plugin.
    plugin: Option<String>,
    /// Only events of this type.
    event_type: Option<String>,
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page: a delivery id.
    #[param(pattern = "^[1-9][0-9]{0,17}$")]
    cursor: Option<String>,
}

/// The states the delivery list filters on.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Waiting for its time, its plugin, or an earlier event of its prospect.
    Pending,
    /// Claimed by a worker.
    Running,
    /// The plugin handled it.
    Done,
    /// The plugin chose not to act.
    Skipped,
    /// A dead letter not yet replayed.
    Dead,
}

impl From<StatusFilter> for DeliveryStatus {
    fn from(filter: StatusFilter) -> Self {
        match filter {
            StatusFilter::Pending => DeliveryStatus::Pending,
            StatusFilter::Running => DeliveryStatus::Running,
            StatusFilter::Done => DeliveryStatus::Done,
            StatusFilter::Skipped => DeliveryStatus::Skipped,
            StatusFilter::Dead => DeliveryStatus::Dead,
        }
    }
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
    get, path = "/api/v1/deliveries", tag = "deliveries", operation_id = "list_deliveries",
    params(DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries, newest first", body = DeliveryPage, links(
            ("replay_delivery" = (operation_id = "replay_delivery",
                parameters(("id" = "$response.body#/items/0/id")),
                description = "Replay the first delivery of the page")),
            ("show_event" = (operation_id = "show_event",
                parameters(("id" = "$response.body#/items/0/event_id")),
                description = "The event of the first delivery of the page")),
        )),
    ),
    security(("admin_token" = []))
)]
pub async fn list(
    State(app): State<Arc<App>>,
    query: Result<Query<DeliveryQuery>, QueryRejection>,
) -> Result<Json<DeliveryPage>, Problem> {
    let mut query = parsed(query)?;
    let cursor = known_cursor(
        query.cursor.take(),
        is_delivery_cursor,
        &format!("a delivery id, {DELIVERY_CURSOR_PATTERN}"),
    )?;
    let filter = DeliveryFilter {
        status: query.status.map(DeliveryStatus::from),
        plugin: query.plugin,
        event_type: query.event_type,
    };
    let page = app
        .store
        .list_deliveries(filter, limit(query.limit)?, cursor)
        .await?;
    Ok(Json(DeliveryPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
