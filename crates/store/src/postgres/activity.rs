//! Webhooks and attempts per minute over a recent window: the console's overview chart. The same
//! questions as the SQLite store's `activity.rs`.

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;

use super::query;
use crate::view::{MINUTE_MS, MinuteActivity, minutes_of};
use crate::{AttemptOutcome, StoreError};

/// Reads the webhooks' and attempts' time indexes from `since` on.
pub(super) async fn by_minute(
    client: &Object,
    since: i64,
) -> Result<Vec<MinuteActivity>, StoreError> {
    let operation = "read the activity per minute";
    let params: [&(dyn ToSql + Sync); 2] = [&since, &MINUTE_MS];
    let (webhooks, attempts) = tokio::try_join!(
        query(
            client,
            operation,
            "SELECT received_at / $2, COUNT(*) FROM webhooks WHERE received_at >= $1 GROUP BY 1",
            &params,
        ),
        query(
            client,
            operation,
            "SELECT started_at / $2, outcome, COUNT(*) FROM attempts
             WHERE started_at >= $1 GROUP BY 1, 2",
            &params,
        ),
    )?;
    let webhooks = webhooks
        .iter()
        .map(|row| (row.get::<_, i64>(0), row.get::<_, i64>(1) as u64));
    // An outcome this version does not know (a newer host's) is left out.
    let attempts = attempts.iter().filter_map(|row| {
        AttemptOutcome::from_name(row.get(1))
            .map(|outcome| (row.get::<_, i64>(0), outcome, row.get::<_, i64>(2) as u64))
    });
    Ok(minutes_of(webhooks, attempts))
}
