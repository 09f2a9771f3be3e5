//! How the tables show the parts of the admin API's answers. The answers are read into the types
//! the host sends them as (the store's views, the plugin list), which the OpenAPI document is
//! generated from; an answer that does not fit is an error that names the request.

use serde::Serialize;
use smartreach_store::StatusCounts;

use super::time::format_time;

/// The non-zero counts: `2 done, 1 dead`; `-` when there are none.
pub(crate) fn counts_summary(counts: &StatusCounts) -> String {
    let parts: Vec<String> = [
        (counts.pending, "pending"),
        (counts.running, "running"),
        (counts.done, "done"),
        (counts.skipped, "skipped"),
        (counts.dead, "dead"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, status)| format!("{count} {status}"))
    .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}

/// An optional time as RFC 3339, `-` when absent.
pub(crate) fn time_text(ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".to_owned(), format_time)
}

/// An optional text, `-` when absent or empty.
pub(crate) fn text(value: Option<&str>) -> String {
    match value {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => "-".to_owned(),
    }
}

/// A unit enum's name as the API spells it (`address_denied`, `warn`).
pub(crate) fn wire_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => "-".to_owned(),
    }
}

/// The first 12 characters of a content hash: enough to tell versions apart in a table.
pub(crate) fn short_hash(hash: Option<&str>) -> String {
    hash.map_or_else(|| "-".to_owned(), |hash| hash.chars().take(12).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_only_what_is_there() {
        let counts = StatusCounts {
            done: 2,
            dead: 1,
            ..StatusCounts::default()
        };
        assert_eq!(counts_summary(&counts), "2 done, 1 dead");
        assert_eq!(counts_summary(&StatusCounts::default()), "-");
    }
}
