//! Replays and backfills: new deliveries of stored events, queued like any other.

use rusqlite::{Connection, OptionalExtension};

use crate::view::ReplayRefused;

/// Deliveries queued per transaction by a backfill or a replay of dead letters.
pub(super) const CHUNK: u64 = 1_000;
use crate::{DeliveryStatus, StoreError, Timestamp};

pub(super) fn replay(
    conn: &Connection,
    delivery_id: i64,
    now: Timestamp,
) -> Result<Result<i64, ReplayRefused>, StoreError> {
    let found: Option<(String, Option<i64>)> = conn
        .prepare_cached("SELECT status, replayed_by FROM deliveries WHERE id = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([delivery_id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(StoreError::query("find a delivery to replay"))?;
    let Some((Some(status), replayed_by)) =
        found.map(|(status, replayed_by)| (DeliveryStatus::from_name(&status), replayed_by))
    else {
        return Ok(Err(ReplayRefused::NotFound));
    };
    if matches!(status, DeliveryStatus::Pending | DeliveryStatus::Running) {
        return Ok(Err(ReplayRefused::StillOpen(status)));
    }
    if let Some(replay) = replayed_by {
        return Ok(Err(ReplayRefused::AlreadyReplayed(replay)));
    }
    let new_id = conn
        .prepare_cached(
            "INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin,
                                     replay_of, attempts, next_attempt_at, created_at, updated_at)
             SELECT event_id, plugin, source, prospect_id, 'pending', 'replay', id, 0, ?2, ?2, ?2
             FROM deliveries WHERE id = ?1
             RETURNING id",
        )
        .and_then(|mut statement| statement.query_row((delivery_id, now), |row| row.get(0)))
        .map_err(StoreError::query("queue a replay"))?;
    conn.prepare_cached("UPDATE deliveries SET replayed_by = ?2, updated_at = ?3 WHERE id = ?1")
        .and_then(|mut statement| statement.execute((delivery_id, new_id, now)))
        .map_err(StoreError::query("mark a replayed delivery"))?;
    Ok(Ok(new_id))
}

pub(super) fn replay_dead(
    conn: &Connection,
    plugin: &str,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<i64>, StoreError> {
    let dead: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM deliveries
             WHERE plugin = ?1 AND status = 'dead' AND replayed_by IS NULL ORDER BY id LIMIT ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_map((plugin, limit as i64), |row| row.get(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(StoreError::query("find dead letters"))?;
    let mut replays = Vec::with_capacity(dead.len());
    for id in dead {
        if let Ok(new_id) = replay(conn, id, now)? {
            replays.push(new_id);
        }
    }
    Ok(replays)
}

/// One chunk of a backfill: events of the types in the window, oldest first, that have no
/// delivery to the plugin yet (looked up per event in `deliveries_by_event`: left to itself,
/// SQLite walks every delivery of the plugin for each event).
const BACKFILL: &str = "
    INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin, attempts,
                            next_attempt_at, created_at, updated_at)
    SELECT e.id, ?1, w.source, e.prospect_id, 'pending', 'backfill', 0, ?5, ?5, ?5
    FROM events e JOIN webhooks w ON w.id = e.webhook_id
    WHERE (?2 IS NULL OR e.event_type IN (SELECT value FROM json_each(?2)))
      AND e.received_at >= ?3 AND e.received_at < ?4
      AND NOT EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_by_event
                      WHERE d.event_id = e.id AND d.plugin = ?1)
    ORDER BY e.received_at, e.id
    LIMIT ?6
    RETURNING id";

pub(super) fn backfill(
    conn: &Connection,
    plugin: &str,
    event_types: Option<&[String]>,
    since: Timestamp,
    until: Timestamp,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<i64>, StoreError> {
    // The types travel as one JSON array (PostgreSQL: `= ANY($2)`); NULL means every type.
    let types = event_types.map(|types| serde_json::to_string(types).unwrap_or_default());
    conn.prepare_cached(BACKFILL)
        .and_then(|mut statement| {
            statement
                .query_map((plugin, &types, since, until, now, limit as i64), |row| {
                    row.get(0)
                })?
                .collect::<Result<Vec<i64>, _>>()
        })
        .map_err(StoreError::query("queue a backfill"))
}

#[cfg(test)]
mod tests {
    use super::super::query_plan;
    use super::*;

    #[test]
    fn a_backfill_looks_up_each_event_s_deliveries_by_event() {
        let plan = query_plan(BACKFILL);
        assert!(plan.contains("events_by_received"), "{plan}");
        assert!(plan.contains("deliveries_by_event (event_id=?)"), "{plan}");
    }
}
