//! The admin API's queries: events, deliveries, plugins, the queue. The same questions as the
//! SQLite store's `read.rs`, in PostgreSQL's dialect.

use deadpool_postgres::Object;
use tokio_postgres::Row;

use super::{counts, query, query_opt};
use crate::view::{
    AttemptView, DeliveryDetail, DeliveryFilter, DeliverySummary, EventDetail, EventFilter,
    EventSummary, LastError, Page, PluginActivity, QueueStats, ShownStatus, StatusCounts,
};
use crate::{AttemptOutcome, DeliveryStatus, StoreError};

/// A dead letter is a dead delivery nobody replayed yet.
const STATUS_COUNTS: &str = "
    SELECT CASE WHEN status = 'dead' AND replayed_by IS NOT NULL THEN 'replayed' ELSE status END
               AS shown,
           COUNT(*)";

/// Events, newest first, from the cursor: walks the primary key backwards and stops after a page.
const LIST_EVENTS: &str = "
    SELECT id, webhook_id, event_type, prospect_id, email, occurred_at, received_at
    FROM events
    WHERE ($1::text IS NULL OR event_type = $1)
      AND ($2::bigint IS NULL OR received_at >= $2)
      AND ($3::bigint IS NULL OR received_at < $3)
      AND ($4::text IS NULL OR email = $4)
      AND ($5::text IS NULL OR id < $5)
    ORDER BY id DESC
    LIMIT $6";

/// The events of one address, from `events_by_email`.
const LIST_EVENTS_OF_EMAIL: &str = "
    SELECT id, webhook_id, event_type, prospect_id, email, occurred_at, received_at
    FROM events
    WHERE email = $4
      AND ($1::text IS NULL OR event_type = $1)
      AND ($2::bigint IS NULL OR received_at >= $2)
      AND ($3::bigint IS NULL OR received_at < $3)
      AND ($5::text IS NULL OR id < $5)
    ORDER BY id DESC
    LIMIT $6";

const DELIVERY_COLUMNS: &str = "
    SELECT d.id, d.event_id, e.event_type, d.plugin, d.status, d.origin, d.attempts,
           d.next_attempt_at, d.last_error, d.replay_of, d.replayed_by, d.created_at, d.updated_at
    FROM deliveries d JOIN events e ON e.id = d.event_id";

pub(super) async fn list_events(
    client: &Object,
    filter: &EventFilter,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<EventSummary>, StoreError> {
    let sql = if filter.email.is_some() {
        LIST_EVENTS_OF_EMAIL
    } else {
        LIST_EVENTS
    };
    let rows = query(
        client,
        "list events",
        sql,
        &[
            &filter.event_type,
            &filter.since,
            &filter.until,
            &filter.email,
            &cursor,
            &(i64::from(limit) + 1),
        ],
    )
    .await?;
    let items: Vec<EventSummary> = rows.iter().map(event_summary).collect();
    let mut page = Page::of_rows(items, limit, |event| event.id.clone());
    for event in &mut page.items {
        event.delivery_counts = delivery_counts(client, &event.id).await?;
    }
    Ok(page)
}

pub(super) async fn event(client: &Object, id: &str) -> Result<Option<EventDetail>, StoreError> {
    let Some(row) = query_opt(
        client,
        "read an event",
        "SELECT e.id, e.webhook_id, e.event_type, e.prospect_id, e.email, e.occurred_at,
                e.received_at, w.metadata, e.item
         FROM events e JOIN webhooks w ON w.id = e.webhook_id WHERE e.id = $1",
        &[&id],
    )
    .await?
    else {
        return Ok(None);
    };
    let mut summary = event_summary(&row);
    let (metadata, item): (String, String) = (row.get(7), row.get(8));
    summary.delivery_counts = delivery_counts(client, id).await?;
    let summaries = query(
        client,
        "read an event's deliveries",
        &format!("{DELIVERY_COLUMNS} WHERE d.event_id = $1 ORDER BY d.id"),
        &[&id],
    )
    .await?;
    let mut deliveries = Vec::with_capacity(summaries.len());
    for row in &summaries {
        let summary = delivery_summary(row);
        let runs = attempts(client, summary.id).await?;
        deliveries.push(DeliveryDetail { summary, runs });
    }
    Ok(Some(EventDetail {
        summary,
        metadata: serde_json::from_str(&metadata).unwrap_or(serde_json::Value::Null),
        item: serde_json::from_str(&item).unwrap_or(serde_json::Value::Null),
        deliveries,
    }))
}

/// The delivery list's query for a filter. The status is written into the SQL (a name of
/// [`DeliveryStatus`], never the caller's text) and the plugin condition is one or the other, so
/// that the plan of a prepared statement (generic after a few runs) can use the partial indexes:
/// a plugin's deliveries from `deliveries_by_plugin`, dead letters from `deliveries_dead`, sorted.
/// For those the order is `d.id + 0`: by the primary key, the planner would walk every delivery
/// newer than the dead letters (the bulk of them, when dead letters are old) expecting them to
/// be spread evenly.
fn list_deliveries_sql(status: Option<DeliveryStatus>, by_plugin: bool) -> String {
    let order = if status == Some(DeliveryStatus::Dead) {
        "d.id + 0"
    } else {
        "d.id"
    };
    let status = match status {
        Some(DeliveryStatus::Dead) => "d.status = 'dead' AND d.replayed_by IS NULL".to_owned(),
        Some(status) => format!("d.status = '{}'", status.as_str()),
        None => "TRUE".to_owned(),
    };
    let plugin = if by_plugin {
        "d.plugin = $1"
    } else {
        "$1::text IS NULL"
    };
    format!(
        "{DELIVERY_COLUMNS}
         WHERE {status} AND {plugin}
           AND ($2::text IS NULL OR e.event_type = $2)
           AND ($3::bigint IS NULL OR d.id < $3)
         ORDER BY {order} DESC
         LIMIT $4"
    )
}

pub(super) async fn list_deliveries(
    client: &Object,
    filter: &DeliveryFilter,
    limit: u32,
    cursor: Option<i64>,
) -> Result<Page<DeliverySummary>, StoreError> {
    let rows = query(
        client,
        "list deliveries",
        &list_deliveries_sql(filter.status, filter.plugin.is_some()),
        &[
            &filter.plugin,
            &filter.event_type,
            &cursor,
            &(i64::from(limit) + 1),
        ],
    )
    .await?;
    let items: Vec<DeliverySummary> = rows.iter().map(delivery_summary).collect();
    Ok(Page::of_rows(items, limit, |delivery| {
        delivery.id.to_string()
    }))
}

pub(super) async fn plugin_activity(client: &Object) -> Result<Vec<PluginActivity>, StoreError> {
    let operation = "find a plugin's last error";
    let counts = counts::by_plugin(client).await?;
    let mut plugins = Vec::with_capacity(counts.len());
    for (plugin, deliveries) in counts {
        let row = query_opt(client, operation, LAST_ERROR, &[&plugin]).await?;
        let last_error = match row {
            Some(row) => {
                let outcome = outcome(&row, 2)?;
                let detail: Option<String> = row.get(3);
                Some(LastError {
                    delivery_id: row.get(0),
                    at: row.get(1),
                    message: match detail {
                        Some(detail) => format!("{outcome}: {detail}"),
                        None => outcome.to_string(),
                    },
                })
            }
            None => None,
        };
        plugins.push(PluginActivity {
            plugin,
            deliveries,
            last_error,
        });
    }
    Ok(plugins)
}

pub(super) async fn queue_stats(client: &Object, now: i64) -> Result<QueueStats, StoreError> {
    let operation = "read queue depth";
    let mut stats = QueueStats::default();
    // One partial index each: the cost follows the open and dead deliveries, not the history.
    let (pending, running, dead) = tokio::try_join!(
        counts::per_plugin(client, counts::PENDING, operation),
        counts::per_plugin(client, counts::RUNNING, operation),
        counts::per_plugin(client, counts::DEAD, operation),
    )?;
    // Due ones only: a retry scheduled for later is not late. The oldest of each plugin is the
    // first entry of its range in `deliveries_due` (plugin, next_attempt_at).
    for (plugin, _) in &pending {
        let row = query_opt(
            client,
            operation,
            "SELECT MIN(next_attempt_at) FROM deliveries
             WHERE status = 'pending' AND plugin = $1 AND next_attempt_at <= $2",
            &[plugin, &now],
        )
        .await?;
        let due_since: Option<i64> = row.and_then(|row| row.get(0));
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

async fn delivery_counts(client: &Object, event_id: &str) -> Result<StatusCounts, StoreError> {
    let rows = query(
        client,
        "count an event's deliveries",
        &format!("{STATUS_COUNTS} FROM deliveries WHERE event_id = $1 GROUP BY 1"),
        &[&event_id],
    )
    .await?;
    let mut counts = StatusCounts::default();
    for row in &rows {
        let status: String = row.get(0);
        if let Some(status) = DeliveryStatus::from_name(&status) {
            counts.add(status, row.get::<_, i64>(1) as u64);
        }
    }
    Ok(counts)
}

async fn attempts(client: &Object, delivery_id: i64) -> Result<Vec<AttemptView>, StoreError> {
    let rows = query(
        client,
        "read a delivery's attempts",
        "SELECT attempt, plugin_hash, started_at, duration_us, outcome, detail, logs, requests
         FROM attempts WHERE delivery_id = $1 ORDER BY attempt",
        &[&delivery_id],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AttemptView {
                attempt: row.get::<_, i32>(0) as u32,
                plugin_hash: row.get(1),
                started_at: row.get(2),
                duration_us: row.get(3),
                outcome: outcome(row, 4)?,
                detail: row.get(5),
                logs: json(row.get(6)),
                requests: json(row.get(7)),
            })
        })
        .collect()
}

/// A plugin's most recent attempt whose outcome is an error ([`AttemptOutcome::is_error`]):
/// the unsuccessful attempts newest first (`attempts_errors`, whose outcomes these are), each
/// joined to its delivery, until one is the plugin's.
const LAST_ERROR: &str = "
    SELECT a.delivery_id, a.started_at, a.outcome, a.detail
    FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
    WHERE d.plugin = $1 AND a.outcome IN ('retry', 'failed', 'fault')
    ORDER BY a.id DESC LIMIT 1";

/// The outcome in column `index`; a name this build does not know is an error, not a guess.
fn outcome(row: &Row, index: usize) -> Result<AttemptOutcome, StoreError> {
    let name: String = row.get(index);
    AttemptOutcome::from_name(&name).ok_or_else(|| StoreError::Postgres {
        operation: "read an attempt",
        message: format!("unknown attempt outcome `{name}`; is a newer smartreach-hooks writing to this database?"),
    })
}

fn json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn event_summary(row: &Row) -> EventSummary {
    EventSummary {
        id: row.get(0),
        webhook_id: row.get(1),
        event_type: row.get(2),
        prospect_id: row.get(3),
        email: row.get(4),
        occurred_at: row.get(5),
        received_at: row.get(6),
        delivery_counts: StatusCounts::default(),
    }
}

fn delivery_summary(row: &Row) -> DeliverySummary {
    let status: String = row.get(4);
    let status = DeliveryStatus::from_name(&status).unwrap_or(DeliveryStatus::Pending);
    let replayed_by = row.get(10);
    DeliverySummary {
        id: row.get(0),
        event_id: row.get(1),
        event_type: row.get(2),
        plugin: row.get(3),
        status: ShownStatus::of(status, replayed_by),
        origin: row.get(5),
        attempts: row.get::<_, i32>(6) as u32,
        next_attempt_at: row.get(7),
        last_error: row.get(8),
        replay_of: row.get(9),
        replayed_by,
        created_at: row.get(11),
        updated_at: row.get(12),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_error_names_the_outcomes_of_is_error_and_of_its_index() {
        let errors = AttemptOutcome::ALL
            .into_iter()
            .filter(|outcome| outcome.is_error())
            .map(|outcome| format!("'{outcome}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let outcomes = format!("outcome IN ({errors})");
        assert!(LAST_ERROR.contains(&outcomes), "{LAST_ERROR}");
        let migration = include_str!("migrations/0003_console_reads.sql");
        assert!(migration.contains(&outcomes), "attempts_errors holds them");
    }
}
