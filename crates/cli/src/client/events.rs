//! `events`: `GET /api/v1/events` as a table, and `events show ID`: `GET /api/v1/events/{id}`
//! as the event followed by its deliveries, their attempts and their log lines.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::table::{Column, Table};
use super::time::format_duration_us;
use super::view::{Counts, id_text, list_or_null, short_hash, text, time_text};
use super::{
    AdminClient, ClientError, Page, items_as, more_hint, path_segment, pretty, time_query,
};
use crate::cli::{EventShowArgs, EventsArgs, EventsCommand};

/// A row of the list.
#[derive(Debug, Deserialize)]
struct EventRow {
    id: Value,
    event_type: String,
    #[serde(default)]
    prospect_id: Value,
    email: Option<String>,
    received_at: Option<i64>,
    #[serde(default)]
    delivery_counts: Counts,
}

/// `events ...`: the list, or one event with `show`. Returns what to print.
pub fn run(args: &EventsArgs) -> Result<String, ClientError> {
    if let Some(EventsCommand::Show(show)) = &args.show {
        return run_show(show);
    }
    let client = AdminClient::new(&args.api)?;
    let mut query = vec![("limit", args.page.limit.to_string())];
    if let Some(event_type) = &args.event_type {
        query.push(("event_type", event_type.clone()));
    }
    if let Some(email) = &args.email {
        query.push(("email", email.clone()));
    }
    time_query(&mut query, args.since.as_deref(), args.until.as_deref())?;
    let page = client.list("/api/v1/events", &query, args.page.all)?;
    if args.api.json {
        return Ok(pretty(&page.to_json()));
    }
    render_list(&page)
}

fn render_list(page: &Page) -> Result<String, ClientError> {
    let rows: Vec<EventRow> = items_as("GET /api/v1/events", page)?;
    if rows.is_empty() {
        return Ok("no events\n".to_owned());
    }
    let mut table = Table::new(vec![
        Column::new("RECEIVED"),
        Column::new("ID"),
        Column::new("TYPE"),
        Column::new("PROSPECT"),
        Column::new("EMAIL"),
        Column::new("DELIVERIES"),
    ]);
    for row in &rows {
        table.row(vec![
            time_text(row.received_at),
            id_text(&row.id),
            row.event_type.clone(),
            id_text(&row.prospect_id),
            text(row.email.as_deref()),
            row.delivery_counts.summary(),
        ]);
    }
    let mut out = table.render();
    if page.next_cursor.is_some() {
        out.push_str(&more_hint(rows.len(), "events"));
    }
    Ok(out)
}

/// One event with everything about it.
#[derive(Debug, Deserialize)]
struct EventDetail {
    id: Value,
    #[serde(default)]
    webhook_id: Value,
    event_type: String,
    #[serde(default)]
    prospect_id: Value,
    email: Option<String>,
    occurred_at: Option<i64>,
    received_at: Option<i64>,
    #[serde(default)]
    metadata: Value,
    #[serde(default)]
    item: Value,
    #[serde(default, deserialize_with = "list_or_null")]
    deliveries: Vec<Delivery>,
}

#[derive(Debug, Deserialize)]
struct Delivery {
    id: Value,
    plugin: String,
    status: String,
    origin: Option<String>,
    #[serde(default)]
    attempts: u64,
    next_attempt_at: Option<i64>,
    last_error: Option<String>,
    #[serde(default)]
    replay_of: Value,
    #[serde(default)]
    replayed_by: Value,
    #[serde(default, deserialize_with = "list_or_null")]
    runs: Vec<Run>,
}

#[derive(Debug, Deserialize)]
struct Run {
    attempt: u64,
    plugin_hash: Option<String>,
    started_at: Option<i64>,
    duration_us: Option<i64>,
    outcome: String,
    detail: Option<String>,
    #[serde(default, deserialize_with = "list_or_null")]
    logs: Vec<Log>,
    #[serde(default, deserialize_with = "list_or_null")]
    requests: Vec<Request>,
}

#[derive(Debug, Deserialize)]
struct Log {
    level: String,
    source: Option<String>,
    message: String,
}

#[derive(Debug, Deserialize)]
struct Request {
    method: String,
    origin: String,
    decision: String,
    /// Why it was refused, in records that say (`address_denied`).
    #[serde(default)]
    reason: Option<String>,
}

fn run_show(args: &EventShowArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api)?;
    let path = format!("/api/v1/events/{}", path_segment(&args.id));
    let event: Value = client.get(&path, &[])?;
    if args.api.json {
        return Ok(pretty(&event));
    }
    let detail = EventDetail::deserialize(&event).map_err(|err| ClientError::BadAnswer {
        request: format!("GET {path}"),
        message: err.to_string(),
    })?;
    Ok(render_detail(&detail))
}

fn render_detail(event: &EventDetail) -> String {
    let mut out = String::new();
    let prospect = match &event.email {
        Some(email) => format!("{} <{email}>", id_text(&event.prospect_id)),
        None => id_text(&event.prospect_id),
    };
    for (label, value) in [
        ("event", id_text(&event.id)),
        ("type", event.event_type.clone()),
        ("webhook", id_text(&event.webhook_id)),
        ("prospect", prospect),
        ("occurred", time_text(event.occurred_at)),
        ("received", time_text(event.received_at)),
    ] {
        let _ = writeln!(out, "{label:<9} {value}");
    }
    for (label, value) in [("metadata", &event.metadata), ("item", &event.item)] {
        if !value.is_null() {
            let _ = writeln!(out, "{label}:");
            for line in pretty(value).lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    if event.deliveries.is_empty() {
        out.push_str(
            "\nno deliveries: no plugin was subscribed to this event type when it arrived\n",
        );
    }
    for delivery in &event.deliveries {
        render_delivery(&mut out, delivery);
    }
    out
}

fn render_delivery(out: &mut String, delivery: &Delivery) {
    let _ = write!(
        out,
        "\ndelivery {} to {}: {}, {} attempt{}",
        id_text(&delivery.id),
        delivery.plugin,
        delivery.status,
        delivery.attempts,
        if delivery.attempts == 1 { "" } else { "s" }
    );
    if let Some(origin) = &delivery.origin {
        let _ = write!(out, " ({origin})");
    }
    out.push('\n');
    if delivery.status == "pending"
        && let Some(at) = delivery.next_attempt_at
    {
        let _ = writeln!(out, "  next attempt {}", time_text(Some(at)));
    }
    if !delivery.replay_of.is_null() {
        let _ = writeln!(out, "  replay of delivery {}", id_text(&delivery.replay_of));
    }
    if !delivery.replayed_by.is_null() {
        let _ = writeln!(
            out,
            "  replayed by delivery {}",
            id_text(&delivery.replayed_by)
        );
    }
    if let Some(error) = &delivery.last_error {
        let _ = writeln!(out, "  last error: {error}");
    }
    for run in &delivery.runs {
        let _ = write!(
            out,
            "  attempt {}  {}  {}  {}  plugin {}",
            run.attempt,
            time_text(run.started_at),
            run.outcome,
            run.duration_us
                .map_or_else(|| "-".to_owned(), format_duration_us),
            short_hash(run.plugin_hash.as_deref()),
        );
        if let Some(detail) = run.detail.as_deref().filter(|detail| !detail.is_empty()) {
            let _ = write!(out, "\n    {detail}");
        }
        out.push('\n');
        for log in &run.logs {
            let source = log.source.as_deref().unwrap_or("host");
            let _ = writeln!(out, "    {:<5} {source:<6} {}", log.level, log.message);
        }
        for request in &run.requests {
            let _ = write!(
                out,
                "    http  {} {} {}",
                request.method, request.origin, request.decision
            );
            match &request.reason {
                Some(reason) => {
                    let _ = writeln!(out, ": {reason}");
                }
                None => out.push('\n'),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_list_shows_one_row_per_event_and_a_hint_when_more_exist() {
        let page = Page {
            items: vec![json!({
                "id": "01JX:0", "webhook_id": "01JX", "event_type": "activity.email.opened",
                "prospect_id": "7854240", "email": "aisha@gulfline.example",
                "occurred_at": 1_795_773_600_000_i64, "received_at": 1_795_773_601_000_i64,
                "delivery_counts": {"pending": 0, "running": 0, "done": 2, "skipped": 0, "dead": 1}
            })],
            next_cursor: Some("c2".into()),
        };
        let text = render_list(&page).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("RECEIVED"));
        let row = lines.next().unwrap();
        for cell in [
            "2026-11-27T10:00:01Z",
            "01JX:0",
            "activity.email.opened",
            "7854240",
            "aisha@gulfline.example",
            "2 done, 1 dead",
        ] {
            assert!(row.contains(cell), "{cell} in {row}");
        }
        assert!(text.contains("pass --all"), "{text}");
    }

    #[test]
    fn an_empty_list_says_so() {
        let page = Page {
            items: vec![],
            next_cursor: None,
        };
        assert_eq!(render_list(&page).unwrap(), "no events\n");
    }

    #[test]
    fn the_detail_shows_each_delivery_its_runs_logs_and_requests() {
        let event: EventDetail = serde_json::from_value(json!({
            "id": "01JX:0", "webhook_id": "01JX", "event_type": "activity.email.replied",
            "prospect_id": 7, "email": "ana@example.com", "occurred_at": 0, "received_at": 1000,
            "metadata": {"event_type": "activity.email.replied"}, "item": {"prospect": {"prospect_id": 7}},
            "deliveries": [{
                "id": 12, "plugin": "slack-replies", "status": "dead", "origin": "ingest",
                "attempts": 2, "next_attempt_at": null, "last_error": "status 500",
                "replay_of": null, "replayed_by": 15, "created_at": 0, "updated_at": 0,
                "runs": [{
                    "attempt": 1, "plugin_hash": "abcdef0123456789", "started_at": 1000,
                    "duration_us": 1500, "outcome": "retry", "detail": "status 500",
                    "logs": [{"level": "info", "source": "host", "message": "posting"}],
                    "requests": [
                        {"method": "POST", "origin": "https://hooks.slack.com", "decision": "sent"},
                        {"method": "GET", "origin": "http://localhost:9", "decision": "address_denied",
                         "reason": "localhost resolved to 127.0.0.1 (loopback)"}
                    ]
                }]
            }]
        }))
        .unwrap();
        let text = render_detail(&event);
        for needle in [
            "event     01JX:0",
            "prospect  7 <ana@example.com>",
            "received  1970-01-01T00:00:01Z",
            "\"event_type\": \"activity.email.replied\"",
            "delivery 12 to slack-replies: dead, 2 attempts (ingest)",
            "replayed by delivery 15",
            "last error: status 500",
            "attempt 1  1970-01-01T00:00:01Z  retry  1.5 ms  plugin abcdef012345",
            "info  host   posting",
            "http  POST https://hooks.slack.com sent\n",
            "http  GET http://localhost:9 address_denied: localhost resolved to 127.0.0.1 (loopback)\n",
        ] {
            assert!(text.contains(needle), "{needle:?} in\n{text}");
        }
    }
}
