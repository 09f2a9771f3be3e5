//! Replays and backfills: new deliveries of stored events, queued like any other. Each
//! transaction holds the order locks of the prospects it queues for (see `order.rs`), and keeps
//! retention off while it runs (see `retention.rs`): retention deletes only webhooks without open
//! deliveries, and must not delete one this transaction is giving an open delivery.

use deadpool_postgres::Object;

use super::{execute, failed, order, query, query_opt, retention};
use crate::view::ReplayRefused;
use crate::{DeliveryStatus, StoreError, Timestamp};

/// Deliveries queued per transaction by a backfill or a replay of dead letters.
pub(super) const CHUNK: u64 = 1_000;

/// Queues the replay of one finished delivery. The delivery's row is locked first, so that two
/// hosts replaying it at once replay it once.
async fn replay_in(
    tx: &deadpool_postgres::Transaction<'_>,
    delivery_id: i64,
    now: Timestamp,
) -> Result<Result<i64, ReplayRefused>, StoreError> {
    let found = query_opt(
        tx,
        "find a delivery to replay",
        "SELECT status, replayed_by, source, prospect_id FROM deliveries WHERE id = $1 FOR UPDATE",
        &[&delivery_id],
    )
    .await?;
    let Some(row) = found else {
        return Ok(Err(ReplayRefused::NotFound));
    };
    let Some(status) = DeliveryStatus::from_name(row.get(0)) else {
        return Ok(Err(ReplayRefused::NotFound));
    };
    if matches!(status, DeliveryStatus::Pending | DeliveryStatus::Running) {
        return Ok(Err(ReplayRefused::StillOpen(status)));
    }
    if let Some(replay) = row.get::<_, Option<i64>>(1) {
        return Ok(Err(ReplayRefused::AlreadyReplayed(replay)));
    }
    let (source, prospect): (String, Option<String>) = (row.get(2), row.get(3));
    order::lock_prospects(tx, [(source.as_str(), prospect.as_deref())]).await?;
    let new_id: i64 = query(
        tx,
        "queue a replay",
        "INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin,
                                 replay_of, attempts, next_attempt_at, created_at, updated_at)
         SELECT event_id, plugin, source, prospect_id, 'pending', 'replay', id, 0, $2, $2, $2
         FROM deliveries WHERE id = $1
         RETURNING id",
        &[&delivery_id, &now],
    )
    .await?
    .first()
    .map(|row| row.get(0))
    .ok_or(StoreError::Postgres {
        operation: "queue a replay",
        message: "the delivery was gone".to_owned(),
    })?;
    execute(
        tx,
        "mark a replayed delivery",
        "UPDATE deliveries SET replayed_by = $2, updated_at = $3 WHERE id = $1",
        &[&delivery_id, &new_id, &now],
    )
    .await?;
    Ok(Ok(new_id))
}

pub(super) async fn replay(
    client: &mut Object,
    delivery_id: i64,
    now: Timestamp,
) -> Result<Result<i64, ReplayRefused>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a replay"))?;
    retention::hold_off(&tx).await?;
    let replayed = replay_in(&tx, delivery_id, now).await?;
    if replayed.is_ok() {
        tx.commit().await.map_err(failed("committing a replay"))?;
    }
    Ok(replayed)
}

pub(super) async fn replay_dead(
    client: &mut Object,
    plugin: &str,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<i64>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a replay of dead letters"))?;
    retention::hold_off(&tx).await?;
    let dead = query(
        &tx,
        "find dead letters",
        "SELECT id FROM deliveries
         WHERE plugin = $1 AND status = 'dead' AND replayed_by IS NULL ORDER BY id LIMIT $2",
        &[&plugin, &(limit as i64)],
    )
    .await?;
    let mut replays = Vec::with_capacity(dead.len());
    for row in &dead {
        // One another host replayed meanwhile is refused, and skipped.
        if let Ok(new_id) = replay_in(&tx, row.get(0), now).await? {
            replays.push(new_id);
        }
    }
    tx.commit()
        .await
        .map_err(failed("committing a replay of dead letters"))?;
    Ok(replays)
}

/// Events of the types in the window, oldest first, that have no delivery to the plugin yet.
const BACKFILL_CANDIDATES: &str = "
    SELECT e.id, w.source, e.prospect_id
    FROM events e JOIN webhooks w ON w.id = e.webhook_id
    WHERE ($2::text[] IS NULL OR e.event_type = ANY($2))
      AND e.received_at >= $3 AND e.received_at < $4
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.plugin = $1)
    ORDER BY e.received_at, e.id
    LIMIT $5";

/// Queues the chosen events, in their order, unless one got a delivery to the plugin meanwhile.
const BACKFILL: &str = "
    INSERT INTO deliveries (event_id, plugin, source, prospect_id, status, origin, attempts,
                            next_attempt_at, created_at, updated_at)
    SELECT c.id, $1, c.source, c.prospect_id, 'pending', 'backfill', 0, $2, $2, $2
    FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS c(id, source, prospect_id, n)
    WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = c.id AND d.plugin = $1)
    ORDER BY c.n
    RETURNING id";

pub(super) async fn backfill(
    client: &mut Object,
    plugin: &str,
    event_types: Option<&[String]>,
    since: Timestamp,
    until: Timestamp,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<i64>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a backfill"))?;
    retention::hold_off(&tx).await?;
    // Two hosts backfilling the same plugin at once would each queue the same events: one waits.
    execute(
        &tx,
        "queue a backfill",
        "SELECT pg_advisory_xact_lock(hashtextextended('smartreach-hooks backfill ' || $1, 0))",
        &[&plugin],
    )
    .await?;
    let candidates = query(
        &tx,
        "queue a backfill",
        BACKFILL_CANDIDATES,
        &[&plugin, &event_types, &since, &until, &(limit as i64)],
    )
    .await?;
    let ids: Vec<&str> = candidates.iter().map(|row| row.get(0)).collect();
    let sources: Vec<&str> = candidates.iter().map(|row| row.get(1)).collect();
    let prospects: Vec<Option<&str>> = candidates.iter().map(|row| row.get(2)).collect();
    order::lock_prospects(&tx, sources.iter().copied().zip(prospects.iter().copied())).await?;
    let queued = query(
        &tx,
        "queue a backfill",
        BACKFILL,
        &[&plugin, &now, &ids, &sources, &prospects],
    )
    .await?;
    tx.commit().await.map_err(failed("committing a backfill"))?;
    Ok(queued.iter().map(|row| row.get(0)).collect())
}
