//! Webhooks and attempts per minute over a recent window: the console's overview chart.

use rusqlite::Connection;

use crate::view::{MINUTE_MS, MinuteActivity, minutes_of};
use crate::{AttemptOutcome, StoreError};

/// Reads `webhooks_by_received` and `attempts_by_started` from `since` on.
pub(super) fn by_minute(conn: &Connection, since: i64) -> Result<Vec<MinuteActivity>, StoreError> {
    let failed = || StoreError::query("read the activity per minute");
    let webhooks: Vec<(i64, u64)> = conn
        .prepare_cached(
            "SELECT received_at / ?2, COUNT(*) FROM webhooks INDEXED BY webhooks_by_received
             WHERE received_at >= ?1 GROUP BY 1",
        )
        .and_then(|mut statement| {
            statement
                .query_map([since, MINUTE_MS], |row| {
                    Ok((row.get(0)?, row.get::<_, i64>(1)? as u64))
                })?
                .collect()
        })
        .map_err(failed())?;
    let attempts: Vec<(i64, String, u64)> = conn
        .prepare_cached(
            "SELECT started_at / ?2, outcome, COUNT(*) FROM attempts INDEXED BY attempts_by_started
             WHERE started_at >= ?1 GROUP BY 1, 2",
        )
        .and_then(|mut statement| {
            statement
                .query_map([since, MINUTE_MS], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)? as u64))
                })?
                .collect()
        })
        .map_err(failed())?;
    // An outcome this version does not know (a newer host's, on a shared database) is left out.
    let attempts = attempts.into_iter().filter_map(|(minute, outcome, count)| {
        AttemptOutcome::from_name(&outcome).map(|outcome| (minute, outcome, count))
    });
    Ok(minutes_of(webhooks, attempts))
}
