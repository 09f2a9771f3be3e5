//! Deliveries per plugin by status: the plugin page's counts and the queue's depth. The same
//! answers as the SQLite store's `counts.rs`, but not the same way: PostgreSQL counts no faster in
//! an index than in the table (each is a pass over the rows counted), so a plugin's statuses are
//! counted in one pass over its deliveries, and the queue's depth in the partial indexes of open
//! and dead deliveries.

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;

use super::query;
use crate::StoreError;
use crate::view::StatusCounts;

/// Every plugin's deliveries by status, in one pass (`dead`: not yet replayed; a replayed dead
/// letter is counted in none).
const BY_STATUS: &str = "
    SELECT plugin,
           COUNT(*) FILTER (WHERE status = 'pending'),
           COUNT(*) FILTER (WHERE status = 'running'),
           COUNT(*) FILTER (WHERE status = 'done'),
           COUNT(*) FILTER (WHERE status = 'skipped'),
           COUNT(*) FILTER (WHERE status = 'dead' AND replayed_by IS NULL)
    FROM deliveries GROUP BY plugin";
/// Waiting, whether due or not (`deliveries_due`).
pub(super) const PENDING: &str =
    "SELECT plugin, COUNT(*) FROM deliveries WHERE status = 'pending' GROUP BY plugin";
/// Under a lease (`deliveries_running`).
pub(super) const RUNNING: &str =
    "SELECT plugin, COUNT(*) FROM deliveries WHERE status = 'running' GROUP BY plugin";
/// Dead letters nobody replayed yet (`deliveries_dead`).
pub(super) const DEAD: &str = "SELECT plugin, COUNT(*) FROM deliveries
                               WHERE status = 'dead' AND replayed_by IS NULL GROUP BY plugin";

/// `(plugin, count)` rows of [`PENDING`], [`RUNNING`] or [`DEAD`].
pub(super) async fn per_plugin(
    client: &impl GenericClient,
    sql: &str,
    operation: &'static str,
) -> Result<Vec<(String, u64)>, StoreError> {
    let rows = query(client, operation, sql, &[]).await?;
    Ok(rows
        .iter()
        .map(|row| (row.get(0), row.get::<_, i64>(1) as u64))
        .collect())
}

/// The deliveries of every plugin that has any, by status.
pub(super) async fn by_plugin(
    client: &impl GenericClient,
) -> Result<BTreeMap<String, StatusCounts>, StoreError> {
    let rows = query(
        client,
        "count each plugin's deliveries by status",
        BY_STATUS,
        &[],
    )
    .await?;
    let count = |row: &tokio_postgres::Row, index| row.get::<_, i64>(index) as u64;
    Ok(rows
        .iter()
        .map(|row| {
            let counts = StatusCounts {
                pending: count(row, 1),
                running: count(row, 2),
                done: count(row, 3),
                skipped: count(row, 4),
                dead: count(row, 5),
            };
            (row.get(0), counts)
        })
        .collect())
}
