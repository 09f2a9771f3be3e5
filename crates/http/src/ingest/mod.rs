//! `POST /hooks/smartreach/{token}`: verify -> read -> parse -> persist -> acknowledge.
//!
//! The answer is 2xx only after the webhook, its events and their deliveries are committed; every
//! rejection is an RFC 9457 problem and stores nothing.

mod body;
mod record;
pub mod token;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use smartreach_store::{Ingested, now_ms};
use smartreach_webhook_signature as signature;

use crate::problem::{Problem, ProblemKind};
use crate::state::App;

/// What a stored (202) or redelivered (200) webhook is answered with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The stored webhook's id; its events are `{webhook_id}:{index}`.
    webhook_id: String,
    /// Events stored (one per data item); 0 for a redelivery.
    events: u64,
    /// Deliveries queued (one per event and subscribed plugin); 0 for a redelivery.
    deliveries: u64,
    /// Whether this was a redelivery of a webhook already stored.
    duplicate: bool,
}

/// The ingest route: `POST /hooks/smartreach/{token}`.
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/hooks/smartreach/{token}", post(receive))
}

/// Receives one webhook: stored with its events and their deliveries before the answer. The URL's
/// token names the source; no bearer token. A source with signing secrets also requires a
/// Standard Webhooks signature. Every rejection stores nothing and is counted by its problem's
/// slug.
#[utoipa::path(
    post, path = "/hooks/smartreach/{token}", tag = "ingest", operation_id = "ingest",
    params(
        ("token" = String, Path, description = "A token of the source (`[[sources]] tokens`, or the generated `data/ingest-token`)"),
        ("webhook-id" = Option<String>, Header, nullable = false, description = "Standard Webhooks message id: required when the source has signing secrets"),
        ("webhook-timestamp" = Option<String>, Header, nullable = false, description = "Standard Webhooks send time (Unix seconds): required when the source has signing secrets"),
        ("webhook-signature" = Option<String>, Header, nullable = false, description = "Standard Webhooks signatures (`v1,<base64>` ...): required when the source has signing secrets"),
    ),
    request_body(
        content = Object, content_type = "application/json",
        description = "A SmartReach webhook (the schema `WebhookPayload`, from `schema/smartreach-webhook.schema.json`); `application/*+json` is accepted too"
    ),
    responses(
        (status = 202, description = "Stored and committed", body = Receipt, links(
            ("show_event" = (operation_id = "show_event",
                parameters(("id" = "{$response.body#/webhook_id}:0")),
                description = "The webhook's first event (none when `data` was empty)")),
        )),
        (status = 200, description = "A redelivery (the same body from the same source within `ingest.dedup_window`): acknowledged, not stored again", body = Receipt),
    )
)]
pub async fn receive(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let started = std::time::Instant::now();
    match accept(&app, &token, &headers, body).await {
        Ok(response) => {
            app.metrics.ingest_latency(started.elapsed());
            response
        }
        Err(problem) => {
            app.metrics.ingest_rejected(problem.slug());
            let unread = body_left_unread(problem.kind());
            let mut response = problem.into_response();
            if unread {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}

/// Whether a webhook refused as `kind` may have left part of its body unread. The server then
/// closes the connection after answering, and says so (`Connection: close`): a sender's client
/// must not send its next webhook on a connection the server is about to close.
fn body_left_unread(kind: ProblemKind) -> bool {
    matches!(
        kind,
        ProblemKind::UnknownToken
            | ProblemKind::UnsupportedMediaType
            | ProblemKind::BodyTooLarge
            | ProblemKind::BodyTimeout
            | ProblemKind::UnreadableBody
    )
}

async fn accept(
    app: &App,
    token: &str,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    let Some(source) = app.tokens.find(token).map(|index| &app.sources[index]) else {
        return Err(Problem::new(
            ProblemKind::UnknownToken,
            "no source is configured with this token; check the URL given to SmartReach",
        ));
    };
    require_json(headers)?;
    let body = body::read(body, headers, &app.ingest).await?;
    if !source.signing_secrets.is_empty() {
        signature::verify(
            headers,
            &body,
            &source.signing_secrets,
            std::time::SystemTime::now(),
            app.ingest.signature_tolerance,
        )
        .map_err(|err| {
            Problem::new(
                ProblemKind::InvalidSignature,
                format!(
                    "source `{}` requires a Standard Webhooks signature: {err}",
                    source.name
                ),
            )
        })?;
    }
    // Counted before the parse builds them: an oversized batch costs no typed items.
    if let Some(items) = smartreach_models::count_items(&body) {
        check_items(items, app.ingest.max_items)?;
    }
    let payload = smartreach_models::parse(&body)?;
    check_items(payload.data.len(), app.ingest.max_items)?;

    let received_at = now_ms();
    let plugins = app.registry.snapshot();
    // `Bytes` to `Vec` without a copy when the body is not shared (it is not).
    let webhook = record::new_webhook(&source.name, received_at, body.into(), &payload, &plugins);
    drop(payload);
    let event_type = webhook.event_type.clone();
    let dedup_since = received_at - app.ingest.dedup_window.as_millis() as i64;
    let ingested = app.store.ingest(webhook, dedup_since).await.map_err(|err| {
        tracing::error!(error = %err, "cannot store a webhook; answered 503 so that the sender retries");
        Problem::new(ProblemKind::StoreUnavailable, "the host could not store the webhook; nothing was kept, send it again later",
        )
    })?;
    Ok(match ingested {
        Ingested::Stored {
            webhook_id,
            events,
            deliveries,
        } => {
            app.wake.notify_one();
            app.metrics.webhook_received(&source.name, &event_type);
            let event_type = logged(&event_type);
            tracing::info!(webhook = %webhook_id, source = %source.name, event_type, events, deliveries, "webhook stored");
            (
                StatusCode::ACCEPTED,
                Json(Receipt {
                    webhook_id,
                    events,
                    deliveries,
                    duplicate: false,
                }),
            )
                .into_response()
        }
        Ingested::Duplicate { webhook_id, .. } => {
            app.metrics.webhook_duplicate(&source.name);
            let event_type = logged(&event_type);
            tracing::info!(webhook = %webhook_id, source = %source.name, event_type, "redelivery of a stored webhook: acknowledged, not processed again");
            (
                StatusCode::OK,
                Json(Receipt {
                    webhook_id,
                    events: 0,
                    deliveries: 0,
                    duplicate: true,
                }),
            )
                .into_response()
        }
    })
}

/// The most bytes of a sender's event type written to a log line: a documented type is at most 30,
/// and a type of any length would let every webhook write up to a body's size to the log.
const MAX_LOGGED_EVENT_TYPE: usize = 128;

/// `event_type` as a log line shows it: cut to [`MAX_LOGGED_EVENT_TYPE`] bytes on a char boundary
/// (the store and the admin API keep it whole).
fn logged(event_type: &str) -> &str {
    let mut end = event_type.len().min(MAX_LOGGED_EVENT_TYPE);
    while !event_type.is_char_boundary(end) {
        end -= 1;
    }
    &event_type[..end]
}

/// Only JSON: `application/json`, or any `application/...+json`, parameters allowed.
fn require_json(headers: &HeaderMap) -> Result<(), Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        return Ok(());
    }
    let shown = if content_type.is_empty() {
        "no Content-Type".to_owned()
    } else {
        format!("Content-Type `{content_type}`")
    };
    Err(Problem::new(
        ProblemKind::UnsupportedMediaType,
        format!("got {shown}; send the body as application/json"),
    ))
}

/// Refuses a webhook of more than `ingest.max_items` data items: each is an event and a delivery
/// per subscribed plugin, so the count bounds what one request makes the host store.
fn check_items(items: usize, limit: usize) -> Result<(), Problem> {
    if items <= limit {
        return Ok(());
    }
    Err(Problem::new(ProblemKind::TooManyItems, format!(
            "the webhook holds {items} data items, over the limit of {limit} (ingest.max_items); \
             nothing was stored: send the items in webhooks of at most {limit}, or raise ingest.max_items"
        ),
    )
    .with("items", items)
    .with("limit", limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_event_types_are_cut_on_a_char_boundary() {
        assert_eq!(logged("activity.email.replied"), "activity.email.replied");
        let long = "é".repeat(200);
        let shown = logged(&long);
        assert!(shown.len() <= MAX_LOGGED_EVENT_TYPE && shown.len() >= MAX_LOGGED_EVENT_TYPE - 1);
        assert!(long.starts_with(shown));
    }
}
