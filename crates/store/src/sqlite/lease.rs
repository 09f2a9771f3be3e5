//! Keeping claimed deliveries held: the owner's heartbeat moves their leases' end.

use rusqlite::Connection;

use crate::{StoreError, Timestamp};

pub(super) fn renew(
    conn: &Connection,
    owner: &str,
    delivery_ids: &[i64],
    until: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "UPDATE deliveries SET lease_expires_at = ?3
             WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
             RETURNING id",
        )
        .map_err(StoreError::query("renew delivery leases"))?;
    let mut renewed = Vec::with_capacity(delivery_ids.len());
    for &id in delivery_ids {
        let held = statement
            .query_map((id, owner, until), |row| row.get::<_, i64>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(StoreError::query("renew delivery leases"))?;
        renewed.extend(held);
    }
    Ok(renewed)
}
