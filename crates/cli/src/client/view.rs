//! The admin API's items as the tables read them. Fields a table does not show are not named, so
//! that the API can grow without breaking the CLI; ids are read as any JSON scalar, so that a
//! store with numeric ids and one with text ids both show.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::time::format_time;

/// Deliveries of an event or a plugin, by status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Counts {
    pub pending: u64,
    pub running: u64,
    pub done: u64,
    pub skipped: u64,
    pub dead: u64,
}

impl Counts {
    /// The non-zero counts: `2 done, 1 dead`; `-` when there are none.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            (self.pending, "pending"),
            (self.running, "running"),
            (self.done, "done"),
            (self.skipped, "skipped"),
            (self.dead, "dead"),
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
}

/// A list that may also be `null` (read as empty): for `#[serde(deserialize_with)]`.
pub(crate) fn list_or_null<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// An id, a number or a string in JSON, as text.
pub(crate) fn id_text(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
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

/// The first 12 characters of a content hash: enough to tell versions apart in a table.
pub(crate) fn short_hash(hash: Option<&str>) -> String {
    hash.map_or_else(|| "-".to_owned(), |hash| hash.chars().take(12).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_only_what_is_there() {
        let counts = Counts {
            done: 2,
            dead: 1,
            ..Counts::default()
        };
        assert_eq!(counts.summary(), "2 done, 1 dead");
        assert_eq!(Counts::default().summary(), "-");
    }

    #[test]
    fn ids_of_either_kind_read_plainly() {
        assert_eq!(id_text(&serde_json::json!(42)), "42");
        assert_eq!(id_text(&serde_json::json!("01J:0")), "01J:0");
        assert_eq!(id_text(&Value::Null), "-");
    }
}
