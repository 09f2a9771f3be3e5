//! `plugins`: `GET /api/v1/plugins` as a table; `plugins pause NAME` and `plugins resume NAME`.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;
use smartreach_http::{PluginInfo, PluginList};
use smartreach_store::PluginControl;

use super::table::{Column, Table};
use super::view::{short_hash, text, time_text};
use super::{AdminClient, ClientError, path_segment, pretty};
use crate::cli::{PluginControlArgs, PluginsArgs, PluginsCommand};

/// `plugins`, `plugins pause NAME` or `plugins resume NAME`. Returns what to print.
pub fn run(args: &PluginsArgs) -> Result<String, ClientError> {
    match &args.control {
        Some(PluginsCommand::Pause(control)) => run_control(control, true),
        Some(PluginsCommand::Resume(control)) => run_control(control, false),
        None => run_list(args),
    }
}

fn run_list(args: &PluginsArgs) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api.host)?;
    let answer: Value = client.get("/api/v1/plugins", &[])?;
    if args.api.json {
        return Ok(pretty(&answer));
    }
    let list = PluginList::deserialize(&answer).map_err(|err| ClientError::BadAnswer {
        request: "GET /api/v1/plugins".to_owned(),
        message: err.to_string(),
    })?;
    Ok(render(&list))
}

fn render(list: &PluginList) -> String {
    let rows = &list.items;
    if rows.is_empty() {
        return "no plugins\n".to_owned();
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
    for row in rows {
        let counts = &row.delivery_counts;
        table.row(vec![
            row.name.clone(),
            loaded_text(row),
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
    for row in rows {
        if let Some(compiling) = &row.compiling {
            let _ = writeln!(
                out,
                "{}: compiling {} since {}; its deliveries wait until it is loaded",
                row.name,
                compiling.file,
                time_text(Some(compiling.since))
            );
        }
        if let Some(error) = &row.load_error {
            let active = match &error.active_hash {
                Some(hash) => format!("version {} stays active", short_hash(Some(hash))),
                None => "no version is active".to_owned(),
            };
            let _ = writeln!(
                out,
                "{}: load failed {} ({}; {active}): {}",
                row.name,
                time_text(Some(error.at)),
                error.file,
                error.message
            );
        }
        if let Some(error) = &row.last_error {
            let _ = writeln!(
                out,
                "{}: last error {} (delivery {}): {}",
                row.name,
                time_text(Some(error.at)),
                error.delivery_id,
                error.message
            );
        }
        if let Some(until) = row.held_until {
            let _ = writeln!(
                out,
                "{}: held back until {}: {}",
                row.name,
                time_text(Some(until)),
                row.held_because.as_deref().unwrap_or("")
            );
        }
        if let Some(since) = row.paused_since {
            let _ = writeln!(
                out,
                "{}: paused since {}; its deliveries wait until `plugins resume {}`",
                row.name,
                time_text(Some(since)),
                row.name
            );
        }
    }
    out
}

/// `yes`, `no`, or `compiling` for a first version still being compiled (a new version compiling
/// beside a loaded one shows `yes`; the line below the table tells it).
fn loaded_text(row: &PluginInfo) -> String {
    match (row.loaded, &row.compiling) {
        (true, _) => "yes",
        (false, Some(_)) => "compiling",
        (false, None) => "no",
    }
    .to_owned()
}

/// `plugins pause NAME` (`paused`) or `plugins resume NAME`.
fn run_control(args: &PluginControlArgs, paused: bool) -> Result<String, ClientError> {
    let client = AdminClient::new(&args.api.host)?;
    let action = if paused { "pause" } else { "resume" };
    let path = format!("/api/v1/plugins/{}/{action}", path_segment(&args.name));
    let answer: Value = client.post(&path, &serde_json::json!({}))?;
    if args.api.json {
        return Ok(pretty(&answer));
    }
    let control = PluginControl::deserialize(&answer).map_err(|err| ClientError::BadAnswer {
        request: format!("POST {path}"),
        message: err.to_string(),
    })?;
    Ok(control_text(&control))
}

fn control_text(control: &PluginControl) -> String {
    match control.paused_since {
        Some(since) => format!(
            "{} paused (since {}): its deliveries wait, pending, until `plugins resume {}`\n",
            control.plugin,
            time_text(Some(since)),
            control.plugin
        ),
        None => format!(
            "{} running: its waiting deliveries run in order\n",
            control.plugin
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_show_counts_and_errors_follow_the_table() {
        let list: PluginList = serde_json::from_value(json!({
            "items": [
                json!({
                    "name": "event-log", "loaded": true, "content_hash": "0123456789abcdef0123",
                    "description": "logs", "subscriptions": ["*"], "limits": null,
                    "allowed_outbound_hosts": [],
                    "delivery_counts": {"pending": 1, "running": 0, "done": 40, "skipped": 2, "dead": 3},
                    "last_error": {"delivery_id": 17, "at": 0, "message": "trapped: unreachable"},
                    "load_error": null
                }),
                json!({
                    "name": "broken", "loaded": false, "content_hash": null,
                    "description": null, "subscriptions": [], "limits": null,
                    "allowed_outbound_hosts": [],
                    "delivery_counts": {"pending": 0, "running": 0, "done": 0, "skipped": 0, "dead": 0},
                    "last_error": null,
                    "load_error": {"file": "p/broken.wasm", "message": "bad manifest", "at": 0,
                        "active_hash": null}
                }),
                json!({
                    "name": "big", "loaded": false, "content_hash": null,
                    "description": null, "subscriptions": ["email.sent"], "limits": null,
                    "allowed_outbound_hosts": [],
                    "delivery_counts": {"pending": 4, "running": 0, "done": 0, "skipped": 0, "dead": 0},
                    "last_error": null, "load_error": null,
                    "compiling": {"file": "p/big.wasm", "since": 0}
                }),
            ]
        }))
        .unwrap();
        let text = render(&list);
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
        let cells: Vec<&str> = lines[3].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "big",
                "compiling",
                "-",
                "email.sent",
                "4",
                "0",
                "0",
                "0",
                "0"
            ]
        );
        assert_eq!(
            lines[4],
            "event-log: last error 1970-01-01T00:00:00Z (delivery 17): trapped: unreachable"
        );
        assert_eq!(
            lines[5],
            "broken: load failed 1970-01-01T00:00:00Z (p/broken.wasm; no version is active): \
             bad manifest"
        );
        assert_eq!(
            lines[6],
            "big: compiling p/big.wasm since 1970-01-01T00:00:00Z; its deliveries wait until it \
             is loaded"
        );
    }

    #[test]
    fn a_paused_plugin_says_so_below_the_table_and_how_to_resume_it() {
        let list: PluginList = serde_json::from_value(json!({
            "items": [json!({
                "name": "crm-sync", "loaded": true, "content_hash": "0123456789abcdef0123",
                "description": "crm", "subscriptions": ["*"], "limits": null,
                "allowed_outbound_hosts": [],
                "delivery_counts": {"pending": 5, "running": 0, "done": 0, "skipped": 0, "dead": 0},
                "last_error": null, "load_error": null, "paused_since": 0
            })]
        }))
        .unwrap();
        let text = render(&list);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2],
            "crm-sync: paused since 1970-01-01T00:00:00Z; its deliveries wait until \
             `plugins resume crm-sync`"
        );
        let paused = PluginControl {
            plugin: "crm-sync".to_owned(),
            paused_since: Some(0),
            held_until: None,
            held_because: None,
        };
        assert_eq!(
            control_text(&paused),
            "crm-sync paused (since 1970-01-01T00:00:00Z): its deliveries wait, pending, until \
             `plugins resume crm-sync`\n"
        );
        let running = PluginControl {
            paused_since: None,
            ..paused
        };
        let held: PluginList = serde_json::from_value(json!({
            "items": [json!({
                "name": "crm-sync", "loaded": true, "content_hash": null,
                "description": null, "subscriptions": [], "limits": null,
                "allowed_outbound_hosts": [],
                "delivery_counts": {"pending": 5, "running": 0, "done": 0, "skipped": 0, "dead": 0},
                "last_error": null, "load_error": null, "paused_since": null,
                "held_until": 0, "held_because": "its upstream asked to wait 1000 ms: HTTP 429"
            })]
        }))
        .unwrap();
        assert_eq!(
            render(&held).lines().nth(2).unwrap(),
            "crm-sync: held back until 1970-01-01T00:00:00Z: its upstream asked to wait 1000 ms: \
             HTTP 429"
        );
        assert_eq!(
            control_text(&running),
            "crm-sync running: its waiting deliveries run in order\n"
        );
    }
}
