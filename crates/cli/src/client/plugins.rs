//! `plugins`: `GET /api/v1/plugins` as a table.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::table::{Column, Table};
use super::view::{Counts, id_text, short_hash, text, time_text};
use super::{AdminClient, ClientError, Page, items_as, pretty};
use crate::cli::PluginsArgs;

#[derive(Debug, Deserialize)]
struct PluginRow {
    name: String,
    #[serde(default)]
    loaded: bool,
    content_hash: Option<String>,
    #[serde(default)]
    subscriptions: Vec<String>,
    #[serde(default)]
    delivery_counts: Counts,
    last_error: Option<LastError>,
    #[serde(default)]
    load_error: Option<LoadError>,
}

#[derive(Debug, Deserialize)]
struct LoadError {
    file: String,
    message: String,
    at: Option<i64>,
    active_hash: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LastError {
    #[serde(default)]
    delivery_id: Value,
    at: Option<i64>,
    message: String,
}

/// `plugins`. Returns what to print.
pub fn run(args: &PluginsArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api)?;
    let page: Page = client.get("/api/v1/plugins", &[])?;
    if args.api.json {
        return Ok(pretty(&page.to_json()));
    }
    render(&page)
}

fn render(page: &Page) -> Result<String, ClientError> {
    let rows: Vec<PluginRow> = items_as("GET /api/v1/plugins", page)?;
    if rows.is_empty() {
        return Ok("no plugins\n".to_owned());
    }
    let mut table = Table::new(vec![
        Column::new("NAME"),
        Column::new("LOADED"),
        Column::new("HASH"),
        Column::new("EVENTS").max(50),
        Column::right("PENDING"),
        Column::right("RUNNING"),
        Column::right("DONE"),
        Column::right("SKIPPED"),
        Column::right("DEAD"),
    ]);
    for row in &rows {
        let counts = &row.delivery_counts;
        table.row(vec![
            row.name.clone(),
            if row.loaded { "yes" } else { "no" }.to_owned(),
            short_hash(row.content_hash.as_deref()),
            text(Some(&row.subscriptions.join(","))),
            counts.pending.to_string(),
            counts.running.to_string(),
            counts.done.to_string(),
            counts.skipped.to_string(),
            counts.dead.to_string(),
        ]);
    }
    let mut out = table.render();
    // Errors are long sentences: below the table, one per plugin, rather than a cut column.
    for row in &rows {
        if let Some(error) = &row.load_error {
            let active = match &error.active_hash {
                Some(hash) => format!("version {} stays active", short_hash(Some(hash))),
                None => "no version is active".to_owned(),
            };
            let _ = writeln!(
                out,
                "{}: load failed {} ({}; {active}): {}",
                row.name,
                time_text(error.at),
                error.file,
                error.message
            );
        }
        if let Some(error) = &row.last_error {
            let _ = writeln!(
                out,
                "{}: last error {} (delivery {}): {}",
                row.name,
                time_text(error.at),
                id_text(&error.delivery_id),
                error.message
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_show_counts_and_errors_follow_the_table() {
        let page = Page {
            items: vec![
                json!({
                    "name": "event-log", "loaded": true, "content_hash": "0123456789abcdef0123",
                    "description": "logs", "subscriptions": ["*"], "limits": null,
                    "allowed_outbound_hosts": [],
                    "delivery_counts": {"pending": 1, "running": 0, "done": 40, "skipped": 2, "dead": 3},
                    "last_error": {"delivery_id": 17, "at": 0, "message": "trapped: unreachable"}
                }),
                json!({
                    "name": "broken", "loaded": false, "content_hash": null,
                    "subscriptions": [], "delivery_counts": {}, "last_error": null,
                    "load_error": {"file": "p/broken.wasm", "message": "bad manifest", "at": 0,
                        "active_hash": null}
                }),
            ],
            next_cursor: None,
        };
        let text = render(&page).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME"), "{text}");
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "event-log",
                "yes",
                "0123456789ab",
                "*",
                "1",
                "0",
                "40",
                "2",
                "3"
            ]
        );
        let cells: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(cells, ["broken", "no", "-", "-", "0", "0", "0", "0", "0"]);
        assert_eq!(
            lines[3],
            "event-log: last error 1970-01-01T00:00:00Z (delivery 17): trapped: unreachable"
        );
        assert_eq!(
            lines[4],
            "broken: load failed 1970-01-01T00:00:00Z (p/broken.wasm; no version is active): \
             bad manifest"
        );
    }
}
