//! `deliveries`: `GET /api/v1/deliveries` as a table.

use smartreach_store::{DeliverySummary, ShownStatus};

use super::table::{Column, Table};
use super::view::{text, time_text};
use super::{AdminClient, ClientError, Page, items_as, more_hint, pretty};
use crate::cli::DeliveriesArgs;

/// `deliveries ...`. Returns what to print.
pub fn run(args: &DeliveriesArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api.host)?;
    let mut query = vec![("limit", args.page.limit.to_string())];
    for (key, value) in [
        ("status", &args.status),
        ("plugin", &args.plugin),
        ("event_type", &args.event_type),
    ] {
        if let Some(value) = value {
            query.push((key, value.clone()));
        }
    }
    let page = client.list("/api/v1/deliveries", &query, args.page.all)?;
    if args.api.json {
        return Ok(pretty(&page.to_json()));
    }
    render(&page)
}

fn render(page: &Page) -> Result<String, ClientError> {
    let rows: Vec<DeliverySummary> = items_as("GET /api/v1/deliveries", page)?;
    if rows.is_empty() {
        return Ok("no deliveries\n".to_owned());
    }
    let mut table = Table::new(vec![
        Column::right("ID"),
        Column::new("CREATED"),
        Column::new("PLUGIN"),
        Column::new("TYPE"),
        Column::new("EVENT"),
        Column::new("STATUS"),
        Column::right("ATTEMPTS"),
        Column::new("NEXT ATTEMPT"),
        Column::new("LAST ERROR").max(60),
    ]);
    for row in &rows {
        // A replay says what it replays, so that it is not mistaken for a fresh event.
        let status = match row.replay_of {
            None => row.status.as_str().to_owned(),
            Some(original) => format!("{} (replay of {original})", row.status.as_str()),
        };
        let next = if row.status == ShownStatus::Pending {
            time_text(Some(row.next_attempt_at))
        } else {
            "-".to_owned()
        };
        table.row(vec![
            row.id.to_string(),
            time_text(Some(row.created_at)),
            row.plugin.clone(),
            text(Some(&row.event_type)),
            row.event_id.clone(),
            status,
            row.attempts.to_string(),
            next,
            text(row.last_error.as_deref()),
        ]);
    }
    let mut out = table.render();
    if page.next_cursor.is_some() {
        out.push_str(&more_hint(rows.len(), "deliveries"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_row_shows_status_attempts_and_the_error() {
        let page = Page {
            items: vec![
                json!({
                    "id": 7, "event_id": "01JX:0", "event_type": "activity.email.bounced",
                    "plugin": "suppression", "status": "pending", "origin": "ingest", "attempts": 2,
                    "next_attempt_at": 1_795_773_600_000_i64, "last_error": "connection refused",
                    "replay_of": null, "replayed_by": null, "created_at": 0, "updated_at": 0
                }),
                json!({
                    "id": 9, "event_id": "01JX:0", "event_type": "activity.email.bounced",
                    "plugin": "suppression", "status": "done", "origin": "replay", "attempts": 1,
                    "next_attempt_at": 1_795_773_600_000_i64, "last_error": null,
                    "replay_of": 7, "replayed_by": null, "created_at": 0, "updated_at": 0
                }),
            ],
            next_cursor: None,
        };
        let text = render(&page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        for cell in [
            "suppression",
            "pending",
            "2026-11-27T10:00:00Z",
            "connection refused",
            "01JX:0",
        ] {
            assert!(lines[1].contains(cell), "{cell} in {}", lines[1]);
        }
        assert!(lines[2].contains("done (replay of 7)"), "{}", lines[2]);
        assert!(!lines[2].contains("2026-11-27T10:00:00Z"), "{}", lines[2]);
        assert!(!text.contains("--all"));
    }
}
