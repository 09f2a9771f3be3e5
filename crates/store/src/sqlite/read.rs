//! The admin API's queries: events, deliveries, plugins, the queue.

use rusqlite::{Connection, OptionalExtension, Row};

use super::counts;
use crate::view::{
    AttemptView, DeliveryDetail, DeliveryFilter, DeliverySummary, EventDetail, EventFilter,
    EventSummary, LastError, Page, PluginActivity, QueueStats, ShownStatus, StatusCounts,
};
use crate::{AttemptOutcome, DeliveryStatus, StoreError};

/// A dead letter is a dead delivery nobody replayed yet.
const STATUS_COUNTS: &str = "
    SELECT CASE WHEN status = 'dead' AND replayed_by IS NOT NULL THEN 'replayed' ELSE status END,
           COUNT(*)";

/// Events, newest first: walks the primary key from the newest (or from the cursor) and stops
/// after a page of matches, so the common filters (a type, a recent window) read little.
const LIST_EVENTS: &str = "
    SELECT id, webhook_id, event_type, prospect_id, email, occurred_at, received_at
    FROM events
    WHERE (?1 IS NULL OR event_type = ?1)
      AND (?2 IS NULL OR received_at >= ?2)
      AND (?3 IS NULL OR received_at < ?3)
      AND (?4 IS NULL OR email = ?4)
      AND (?5 IS NULL OR id < ?5)
    ORDER BY id DESC
    LIMIT ?6";

/// The events of one address: looked up in `events_by_email`, then sorted (a prospect has few).
const LIST_EVENTS_OF_EMAIL: &str = "
    SELECT id, webhook_id, event_type, prospect_id, email, occurred_at, received_at
    FROM events INDEXED BY events_by_email
    WHERE email = ?4
      AND (?1 IS NULL OR event_type = ?1)
      AND (?2 IS NULL OR received_at >= ?2)
      AND (?3 IS NULL OR received_at < ?3)
      AND (?5 IS NULL OR id < ?5)
    ORDER BY id DESC
    LIMIT ?6";

pub(super) fn list_events(
    conn: &Connection,
    filter: &EventFilter,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<EventSummary>, StoreError> {
    let failed = StoreError::query("list events");
    let sql = if filter.email.is_some() {
        LIST_EVENTS_OF_EMAIL
    } else {
        LIST_EVENTS
    };
    let mut statement = conn
        .prepare_cached(sql)
        .map_err(StoreError::query("list events"))?;
    let items = statement
        .query_map(
            (
                &filter.event_type,
                filter.since,
                filter.until,
                &filter.email,
                cursor,
                i64::from(limit) + 1,
            ),
            event_summary,
        )
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(failed)?;
    let mut page = Page::of_rows(items, limit, |event| event.id.clone());
    for event in &mut page.items {
        event.delivery_counts = delivery_counts(conn, &event.id)?;
    }
    Ok(page)
}

pub(super) fn event(conn: &Connection, id: &str) -> Result<Option<EventDetail>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT e.id, e.webhook_id, e.event_type, e.prospect_id, e.email, e.occurred_at,
                    e.received_at, w.metadata, e.item
             FROM events e JOIN webhooks w ON w.id = e.webhook_id WHERE e.id = ?1",
        )
        .and_then(|mut statement| {
            statement
                .query_row([id], |row| {
                    Ok((
                        event_summary(row)?,
                        row.get::<_, String>(7)?,
                        row.get::<_, String>(8)?,
                    ))
                })
                .optional()
        })
        .map_err(StoreError::query("read an event"))?;
    let Some((mut summary, metadata, item)) = row else {
        return Ok(None);
    };
    summary.delivery_counts = delivery_counts(conn, id)?;
    let mut deliveries = Vec::new();
    let summaries = conn
        .prepare_cached(&format!(
            "{DELIVERY_COLUMNS} WHERE d.event_id = ?1 ORDER BY d.id"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([id], delivery_summary)?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(StoreError::query("read an event's deliveries"))?;
    for summary in summaries {
        let runs = attempts(conn, summary.id)?;
        deliveries.push(DeliveryDetail { summary, runs });
    }
    Ok(Some(EventDetail {
        summary,
        metadata: serde_json::from_str(&metadata).unwrap_or(serde_json::Value::Null),
        item: serde_json::from_str(&item).unwrap_or(serde_json::Value::Null),
        deliveries,
    }))
}

const DELIVERY_COLUMNS: &str = "
    SELECT d.id, d.event_id, e.event_type, d.plugin, d.status, d.origin, d.attempts,
           d.next_attempt_at, d.last_error, d.replay_of, d.replayed_by, d.created_at, d.updated_at
    FROM deliveries d JOIN events e ON e.id = d.event_id";

/// The delivery list's query for a filter. The status is written into the SQL (a name of
/// [`DeliveryStatus`], never the caller's text) so that the planner may use a partial index,
/// and the index is named: dead letters are read from `deliveries_dead`, running deliveries from
/// `deliveries_running`, a plugin's from `deliveries_by_plugin` (newest first, no sort); the rest
/// walk the table newest first and stop after a page. The event's type is looked up per row, not
/// joined: a join lets SQLite read every event into a Bloom filter first.
fn list_deliveries_sql(status: Option<DeliveryStatus>, by_plugin: bool) -> String {
    let index = match (status, by_plugin) {
        (Some(DeliveryStatus::Dead), _) => "INDEXED BY deliveries_dead",
        (Some(DeliveryStatus::Running), false) => "INDEXED BY deliveries_running",
        (_, true) => "INDEXED BY deliveries_by_plugin",
        (_, false) => "NOT INDEXED",
    };
    let status = match status {
        Some(DeliveryStatus::Dead) => "d.status = 'dead' AND d.replayed_by IS NULL".to_owned(),
        Some(status) => format!("d.status = '{}'", status.as_str()),
        None => "1".to_owned(),
    };
    let plugin = if by_plugin {
        "d.plugin = ?1"
    } else {
        "?1 IS NULL"
    };
    format!(
        "SELECT d.id, d.event_id, (SELECT e.event_type FROM events e WHERE e.id = d.event_id),
                d.plugin, d.status, d.origin, d.attempts, d.next_attempt_at, d.last_error,
                d.replay_of, d.replayed_by, d.created_at, d.updated_at
         FROM deliveries d {index}
         WHERE {status} AND {plugin}
           AND (?2 IS NULL OR (SELECT e.event_type FROM events e WHERE e.id = d.event_id) = ?2)
           AND (?3 IS NULL OR d.id < ?3)
         ORDER BY d.id DESC
         LIMIT ?4"
    )
}

pub(super) fn list_deliveries(
    conn: &Connection,
    filter: &DeliveryFilter,
    limit: u32,
    cursor: Option<i64>,
) -> Result<Page<DeliverySummary>, StoreError> {
    let sql = list_deliveries_sql(filter.status, filter.plugin.is_some());
    let items = conn
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement
                .query_map(
                    (
                        &filter.plugin,
                        &filter.event_type,
                        cursor,
                        i64::from(limit) + 1,
                    ),
                    delivery_summary,
                )?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(StoreError::query("list deliveries"))?;
    Ok(Page::of_rows(items, limit, |delivery| {
        delivery.id.to_string()
    }))
}

pub(super) fn plugin_activity(conn: &Connection) -> Result<Vec<PluginActivity>, StoreError> {
    let failed = || StoreError::query("find a plugin's last error");
    // Several counts, one snapshot: a delivery that changes status between two of them is
    // counted once. Only read, so it ends without a commit.
    let snapshot = conn
        .unchecked_transaction()
        .map_err(StoreError::query("start a read of plugin activity"))?;
    let mut last_error = snapshot.prepare_cached(LAST_ERROR).map_err(failed())?;
    counts::by_plugin(&snapshot)?
        .into_iter()
        .map(|(plugin, deliveries)| {
            let last_error = last_error
                .query_row([&plugin], |row| {
                    let outcome = outcome(row, 2)?;
                    let detail: Option<String> = row.get(3)?;
                    Ok(LastError {
                        delivery_id: row.get(0)?,
                        at: row.get(1)?,
                        message: match detail {
                            Some(detail) => format!("{outcome}: {detail}"),
                            None => outcome.to_string(),
                        },
                    })
                })
                .optional()
                .map_err(failed())?;
            Ok(PluginActivity {
                plugin,
                deliveries,
                last_error,
            })
        })
        .collect()
}

pub(super) fn queue_stats(conn: &Connection, now: i64) -> Result<QueueStats, StoreError> {
    let operation = "read queue depth";
    let mut stats = QueueStats::default();
    // One partial index each (`deliveries_due`, `deliveries_running`, `deliveries_dead`): the
    // cost follows the open and dead deliveries, not the history.
    let pending = counts::per_plugin(conn, counts::PENDING, operation)?;
    let running = counts::per_plugin(conn, counts::RUNNING, operation)?;
    let dead = counts::per_plugin(conn, counts::DEAD, operation)?;
    // Due ones only: a retry scheduled for later is not late. The oldest of each plugin is the
    // first entry of its range in `deliveries_due` (plugin, next_attempt_at).
    let mut oldest = conn
        .prepare_cached(
            "SELECT MIN(next_attempt_at) FROM deliveries INDEXED BY deliveries_due
             WHERE status = 'pending' AND plugin = ?1 AND next_attempt_at <= ?2",
        )
        .map_err(StoreError::query(operation))?;
    for (plugin, _) in &pending {
        let due_since: Option<i64> = oldest
            .query_row((plugin, now), |row| row.get(0))
            .map_err(StoreError::query(operation))?;
        stats.oldest_due_since = match (stats.oldest_due_since, due_since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    for (plugin, count) in pending {
        stats.by_plugin.entry(plugin).or_default().pending = count;
    }
    for (plugin, count) in running {
        stats.by_plugin.entry(plugin).or_default().running = count;
    }
    for (plugin, count) in dead {
        stats.by_plugin.entry(plugin).or_default().dead = count;
    }
    Ok(stats)
}

fn delivery_counts(conn: &Connection, event_id: &str) -> Result<StatusCounts, StoreError> {
    let mut counts = StatusCounts::default();
    let rows = conn
        .prepare_cached(&format!(
            "{STATUS_COUNTS} FROM deliveries WHERE event_id = ?1 GROUP BY 1"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([event_id], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(StoreError::query("count an event's deliveries"))?;
    for (status, count) in rows {
        if let Some(status) = DeliveryStatus::from_name(&status) {
            counts.add(status, count as u64);
        }
    }
    Ok(counts)
}

fn attempts(conn: &Connection, delivery_id: i64) -> Result<Vec<AttemptView>, StoreError> {
    conn.prepare_cached(
        "SELECT attempt, plugin_hash, started_at, duration_us, outcome, detail, logs, requests
         FROM attempts WHERE delivery_id = ?1 ORDER BY attempt",
    )
    .and_then(|mut statement| {
        statement
            .query_map([delivery_id], |row| {
                Ok(AttemptView {
                    attempt: row.get(0)?,
                    plugin_hash: row.get(1)?,
                    started_at: row.get(2)?,
                    duration_us: row.get(3)?,
                    outcome: outcome(row, 4)?,
                    detail: row.get(5)?,
                    logs: json(row.get::<_, String>(6)?),
                    requests: json(row.get::<_, String>(7)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(StoreError::query("read a delivery's attempts"))
}

/// A plugin's most recent attempt whose outcome is an error ([`AttemptOutcome::is_error`]):
/// the unsuccessful attempts newest first (`attempts_errors`, whose outcomes these are, as the
/// tests check), each joined to its delivery, until one is the plugin's. `CROSS JOIN` keeps the
/// attempts the outer loop: the other way round reads every delivery of the plugin.
const LAST_ERROR: &str = "
    SELECT a.delivery_id, a.started_at, a.outcome, a.detail
    FROM attempts a INDEXED BY attempts_errors CROSS JOIN deliveries d ON d.id = a.delivery_id
    WHERE d.plugin = ?1 AND a.outcome IN ('retry', 'failed', 'fault')
    ORDER BY a.id DESC LIMIT 1";

/// The outcome in column `index`; a name this build does not know is an error, not a guess.
fn outcome(row: &Row<'_>, index: usize) -> rusqlite::Result<AttemptOutcome> {
    let name: String = row.get(index)?;
    AttemptOutcome::from_name(&name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown attempt outcome `{name}`").into(),
        )
    })
}

fn json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn event_summary(row: &Row<'_>) -> rusqlite::Result<EventSummary> {
    Ok(EventSummary {
        id: row.get(0)?,
        webhook_id: row.get(1)?,
        event_type: row.get(2)?,
        prospect_id: row.get(3)?,
        email: row.get(4)?,
        occurred_at: row.get(5)?,
        received_at: row.get(6)?,
        delivery_counts: StatusCounts::default(),
    })
}

fn delivery_summary(row: &Row<'_>) -> rusqlite::Result<DeliverySummary> {
    let status: String = row.get(4)?;
    let status = DeliveryStatus::from_name(&status).unwrap_or(DeliveryStatus::Pending);
    let replayed_by = row.get(10)?;
    Ok(DeliverySummary {
        id: row.get(0)?,
        event_id: row.get(1)?,
        event_type: row.get(2)?,
        plugin: row.get(3)?,
        status: ShownStatus::of(status, replayed_by),
        origin: row.get(5)?,
        attempts: row.get(6)?,
        next_attempt_at: row.get(7)?,
        last_error: row.get(8)?,
        replay_of: row.get(9)?,
        replayed_by,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::query_plan as plan;
    use super::*;

    #[test]
    fn the_event_list_walks_the_primary_key_and_an_address_its_index() {
        let all = plan(LIST_EVENTS);
        assert!(all.contains("sqlite_autoindex_events_1"), "{all}");
        assert!(
            !all.contains("TEMP B-TREE"),
            "no sort of every event: {all}"
        );
        let of_email = plan(LIST_EVENTS_OF_EMAIL);
        assert!(of_email.contains("events_by_email (email=?)"), "{of_email}");
    }

    #[test]
    fn the_last_error_walks_the_unsuccessful_attempts_of_the_index_newest_first() {
        let errors = AttemptOutcome::ALL
            .into_iter()
            .filter(|outcome| outcome.is_error())
            .map(|outcome| format!("'{outcome}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let outcomes = format!("outcome IN ({errors})");
        assert!(LAST_ERROR.contains(&outcomes), "{LAST_ERROR}");
        let migration = include_str!("migrations/0005_console_reads.sql");
        assert!(
            migration.contains(&outcomes),
            "attempts_errors holds the outcomes `is_error` names"
        );
        let steps = plan(LAST_ERROR);
        assert!(
            steps.starts_with("SCAN a USING INDEX attempts_errors"),
            "{steps}"
        );
        assert!(!steps.contains("TEMP B-TREE"), "{steps}");
    }

    #[test]
    fn the_delivery_list_reads_the_index_of_its_filter_newest_first() {
        let cases = [
            (None, false, "SCAN d"),
            (
                None,
                true,
                "SEARCH d USING INDEX deliveries_by_plugin (plugin=?)",
            ),
            (Some(DeliveryStatus::Done), false, "SCAN d"),
            (
                Some(DeliveryStatus::Done),
                true,
                "SEARCH d USING INDEX deliveries_by_plugin (plugin=?)",
            ),
            (
                Some(DeliveryStatus::Dead),
                true,
                "SEARCH d USING INDEX deliveries_dead (plugin=?)",
            ),
        ];
        for (status, by_plugin, first) in cases {
            let steps = plan(&list_deliveries_sql(status, by_plugin));
            assert!(steps.starts_with(first), "{status:?}, {by_plugin}: {steps}");
            assert!(
                !steps.contains("TEMP B-TREE"),
                "{status:?}, {by_plugin}: {steps}"
            );
            assert!(!steps.contains("BLOOM"), "{status:?}, {by_plugin}: {steps}");
        }
        // Every dead letter or running delivery, sorted: few of either.
        for status in [DeliveryStatus::Dead, DeliveryStatus::Running] {
            let steps = plan(&list_deliveries_sql(Some(status), false));
            assert!(
                steps.contains("USING INDEX deliveries_"),
                "{status:?}: {steps}"
            );
        }
    }
}
