//! `events`: `GET /api/v1/events` as a table, and `events show ID`: `GET /api/v1/events/{id}`
//! as the event followed by its deliveries, their attempts and their log lines.

use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use smartreach_plugin_runtime::{LogLine, OutboundRequest};
use smartreach_store::{AttemptView, DeliveryDetail, EventDetail, EventSummary, ShownStatus};

use super::table::{Column, Table};
use super::time::format_duration_us;
use super::view::{counts_summary, short_hash, text, time_text, wire_name};
use super::{
    AdminClient, ClientError, Page, items_as, more_hint, path_segment, pretty, time_query,
};
use crate::cli::{EventShowArgs, EventsArgs, EventsCommand};

/// `events ...`: the list, or one event with `show`. Returns what to print.
pub fn run(args: &EventsArgs) -> Result<String, ClientError> {
    if let Some(EventsCommand::Show(show)) = &args.show {
        return run_show(show);
    }
    let client = AdminClient::new(&args.api.host)?;
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
    let rows: Vec<EventSummary> = items_as("GET /api/v1/events", page)?;
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
            time_text(Some(row.received_at)),
            row.id.clone(),
            row.event_type.clone(),
            text(row.prospect_id.as_deref()),
            text(row.email.as_deref()),
            counts_summary(&row.delivery_counts),
        ]);
    }
    let mut out = table.render();
    if page.next_cursor.is_some() {
        out.push_str(&more_hint(rows.len(), "events"));
    }
    Ok(out)
}

fn run_show(args: &EventShowArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api.host)?;
    let path = format!("/api/v1/events/{}", path_segment(&args.id));
    let event: Value = client.get(&path, &[])?;
    if args.api.json {
        return Ok(pretty(&event));
    }
    let request = format!("GET {path}");
    let detail = EventDetail::deserialize(&event).map_err(|err| bad_answer(&request, &err))?;
    render_detail(&request, &detail)
}

/// The API's log lines and requests of an attempt, read into the runtime's types that wrote them.
struct RunRecords {
    logs: Vec<LogLine>,
    requests: Vec<OutboundRequest>,
}

impl RunRecords {
    fn of(request: &str, run: &AttemptView) -> Result<Self, ClientError> {
        Ok(Self {
            logs: read_list(request, run, "logs", &run.logs)?,
            requests: read_list(request, run, "requests", &run.requests)?,
        })
    }
}

/// A list field of an attempt (`null` reads as empty).
fn read_list<T: DeserializeOwned>(
    request: &str,
    run: &AttemptView,
    field: &str,
    value: &Value,
) -> Result<Vec<T>, ClientError> {
    match value {
        Value::Null => Ok(Vec::new()),
        value => Vec::<T>::deserialize(value).map_err(|err| {
            bad_answer(
                request,
                &format!("attempt {} `{field}`: {err}", run.attempt),
            )
        }),
    }
}

fn bad_answer(request: &str, err: &dyn std::fmt::Display) -> ClientError {
    ClientError::BadAnswer {
        request: request.to_owned(),
        message: err.to_string(),
    }
}

fn render_detail(request: &str, event: &EventDetail) -> Result<String, ClientError> {
    let mut out = String::new();
    let summary = &event.summary;
    let prospect = text(summary.prospect_id.as_deref());
    let prospect = match &summary.email {
        Some(email) => format!("{prospect} <{email}>"),
        None => prospect,
    };
    for (label, value) in [
        ("event", summary.id.clone()),
        ("type", summary.event_type.clone()),
        ("webhook", summary.webhook_id.clone()),
        ("prospect", prospect),
        ("occurred", time_text(summary.occurred_at)),
        ("received", time_text(Some(summary.received_at))),
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
        render_delivery(&mut out, request, delivery)?;
    }
    Ok(out)
}

fn render_delivery(
    out: &mut String,
    request: &str,
    delivery: &DeliveryDetail,
) -> Result<(), ClientError> {
    let summary = &delivery.summary;
    let _ = writeln!(
        out,
        "\ndelivery {} to {}: {}, {} attempt{} ({})",
        summary.id,
        summary.plugin,
        summary.status.as_str(),
        summary.attempts,
        if summary.attempts == 1 { "" } else { "s" },
        summary.origin,
    );
    if summary.status == ShownStatus::Pending {
        let _ = writeln!(
            out,
            "  next attempt {}",
            time_text(Some(summary.next_attempt_at))
        );
    }
    if let Some(original) = summary.replay_of {
        let _ = writeln!(out, "  replay of delivery {original}");
    }
    if let Some(replay) = summary.replayed_by {
        let _ = writeln!(out, "  replayed by delivery {replay}");
    }
    if let Some(error) = &summary.last_error {
        let _ = writeln!(out, "  last error: {error}");
    }
    for run in &delivery.runs {
        let records = RunRecords::of(request, run)?;
        let _ = write!(
            out,
            "  attempt {}  {}  {}  {}  plugin {}",
            run.attempt,
            time_text(Some(run.started_at)),
            run.outcome,
            format_duration_us(run.duration_us),
            short_hash(Some(&run.plugin_hash)),
        );
        if let Some(detail) = run.detail.as_deref().filter(|detail| !detail.is_empty()) {
            let _ = write!(out, "\n    {detail}");
        }
        out.push('\n');
        for log in &records.logs {
            let _ = writeln!(
                out,
                "    {:<5} {:<6} {}",
                wire_name(&log.level),
                wire_name(&log.source),
                log.message
            );
        }
        for sent in &records.requests {
            let _ = write!(
                out,
                "    http  {} {} {}",
                sent.method,
                sent.origin,
                wire_name(&sent.decision)
            );
            match &sent.reason {
                Some(reason) => {
                    let _ = writeln!(out, ": {reason}");
                }
                None => out.push('\n'),
            }
        }
    }
    Ok(())
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
        let event: EventDetail = serde_json::from_str(
            r#"{
            "id": "01JX:0", "webhook_id": "01JX", "event_type": "activity.email.replied",
            "prospect_id": "7", "email": "ana@example.com", "occurred_at": 0, "received_at": 1000,
            "delivery_counts": {"pending": 0, "running": 0, "done": 0, "skipped": 0, "dead": 1},
            "metadata": {"event_type": "activity.email.replied"}, "item": {"prospect": {"prospect_id": 7}},
            "deliveries": [{
                "id": 12, "event_id": "01JX:0", "event_type": "activity.email.replied",
                "plugin": "slack-replies", "status": "replayed", "origin": "ingest",
                "attempts": 2, "next_attempt_at": 0, "last_error": "status 500",
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
        }"#,
        )
        .unwrap();
        let text = render_detail("GET /api/v1/events/01JX:0", &event).unwrap();
        for needle in [
            "event     01JX:0",
            "prospect  7 <ana@example.com>",
            "received  1970-01-01T00:00:01Z",
            "\"event_type\": \"activity.email.replied\"",
            "delivery 12 to slack-replies: replayed, 2 attempts (ingest)",
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

    #[test]
    fn log_lines_of_another_shape_are_an_error_naming_the_attempt() {
        let mut event: Value = serde_json::from_str(
            r#"{
            "id": "01JX:0", "webhook_id": "01JX", "event_type": "prospect.created",
            "prospect_id": null, "email": null, "occurred_at": null, "received_at": 0,
            "delivery_counts": {"pending": 0, "running": 0, "done": 1, "skipped": 0, "dead": 0},
            "metadata": {}, "item": {},
            "deliveries": [{
                "id": 3, "event_id": "01JX:0", "event_type": "prospect.created",
                "plugin": "log", "status": "done", "origin": "ingest", "attempts": 1,
                "next_attempt_at": 0, "last_error": null, "replay_of": null, "replayed_by": null,
                "created_at": 0, "updated_at": 0,
                "runs": [{
                    "attempt": 1, "plugin_hash": "ab", "started_at": 0, "duration_us": 1,
                    "outcome": "done", "detail": null, "logs": [], "requests": []
                }]
            }]
        }"#,
        )
        .unwrap();
        let request = "GET /api/v1/events/01JX:0";
        let read =
            |event: &Value| render_detail(request, &EventDetail::deserialize(event).unwrap());
        assert!(read(&event).unwrap().contains("attempt 1"));
        event["deliveries"][0]["runs"][0]["logs"] = json!([{"level": "loud", "message": "x"}]);
        let err = read(&event).unwrap_err().to_string();
        assert!(
            err.starts_with("unexpected answer to GET /api/v1/events/01JX:0: attempt 1 `logs`: "),
            "{err}"
        );
    }
}
