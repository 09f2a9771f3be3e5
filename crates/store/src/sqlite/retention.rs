//! Retention: deleting what is old and finished, in small batches so that ingest never waits
//! long behind it.

use rusqlite::Connection;

use crate::view::Pruned;
use crate::{StoreError, Timestamp};

/// Webhooks deleted per transaction.
const BATCH: i64 = 500;
/// Old attempts deleted per transaction.
const ATTEMPT_BATCH: i64 = 5_000;

/// Deletes up to [`BATCH`] prunable webhooks (cascading to their events, deliveries and attempts)
/// and up to ten times as many old attempts of finished deliveries. Returns what it deleted, and
/// whether there is more.
pub(super) fn prune_batch(conn: &Connection, before: Timestamp) -> Result<Pruned, StoreError> {
    let failed = || StoreError::query("prune old webhooks");
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT w.id FROM webhooks w
             WHERE w.received_at < ?1
               AND NOT EXISTS (
                   SELECT 1 FROM events e JOIN deliveries d ON d.event_id = e.id
                   WHERE e.webhook_id = w.id
                     AND (d.status IN ('pending', 'running')
                          OR (d.status = 'dead' AND d.replayed_by IS NULL)))
             ORDER BY w.received_at LIMIT ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_map((before, BATCH), |row| row.get(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(failed())?;
    let mut pruned = Pruned::default();
    let mut count_events = conn
        .prepare_cached("SELECT COUNT(*) FROM events WHERE webhook_id = ?1")
        .map_err(failed())?;
    let mut delete = conn
        .prepare_cached("DELETE FROM webhooks WHERE id = ?1")
        .map_err(failed())?;
    for id in &ids {
        pruned.events += count_events
            .query_row([id], |row| row.get::<_, i64>(0))
            .map_err(failed())? as u64;
        pruned.webhooks += delete.execute([id]).map_err(failed())? as u64;
    }
    // Driven by the attempts' start time, so the cost follows the old attempts, not every finished
    // delivery ever kept.
    pruned.attempts = conn
        .prepare_cached(
            "DELETE FROM attempts WHERE id IN (
                 SELECT a.id FROM attempts a INDEXED BY attempts_by_started
                 JOIN deliveries d ON d.id = a.delivery_id
                 WHERE a.started_at < ?1 AND d.status IN ('done', 'skipped')
                 LIMIT ?2)",
        )
        .and_then(|mut statement| statement.execute((before, ATTEMPT_BATCH)))
        .map_err(StoreError::query("prune old attempts"))? as u64;
    pruned.more = pruned.webhooks == BATCH as u64 || pruned.attempts == ATTEMPT_BATCH as u64;
    Ok(pruned)
}
