//! Keeping claimed deliveries held: the owner's heartbeat moves their leases' end. One statement,
//! so one transaction; the row lock orders it against a host taking a delivery over, and a
//! delivery taken over is no longer the caller's, so its lease is left alone.

use deadpool_postgres::Object;

use super::query;
use crate::{StoreError, Timestamp};

pub(super) async fn renew(
    client: &Object,
    owner: &str,
    delivery_ids: &[i64],
    until: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let rows = query(
        client,
        "renew delivery leases",
        "UPDATE deliveries SET lease_expires_at = $3
         WHERE id = ANY($1) AND status = 'running' AND lease_owner = $2
         RETURNING id",
        &[&delivery_ids, &owner, &until],
    )
    .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}
