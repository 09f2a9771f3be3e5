//! Retention: deleting what is old and finished, in small batches, by one host at a time and
//! never while a replay or a backfill runs (they give old events new open deliveries): a batch
//! takes [`PRUNE_LOCK`] exclusively or not at all, replays and backfills take it shared. A host
//! that cannot take it deletes nothing and says there is no more (the one pruning carries on;
//! every host tries again at its next interval).

use deadpool_postgres::{GenericClient, Object};

use super::{execute, failed, query};
use crate::view::Pruned;
use crate::{StoreError, Timestamp};

/// Webhooks deleted per transaction.
const BATCH: i64 = 500;
/// Old attempts deleted per transaction.
const ATTEMPT_BATCH: i64 = 5_000;

/// The advisory lock of retention: ASCII "smartprn", a key of ours in a shared database.
const PRUNE_LOCK: i64 = 0x736d_6172_7470_726e;

/// Keeps retention off until the transaction of `tx` ends (waits for a batch that is running).
pub(super) async fn hold_off(tx: &impl GenericClient) -> Result<(), StoreError> {
    execute(
        tx,
        "holding retention off",
        "SELECT pg_advisory_xact_lock_shared($1)",
        &[&PRUNE_LOCK],
    )
    .await?;
    Ok(())
}

/// Prunable webhooks: old, and none of their events has an open delivery or a dead letter.
const PRUNABLE: &str = "
    SELECT w.id, (SELECT COUNT(*) FROM events e WHERE e.webhook_id = w.id) FROM webhooks w
    WHERE w.received_at < $1
      AND NOT EXISTS (
          SELECT 1 FROM events e JOIN deliveries d ON d.event_id = e.id
          WHERE e.webhook_id = w.id
            AND (d.status IN ('pending', 'running')
                 OR (d.status = 'dead' AND d.replayed_by IS NULL)))
    ORDER BY w.received_at LIMIT $2";

/// Deletes up to [`BATCH`] prunable webhooks (cascading to their events, deliveries and attempts)
/// and up to ten times as many old attempts of finished deliveries, in one transaction.
pub(super) async fn prune_batch(
    client: &mut Object,
    before: Timestamp,
) -> Result<Pruned, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a retention batch"))?;
    let turn = query(
        &tx,
        "prune old webhooks",
        "SELECT pg_try_advisory_xact_lock($1)",
        &[&PRUNE_LOCK],
    )
    .await?;
    if !turn.first().is_some_and(|row| row.get::<_, bool>(0)) {
        return Ok(Pruned::default());
    }
    let prunable = query(&tx, "prune old webhooks", PRUNABLE, &[&before, &BATCH]).await?;
    let ids: Vec<&str> = prunable.iter().map(|row| row.get(0)).collect();
    let mut pruned = Pruned {
        events: prunable.iter().map(|row| row.get::<_, i64>(1) as u64).sum(),
        ..Pruned::default()
    };
    pruned.webhooks = execute(
        &tx,
        "prune old webhooks",
        "DELETE FROM webhooks WHERE id = ANY($1)",
        &[&ids],
    )
    .await?;
    // Driven by the attempts' start time, so the cost follows the old attempts, not every
    // finished delivery ever kept.
    pruned.attempts = execute(
        &tx,
        "prune old attempts",
        "DELETE FROM attempts WHERE id IN (
             SELECT a.id FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
             WHERE a.started_at < $1 AND d.status IN ('done', 'skipped')
             LIMIT $2)",
        &[&before, &ATTEMPT_BATCH],
    )
    .await?;
    tx.commit()
        .await
        .map_err(failed("committing a retention batch"))?;
    pruned.more = pruned.webhooks == BATCH as u64 || pruned.attempts == ATTEMPT_BATCH as u64;
    Ok(pruned)
}
