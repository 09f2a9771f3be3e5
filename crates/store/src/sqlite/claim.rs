//! Claiming due deliveries under a lease.
//!
//! A delivery is claimable when it is pending and due, or running under an expired lease. Of the
//! open deliveries of one (plugin, prospect) only the oldest is claimable: that is what keeps a
//! prospect's events in order for each plugin. In PostgreSQL the candidate query takes
//! `FOR UPDATE OF d SKIP LOCKED`, so that hosts sharing the database claim disjoint rows.

use rusqlite::Connection;

use crate::model::{ClaimRequest, Claimed};
use crate::{StoreError, Timestamp};

/// Candidates of one plugin, oldest due first, heads of their prospect only. The candidates come
/// from the partial indexes of pending and running deliveries, never from the finished ones, and
/// the head-of-line check is pinned to the index of open deliveries by prospect, so the cost
/// follows the number of due deliveries, not the size of the table (nor SQLite's statistics).
/// A running delivery whose lease expired counts one attempt more: its last run never finished.
const CANDIDATES: &str = "
    SELECT d.id, d.plugin, d.attempts + (d.status = 'running'), e.id, e.event_type,
           e.prospect_id, e.metadata, e.item
    FROM (SELECT id FROM deliveries
          WHERE plugin = ?1 AND status = 'pending' AND next_attempt_at <= ?2
          UNION ALL
          SELECT id FROM deliveries
          WHERE plugin = ?1 AND status = 'running' AND lease_expires_at < ?2) due
    JOIN deliveries d ON d.id = due.id
    JOIN events e ON e.id = d.event_id
    WHERE d.prospect_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM deliveries earlier INDEXED BY deliveries_open_by_prospect
        WHERE earlier.plugin = d.plugin
          AND earlier.prospect_id = d.prospect_id
          AND earlier.id < d.id
          AND earlier.status IN ('pending', 'running'))
    ORDER BY d.next_attempt_at, d.id
    LIMIT ?3";

pub(super) fn claim(
    conn: &Connection,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    requests: &[ClaimRequest],
) -> Result<Vec<Claimed>, StoreError> {
    let mut candidates = conn
        .prepare_cached(CANDIDATES)
        .map_err(StoreError::query("find due deliveries"))?;
    let mut take = conn
        .prepare_cached(
            "UPDATE deliveries
             SET status = 'running', lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4,
                 attempts = ?5
             WHERE id = ?1",
        )
        .map_err(StoreError::query("claim a delivery"))?;
    let mut claimed = Vec::new();
    for request in requests.iter().filter(|request| request.limit > 0) {
        let rows = candidates
            .query_map((&request.plugin, now, request.limit), |row| {
                Ok(Claimed {
                    delivery_id: row.get(0)?,
                    plugin: row.get(1)?,
                    attempts: row.get(2)?,
                    event_id: row.get(3)?,
                    event_type: row.get(4)?,
                    prospect_id: row.get(5)?,
                    metadata: row.get(6)?,
                    item: row.get(7)?,
                })
            })
            .map_err(StoreError::query("find due deliveries"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::query("find due deliveries"))?;
        for delivery in rows {
            take.execute((
                delivery.delivery_id,
                owner,
                lease_until,
                now,
                delivery.attempts,
            ))
            .map_err(StoreError::query("claim a delivery"))?;
            claimed.push(delivery);
        }
    }
    Ok(claimed)
}
