//! Webhooks and attempts per minute over a recent window: the console's overview chart.

use rusqlite::Connection;
use rusqlite::types::Type;

use crate::view::{MINUTE_MS, MinuteActivity, minutes_of};
use crate::{AttemptOutcome, StoreError};

/// The webhooks of the window in time order, read from the index alone.
const WEBHOOKS: &str = "SELECT received_at FROM webhooks INDEXED BY webhooks_by_received
                        WHERE received_at >= ?1 ORDER BY received_at";

/// The attempts of the window in time order, read from the index alone.
const ATTEMPTS: &str = "SELECT started_at, outcome FROM attempts INDEXED BY attempts_by_started
                        WHERE started_at >= ?1 ORDER BY started_at";

/// Reads `webhooks_by_received` and `attempts_by_started` (which holds the outcome) from `since`
/// on.
pub(super) fn by_minute(conn: &Connection, since: i64) -> Result<Vec<MinuteActivity>, StoreError> {
    let failed = || StoreError::query("read the activity per minute");
    // Both counted here, a minute at a time in the index's order: SQLite's GROUP BY would sort
    // every row of the window first. `attempts_by_started` holds the outcome: the table is not read.
    let mut webhooks: Vec<(i64, u64)> = Vec::new();
    let mut statement = conn.prepare_cached(WEBHOOKS).map_err(failed())?;
    let mut rows = statement.query([since]).map_err(failed())?;
    while let Some(row) = rows.next().map_err(failed())? {
        let minute = row.get::<_, i64>(0).map_err(failed())? / MINUTE_MS;
        match webhooks.last_mut() {
            Some((last, count)) if *last == minute => *count += 1,
            _ => webhooks.push((minute, 1)),
        }
    }
    let mut per_minute: Vec<(i64, [u64; AttemptOutcome::ALL.len()])> = Vec::new();
    let mut statement = conn.prepare_cached(ATTEMPTS).map_err(failed())?;
    let mut rows = statement.query([since]).map_err(failed())?;
    while let Some(row) = rows.next().map_err(failed())? {
        let minute = row.get::<_, i64>(0).map_err(failed())? / MINUTE_MS;
        let name = row
            .get_ref(1)
            .and_then(|value| {
                value.as_str().map_err(|err| {
                    rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(err))
                })
            })
            .map_err(failed())?;
        // An outcome this version does not know (a newer host's, on a shared database) is left out.
        let Some(slot) = AttemptOutcome::ALL
            .iter()
            .position(|outcome| outcome.as_str() == name)
        else {
            continue;
        };
        match per_minute.last_mut() {
            Some((last, counts)) if *last == minute => counts[slot] += 1,
            _ => {
                let mut counts = [0; AttemptOutcome::ALL.len()];
                counts[slot] = 1;
                per_minute.push((minute, counts));
            }
        }
    }
    let attempts = per_minute.into_iter().flat_map(|(minute, counts)| {
        AttemptOutcome::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, count)| *count > 0)
            .map(move |(outcome, count)| (minute, outcome, count))
    });
    Ok(minutes_of(webhooks, attempts))
}

#[cfg(test)]
mod tests {
    use super::super::query_plan as plan;
    use super::*;

    #[test]
    fn webhooks_and_attempts_are_read_from_their_time_index_alone_in_its_order() {
        for (sql, index) in [
            (WEBHOOKS, "webhooks_by_received"),
            (ATTEMPTS, "attempts_by_started"),
        ] {
            let steps = plan(sql);
            assert!(
                steps.contains(&format!("COVERING INDEX {index}")),
                "{steps}"
            );
            assert!(!steps.contains("TEMP B-TREE"), "{steps}");
        }
    }
}
