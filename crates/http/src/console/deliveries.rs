//! `GET /console/deliveries`: deliveries, newest first, filtered by status and plugin, a page at a
//! time (the admin API's list, `Store::list_deliveries`), each finished one with a replay button.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use smartreach_store::{DeliveryFilter, DeliveryStatus};

use super::error::problem_page;
use super::event::{replay_button, replayable};
use super::layout::{Section, badge, link, page};
use super::session::Session;
use super::time::show;
use crate::admin::ids::is_delivery_cursor;
use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// Deliveries per page.
const PAGE: u32 = 50;

/// The statuses the list filters on, as the admin API names them.
const STATUSES: [(&str, DeliveryStatus); 5] = [
    ("pending", DeliveryStatus::Pending),
    ("running", DeliveryStatus::Running),
    ("done", DeliveryStatus::Done),
    ("skipped", DeliveryStatus::Skipped),
    ("dead", DeliveryStatus::Dead),
];

/// The filter form, as sent (empty fields mean no filter).
#[derive(Debug, Default, Deserialize)]
pub struct DeliveriesQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    cursor: String,
}

/// The delivery list.
pub async fn list(
    State(app): State<Arc<App>>,
    Extension(session): Extension<Session>,
    query: Result<Query<DeliveriesQuery>, QueryRejection>,
) -> Response {
    let result = match query {
        Ok(Query(query)) => render(&app, &session, query).await,
        Err(rejection) => Err(Problem::from(rejection)),
    };
    result.unwrap_or_else(|problem| problem_page(&problem, Some(&session)))
}

async fn render(app: &App, session: &Session, query: DeliveriesQuery) -> Result<Response, Problem> {
    let invalid = |detail: String| Problem::new(ProblemKind::InvalidQuery, detail);
    let status = match query.status.trim() {
        "" => None,
        name => Some(
            STATUSES
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, status)| *status)
                .ok_or_else(|| {
                    invalid(format!(
                        "status `{name}` is none of pending, running, done, skipped, dead"
                    ))
                })?,
        ),
    };
    let cursor = match query.cursor.trim() {
        "" => None,
        cursor if is_delivery_cursor(cursor) => Some(cursor.to_owned()),
        cursor => {
            return Err(invalid(format!(
                "cursor `{cursor}` is not a delivery id from a page of this list"
            )));
        }
    };
    let plugin = query.plugin.trim().to_owned();
    let filter = DeliveryFilter {
        status,
        plugin: (!plugin.is_empty()).then(|| plugin.clone()),
        event_type: None,
    };
    let page_of = app.store.list_deliveries(filter, PAGE, cursor).await?;
    let plugins: Vec<String> = app
        .registry
        .snapshot()
        .iter()
        .map(|plugin| plugin.name().to_owned())
        .collect();
    let status_name = query.status.trim();
    let filters = [("status", status_name), ("plugin", plugin.as_str())];
    let content = html! {
        form.filters method="get" action="/console/deliveries" {
            label { "Status "
                select name="status" {
                    option value="" selected[status_name.is_empty()] { "any" }
                    @for (name, _) in STATUSES {
                        option value=(name) selected[status_name == name] { (name) }
                    }
                }
            }
            label { "Plugin " input type="text" name="plugin" value=(plugin) list="plugin-names" placeholder="any"; }
            datalist #plugin-names { @for name in &plugins { option value=(name) {} } }
            button type="submit" { "Filter" }
            a href="/console/deliveries" { "Clear" }
        }
        @if status_name == "dead" && !plugin.is_empty() && !page_of.items.is_empty() {
            p { a.button href={ "/console/plugins/" (plugin) "/replay-dead" } { "Replay every dead letter of " (plugin) } }
        }
        @if page_of.items.is_empty() {
            p.empty { "No delivery matches." }
        } @else {
            table #deliveries {
                thead { tr {
                    th { "Id" } th { "Created" } th { "Plugin" } th { "Event" } th { "Status" }
                    th { "Origin" } th.num { "Attempts" } th { "Last error" } th {}
                } }
                tbody {
                    @for delivery in &page_of.items {
                        tr id={ "delivery-" (delivery.id) } {
                            td { (delivery.id) }
                            td { (show(delivery.created_at)) }
                            td { (delivery.plugin) }
                            td { a href={ "/console/events/" (delivery.event_id) } { (delivery.event_type) } }
                            td { (badge(delivery.status.as_str())) }
                            td { (delivery.origin) }
                            td.num { (delivery.attempts) }
                            td.error { (delivery.last_error.as_deref().unwrap_or("")) }
                            td {
                                @if replayable(delivery.status) {
                                    (replay_button(delivery.id, &delivery.event_id, session))
                                }
                            }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if !query.cursor.is_empty() {
                a href=(link("/console/deliveries", &filters)) { "Newest" }
            }
            @if let Some(next) = &page_of.next_cursor {
                a rel="next" href=(link("/console/deliveries", &[filters[0], filters[1], ("cursor", next.as_str())])) { "Older deliveries" }
            }
        }
    };
    Ok(
        Html(page("Deliveries", Section::Deliveries, Some(session), content).into_string())
            .into_response(),
    )
}
