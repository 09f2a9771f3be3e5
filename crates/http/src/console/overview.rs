//! `GET /console`: the last hour at a glance, the queue, dead letters, and the plugins loaded.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use smartreach_store::{AttemptOutcome, MINUTE_MS, now_ms};

use super::chart;
use super::error::problem_page;
use super::layout::{Section, badge, page};
use super::session::Session;
use super::time::age;
use crate::problem::Problem;
use crate::state::App;

/// The overview page.
pub async fn show(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    match render(&app, &session).await {
        Ok(page) => page,
        Err(problem) => problem_page(&problem, Some(&session)),
    }
}

async fn render(app: &App, session: &Session) -> Result<Response, Problem> {
    let now = now_ms();
    let since = (now.div_euclid(MINUTE_MS) - (chart::MINUTES as i64 - 1)) * MINUTE_MS;
    let (minutes, queue) = tokio::try_join!(
        app.store.activity_by_minute(since),
        app.store.queue_stats(now),
    )?;
    let snapshot = app.registry.snapshot();
    let webhooks: u64 = minutes.iter().map(|m| m.webhooks).sum();
    let by_outcome: Vec<(&str, u64)> = AttemptOutcome::ALL
        .iter()
        .map(|outcome| {
            let count = minutes.iter().map(|m| m.attempts.get(*outcome)).sum();
            (outcome.as_str(), count)
        })
        .collect();
    let pending: u64 = queue.by_plugin.values().map(|q| q.pending).sum();
    let running: u64 = queue.by_plugin.values().map(|q| q.running).sum();
    let dead: Vec<(&String, u64)> = queue
        .by_plugin
        .iter()
        .filter(|(_, q)| q.dead > 0)
        .map(|(name, q)| (name, q.dead))
        .collect();
    let content = html! {
        section.tiles {
            div.tile { span.value #webhooks-last-hour { (webhooks) } span.label { "webhooks in the last hour" } }
            div.tile { span.value #queue-depth { (pending) } span.label { "pending deliveries" } }
            div.tile { span.value { (running) } span.label { "running" } }
            div.tile {
                span.value #oldest-pending {
                    @match queue.oldest_due_since {
                        Some(since) => (age(now - since)),
                        None => "none",
                    }
                }
                span.label { "oldest pending delivery waits" }
            }
            div.tile { span.value #plugins-loaded { (snapshot.len()) } span.label { "plugins loaded" } }
        }
        section {
            h2 { "Webhooks received" }
            (chart::webhooks(&minutes, now))
        }
        section {
            h2 { "Deliveries by outcome" }
            (chart::attempts(&minutes, now))
            p.legend {
                @for (outcome, count) in &by_outcome {
                    (badge(outcome)) " " (count) " "
                }
                " attempts in the last hour"
            }
        }
        section {
            h2 { "Dead letters" }
            @if dead.is_empty() {
                p { "No dead letters." }
            } @else {
                table #dead-letters {
                    thead { tr { th { "Plugin" } th.num { "Dead letters" } th {} } }
                    tbody {
                        @for (name, count) in &dead {
                            tr {
                                td { (name) }
                                td.num { (count) }
                                td {
                                    a href={ "/console/deliveries?status=dead&plugin=" (name) } { "See them" }
                                    " · "
                                    a href={ "/console/plugins/" (name) "/replay-dead" } { "Replay all" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h2 { "Plugins" }
            ul.plugins-loaded {
                @for plugin in snapshot.iter() {
                    li { a href={ "/console/plugins#plugin-" (plugin.name()) } { (plugin.name()) } }
                }
                @for name in snapshot.compiling().keys() {
                    li { (name) " " span.badge.pending { "compiling" } }
                }
            }
            @if snapshot.is_empty() && snapshot.compiling().is_empty() {
                p { "No plugin is loaded: add NAME.wasm to the plugin folder." }
            }
        }
    };
    Ok(
        Html(page("Overview", Section::Overview, Some(session), content).into_string())
            .into_response(),
    )
}
