//! The admin API's queries: events, deliveries, plugins, the queue. The same questions as the
//! SQLite store's `read.rs`, in PostgreSQL's dialect.

use deadpool_postgres::Object;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{query, query_opt};
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

pub(super) async fn list_deliveries(
    client: &Object,
    filter: &DeliveryFilter,
    limit: u32,
    cursor: Option<i64>,
) -> Result<Page<DeliverySummary>, StoreError> {
    let rows = query(
        client,
        "list deliveries",
        &format!(
            "{DELIVERY_COLUMNS}
             WHERE ($1::text IS NULL OR d.status = $1)
               AND ($1::text IS DISTINCT FROM 'dead' OR d.replayed_by IS NULL)
               AND ($2::text IS NULL OR d.plugin = $2)
               AND ($3::text IS NULL OR e.event_type = $3)
               AND ($4::bigint IS NULL OR d.id < $4)
             ORDER BY d.id DESC
             LIMIT $5"
        ),
        &[
            &filter.status.map(DeliveryStatus::as_str),
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
    let operation = "summarise plugins";
    let counts = query(
        client,
        operation,
        &format!("{STATUS_COUNTS}, plugin FROM deliveries GROUP BY 1, plugin ORDER BY plugin"),
        &[],
    )
    .await?;
    let mut plugins: Vec<PluginActivity> = Vec::new();
    for row in &counts {
        let (status, count, plugin): (String, i64, String) = (row.get(0), row.get(1), row.get(2));
        if plugins.last().is_none_or(|last| last.plugin != plugin) {
            plugins.push(PluginActivity {
                plugin: plugin.clone(),
                deliveries: StatusCounts::default(),
                last_error: None,
            });
        }
        if let (Some(last), Some(status)) = (plugins.last_mut(), DeliveryStatus::from_name(&status))
        {
            last.deliveries.add(status, count as u64);
        }
    }
    let last_error = last_error_sql();
    for plugin in &mut plugins {
        let row = query_opt(client, operation, &last_error, &[&plugin.plugin]).await?;
        plugin.last_error = match row {
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
    }
    Ok(plugins)
}

pub(super) async fn queue_stats(client: &Object, now: i64) -> Result<QueueStats, StoreError> {
    let operation = "read queue depth";
    let mut stats = QueueStats::default();
    let due_by: [&(dyn ToSql + Sync); 1] = [&now];
    // One partial index each: the cost follows the open and dead deliveries, not the history.
    let (pending, running, dead, oldest) = tokio::try_join!(
        query(
            client,
            operation,
            "SELECT plugin, COUNT(*) FROM deliveries WHERE status = 'pending' GROUP BY plugin",
            &[],
        ),
        query(
            client,
            operation,
            "SELECT plugin, COUNT(*) FROM deliveries WHERE status = 'running' GROUP BY plugin",
            &[],
        ),
        query(
            client,
            operation,
            "SELECT plugin, COUNT(*) FROM deliveries
             WHERE status = 'dead' AND replayed_by IS NULL GROUP BY plugin",
            &[],
        ),
        // Due ones only: a retry scheduled for later is not late.
        query(
            client,
            operation,
            "SELECT MIN(next_attempt_at) FROM deliveries
             WHERE status = 'pending' AND next_attempt_at <= $1",
            &due_by,
        ),
    )?;
    for row in &pending {
        stats.by_plugin.entry(row.get(0)).or_default().pending = row.get::<_, i64>(1) as u64;
    }
    for row in &running {
        stats.by_plugin.entry(row.get(0)).or_default().running = row.get::<_, i64>(1) as u64;
    }
    for row in &dead {
        stats.by_plugin.entry(row.get(0)).or_default().dead = row.get::<_, i64>(1) as u64;
    }
    stats.oldest_due_since = oldest.first().and_then(|row| row.get(0));
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

/// A plugin's most recent attempt whose outcome is an error ([`AttemptOutcome::is_error`]).
fn last_error_sql() -> String {
    let errors = AttemptOutcome::ALL
        .into_iter()
        .filter(|outcome| outcome.is_error())
        .map(|outcome| format!("'{outcome}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT a.delivery_id, a.started_at, a.outcome, a.detail
         FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
         WHERE d.plugin = $1 AND a.outcome IN ({errors})
         ORDER BY a.id DESC LIMIT 1"
    )
}

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
