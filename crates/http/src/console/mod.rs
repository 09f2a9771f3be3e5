//! The web console under `/console`: server-rendered pages over the same store reads and actions
//! as the admin API (`crate::admin`), behind a sign-in with `admin.token`. Off, and saying so,
//! without one.
//!
//! ```text
//! /console/sign-in ─> session cookie (session.rs) ─> pages (guard.rs: session; CSRF on POST)
//! overview.rs, events.rs, event.rs, deliveries.rs, plugins.rs: reads; actions.rs: replays, backfill;
//! pause.rs: pause and resume
//! ```
//!
//! Every answer carries a strict Content-Security-Policy (headers.rs); the only script is htmx,
//! served by the host itself (assets.rs), and every page reads without it.

mod actions;
mod assets;
mod chart;
mod deliveries;
mod error;
mod event;
mod events;
mod guard;
mod headers;
mod layout;
mod overview;
mod pause;
mod plugins;
mod schema_labels;
mod session;
mod sign_in;
mod time;

use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::{Extension, Router};

use crate::state::App;
use session::Sessions;

/// The console's routes; without `admin.token`, every `/console` path answers that it is off.
pub fn router(app: &App) -> Router<Arc<App>> {
    let Some(token) = app.admin_token.as_deref() else {
        return Router::new()
            .route("/console", any(sign_in::off))
            .route("/console/{*rest}", any(sign_in::off))
            .layer(axum::middleware::from_fn(headers::secure));
    };
    let sessions = Arc::new(Sessions::new(token));
    let signed_in = Router::new()
        .route("/console", get(overview::show))
        .route("/console/", get(overview::show))
        .route("/console/events", get(events::list))
        .route("/console/events/{id}", get(event::show))
        .route("/console/deliveries", get(deliveries::list))
        .route("/console/deliveries/{id}/replay", post(actions::replay))
        .route("/console/plugins", get(plugins::list))
        .route(
            "/console/plugins/{name}/replay-dead",
            get(actions::confirm_replay_dead).post(actions::replay_dead),
        )
        .route("/console/plugins/{name}/backfill", post(actions::backfill))
        .route("/console/plugins/{name}/pause", post(pause::pause))
        .route("/console/plugins/{name}/resume", post(pause::resume))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&sessions),
            guard::signed_in,
        ));
    Router::new()
        .merge(signed_in)
        .route("/console/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/console/static/htmx.min.js", get(assets::htmx))
        .route("/console/static/console.css", get(assets::css))
        .route("/console/{*rest}", any(sign_in::not_found))
        .layer(Extension(sessions))
        .layer(axum::middleware::from_fn(headers::secure))
}
