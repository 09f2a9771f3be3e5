//! Claiming due deliveries under a lease.
//!
//! A delivery is claimable when it is pending and due, or running under an expired lease. Of the
//! open deliveries of one (plugin, prospect) only the oldest is claimable: that is what keeps a
//! prospect's events in order for each plugin. In PostgreSQL the candidate query takes
//! `FOR UPDATE OF d SKIP LOCKED`, so that hosts sharing the database claim disjoint rows.

use rusqlite::Connection;

use crate::model::{ClaimRequest, Claimed};
use crate::{StoreError, Timestamp};

/// Candidates of one plugin, oldest due first, heads of their prospect only.
const CANDIDATES: &str = "
    SELECT d.id, d.plugin, d.attempts, e.id, e.event_type, e.prospect_id, e.metadata, e.item
    FROM deliveries d JOIN events e ON e.id = d.event_id
    WHERE d.plugin = ?1
      AND ((d.status = 'pending' AND d.next_attempt_at <= ?2)
           OR (d.status = 'running' AND d.lease_expires_at < ?2))
      AND (d.prospect_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM deliveries earlier
            WHERE earlier.plugin = d.plugin
              AND earlier.prospect_id = d.prospect_id
              AND earlier.id < d.id
              AND earlier.status IN ('pending', 'running')))
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
             SET status = 'running', lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4
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
            take.execute((delivery.delivery_id, owner, lease_until, now))
                .map_err(StoreError::query("claim a delivery"))?;
            claimed.push(delivery);
        }
    }
    Ok(claimed)
}
