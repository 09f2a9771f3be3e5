//! Deliveries per plugin by status, each status counted in an index that holds it alone, so that
//! the table is not read (but for the replayed dead letters, which are few): the plugin page's
//! counts and the queue's depth. Done deliveries, the bulk of the history, have no index of
//! their own: they are what is left of a plugin's deliveries (`deliveries_by_plugin`).

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::StoreError;
use crate::view::StatusCounts;

/// Every delivery of each plugin.
const ALL: &str = "SELECT plugin, COUNT(*) FROM deliveries INDEXED BY deliveries_by_plugin
                   GROUP BY plugin";
/// Waiting, whether due or not.
pub(super) const PENDING: &str = "SELECT plugin, COUNT(*) FROM deliveries INDEXED BY deliveries_due
                                  WHERE status = 'pending' GROUP BY plugin";
/// Under a lease.
pub(super) const RUNNING: &str = "SELECT plugin, COUNT(*) FROM deliveries
                                  INDEXED BY deliveries_running
                                  WHERE status = 'running' GROUP BY plugin";
/// Skipped by the plugin.
const SKIPPED: &str = "SELECT plugin, COUNT(*) FROM deliveries INDEXED BY deliveries_skipped
                       WHERE status = 'skipped' GROUP BY plugin";
/// Dead letters nobody replayed yet.
pub(super) const DEAD: &str = "SELECT plugin, COUNT(*) FROM deliveries INDEXED BY deliveries_dead
                               WHERE status = 'dead' AND replayed_by IS NULL GROUP BY plugin";
/// Dead letters replayed since: counted in none of the statuses, but part of `ALL`.
const REPLAYED_DEAD: &str = "SELECT plugin, COUNT(*) FROM deliveries
                             INDEXED BY deliveries_replayed_by
                             WHERE replayed_by IS NOT NULL AND status = 'dead' GROUP BY plugin";

/// `(plugin, count)` rows of one of the queries above.
pub(super) fn per_plugin(
    conn: &Connection,
    sql: &str,
    operation: &'static str,
) -> Result<Vec<(String, u64)>, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| {
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))?
                .collect()
        })
        .map_err(StoreError::query(operation))
}

/// The deliveries of every plugin that has any, by status (`dead`: not yet replayed).
pub(super) fn by_plugin(conn: &Connection) -> Result<BTreeMap<String, StatusCounts>, StoreError> {
    let operation = "count each plugin's deliveries by status";
    let mut left: BTreeMap<String, u64> = per_plugin(conn, ALL, operation)?.into_iter().collect();
    let mut counts: BTreeMap<String, StatusCounts> = left
        .keys()
        .map(|plugin| (plugin.clone(), StatusCounts::default()))
        .collect();
    let mut take = |sql: &str, set: fn(&mut StatusCounts, u64)| -> Result<(), StoreError> {
        for (plugin, count) in per_plugin(conn, sql, operation)? {
            if let (Some(counted), Some(rest)) = (counts.get_mut(&plugin), left.get_mut(&plugin)) {
                set(counted, count);
                *rest = rest.saturating_sub(count);
            }
        }
        Ok(())
    };
    take(PENDING, |counts, n| counts.pending = n)?;
    take(RUNNING, |counts, n| counts.running = n)?;
    take(SKIPPED, |counts, n| counts.skipped = n)?;
    take(DEAD, |counts, n| counts.dead = n)?;
    take(REPLAYED_DEAD, |_, _| {})?;
    for (plugin, done) in left {
        if let Some(counted) = counts.get_mut(&plugin) {
            counted.done = done;
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::super::query_plan as plan;
    use super::*;

    #[test]
    fn each_status_is_counted_in_its_own_index_without_a_sort() {
        for (sql, index) in [
            (ALL, "deliveries_by_plugin"),
            (PENDING, "deliveries_due"),
            (SKIPPED, "deliveries_skipped"),
            (DEAD, "deliveries_dead"),
        ] {
            let steps = plan(sql);
            assert!(steps.contains(&format!("INDEX {index}")), "{sql}: {steps}");
            assert!(!steps.contains("TEMP B-TREE"), "no sort: {sql}: {steps}");
        }
        // Few rows each, sorted by plugin: running deliveries, replayed dead letters.
        for (sql, index) in [
            (RUNNING, "deliveries_running"),
            (REPLAYED_DEAD, "deliveries_replayed_by"),
        ] {
            let steps = plan(sql);
            assert!(steps.contains(&format!("INDEX {index}")), "{sql}: {steps}");
        }
    }
}
