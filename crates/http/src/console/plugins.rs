//! `GET /console/plugins`: every plugin as the admin API lists it (`plugin_list`): version,
//! subscriptions, limits, allowed hosts, config keys (never values), deliveries by status, last
//! error, whether it is paused or held back; with the replay of its dead letters, a backfill form
//! and a pause or resume button.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};

use super::error::problem_page;
use super::events::counts;
use super::layout::{Section, csrf_field, page};
use super::session::Session;
use super::time::show;
use crate::admin::plugins::{PluginInfo, plugin_list};
use crate::state::App;

/// The plugin page.
pub async fn list(State(app): State<Arc<App>>, Extension(session): Extension<Session>) -> Response {
    let plugins = match plugin_list(&app).await {
        Ok(plugins) => plugins,
        Err(problem) => return problem_page(&problem, Some(&session)),
    };
    let content = html! {
        @if plugins.items.is_empty() {
            p.empty { "No plugin is loaded and none has deliveries: add NAME.wasm to the plugin folder." }
        }
        @for plugin in &plugins.items {
            (plugin_card(plugin, &session))
        }
    };
    Html(page("Plugins", Section::Plugins, Some(&session), content).into_string()).into_response()
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// The button that pauses a running plugin, or resumes a paused one.
fn pause_form(name: &str, paused: bool, session: &Session) -> Markup {
    let (action, label) = if paused {
        ("resume", "Resume")
    } else {
        ("pause", "Pause")
    };
    html! {
        form.inline.pause method="post" action={ "/console/plugins/" (name) "/" (action) } {
            (csrf_field(session))
            button type="submit" { (label) }
        }
    }
}

fn plugin_card(plugin: &PluginInfo, session: &Session) -> Markup {
    let name = &plugin.name;
    html! {
        article.plugin id={ "plugin-" (name) } {
            h2 {
                (name) " "
                @if plugin.loaded { span.badge.done { "loaded" } } @else { span.badge.dead { "not loaded" } }
            }
            @if let Some(description) = &plugin.description { p { (description) } }
            dl.summary {
                dt { "Version" } dd { code { (plugin.content_hash.as_deref().map_or("none", |hash| &hash[..hash.len().min(16)])) } }
                dt { "Subscriptions" } dd.subscriptions { (list_or_none(&plugin.subscriptions)) }
                @if let Some(limits) = &plugin.limits {
                    dt { "Limits" }
                    dd.limits {
                        (limits.timeout_ms) " ms per event, " (limits.memory_mib) " MiB, "
                        (limits.max_concurrency) " at once, HTTP " (limits.http_timeout_ms) " ms and "
                        (limits.max_response_bytes) " bytes per response"
                    }
                }
                dt { "Allowed hosts" } dd.hosts { (list_or_none(&plugin.allowed_outbound_hosts)) }
                dt { "Config keys" } dd.config-keys { (list_or_none(&plugin.config_keys)) }
                dt { "Deliveries" } dd.counts { (counts(&plugin.delivery_counts)) }
                @if let Some(error) = &plugin.last_error {
                    dt { "Last error" }
                    dd.error {
                        (show(error.at)) ": " (error.message) " "
                        a href={ "/console/deliveries?plugin=" (name) } { "(delivery " (error.delivery_id) ")" }
                    }
                }
                @if let Some(failure) = &plugin.load_error {
                    dt { "Load failed" }
                    dd.error { (show(failure.at)) ": " (failure.file) ": " (failure.message) }
                }
                dt { "State" }
                dd.state {
                    @if let Some(since) = plugin.paused_since {
                        span.badge.pending { "paused" } " since " (show(since)) ": its deliveries wait"
                    } @else {
                        "running"
                    }
                    @if let (Some(until), Some(why)) = (plugin.held_until, &plugin.held_because) {
                        "; held back until " (show(until)) ": " (why)
                    }
                }
            }
            (pause_form(name, plugin.paused_since.is_some(), session))
            @if plugin.delivery_counts.dead > 0 {
                p {
                    a.button href={ "/console/plugins/" (name) "/replay-dead" } {
                        "Replay " (plugin.delivery_counts.dead) " dead letter(s)"
                    }
                }
            }
            @if plugin.loaded {
                form.backfill method="post" action={ "/console/plugins/" (name) "/backfill" } {
                    (csrf_field(session))
                    strong { "Backfill" }
                    label { "Types " input type="text" name="event_types" placeholder=(list_or_none(&plugin.subscriptions)); }
                    label { "Received from " input type="datetime-local" name="since" required; }
                    label { "until " input type="datetime-local" name="until"; }
                    span.hint { "(UTC; types separated by spaces or commas, empty: its subscriptions)" }
                    button type="submit" { "Queue backfill" }
                }
            }
        }
    }
}
