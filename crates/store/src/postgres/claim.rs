//! Claiming due deliveries under a lease, with many hosts claiming at once.
//!
//! As in SQLite, a delivery is claimable when it is pending and due, or running under an expired
//! lease, and only the oldest open delivery of a (plugin, source, prospect) is. The candidates are
//! locked with `FOR UPDATE SKIP LOCKED`: a row another host is claiming is passed over, not waited
//! for, so hosts claim disjoint deliveries without queueing behind each other. A candidate whose
//! row changed since the query's snapshot (another host claimed it and committed) is checked again
//! on its new version, and dropped when it no longer qualifies.
//!
//! Plugins without a rate limit are claimed together in one statement (`claim/single.rs`); a
//! plugin with one spends a budget shared by every host, locked for the claim's transaction
//! (below).

mod single;

use std::collections::HashMap;

use deadpool_postgres::{Object, Transaction};
use tokio_postgres::Row;

use super::{execute, failed, query};
use crate::model::{ClaimRequest, Claimed};
use crate::{ClaimRate, StoreError, Timestamp};

/// Whether an earlier delivery of the same (plugin, source, prospect) is still open. The order
/// of ids is the order of commits for one prospect (see `order.rs`).
const HEAD_OF_PROSPECT: &str = "
      AND (d.prospect_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM deliveries earlier
            WHERE earlier.plugin = d.plugin
              AND earlier.source = d.source
              AND earlier.prospect_id = d.prospect_id
              AND earlier.id < d.id
              AND earlier.status IN ('pending', 'running')))";

/// Whether the plugin may run: nothing of a plugin paused, or held back past now, is claimed,
/// neither pending nor under an expired lease (see `plugin_controls`).
const NOT_HELD: &str = "
      AND NOT EXISTS (
            SELECT 1 FROM plugin_controls c
            WHERE c.plugin = $1 AND (c.paused_at IS NOT NULL OR c.held_until > $2))";

/// Pending and due, oldest first, locked.
fn pending_candidates() -> String {
    format!(
        "SELECT d.id, d.next_attempt_at FROM deliveries d
         WHERE d.plugin = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
         {HEAD_OF_PROSPECT}
         {NOT_HELD}
         ORDER BY d.next_attempt_at, d.id
         LIMIT $3
         FOR UPDATE OF d SKIP LOCKED"
    )
}

/// Running under an expired lease (a host that died or stalled), oldest first, locked.
fn expired_candidates() -> String {
    format!(
        "SELECT d.id, d.next_attempt_at FROM deliveries d
         WHERE d.status = 'running' AND d.lease_expires_at < $2 AND d.plugin = $1
         {HEAD_OF_PROSPECT}
         {NOT_HELD}
         ORDER BY d.next_attempt_at, d.id
         LIMIT $3
         FOR UPDATE OF d SKIP LOCKED"
    )
}

/// What a claim returns of each delivery taken, read by [`taken`].
const RETURNED: &str = "d.id, d.plugin, d.attempts, e.id, e.event_type, e.prospect_id, w.metadata,
    e.item, d.next_attempt_at";

/// Takes the chosen deliveries, with their events. The run an expired lease never finished counts
/// as an attempt.
fn take() -> String {
    format!(
        "UPDATE deliveries d
         SET status = 'running', lease_owner = $2, lease_expires_at = $3, updated_at = $4,
             attempts = CASE WHEN d.status = 'running' THEN d.attempts + 1 ELSE d.attempts END
         FROM events e JOIN webhooks w ON w.id = e.webhook_id
         WHERE d.id = ANY($1) AND e.id = d.event_id
         RETURNING {RETURNED}"
    )
}

/// A delivery taken, with the position of its plugin's request and its due time: the order of
/// the claim's answer.
type Taken = (usize, i64, Claimed);

/// The deliveries of `rows` (columns [`RETURNED`]), each with its request's position in
/// `requests`.
fn taken(rows: &[Row], requests: &[ClaimRequest], lease_until: Timestamp) -> Vec<Taken> {
    rows.iter()
        .map(|row| {
            let delivery_id: i64 = row.get(0);
            let plugin: String = row.get(1);
            let request = requests
                .iter()
                .position(|request| request.plugin == plugin)
                .unwrap_or(usize::MAX);
            (
                request,
                row.get::<_, i64>(8),
                Claimed {
                    delivery_id,
                    plugin,
                    attempts: row.get::<_, i32>(2) as u32,
                    event_id: row.get(3),
                    event_type: row.get(4),
                    prospect_id: row.get(5),
                    metadata: row.get(6),
                    item: row.get(7),
                    lease_until,
                },
            )
        })
        .collect()
}

/// Stores what is left of a plugin's rate budget after a claim (its row is locked by
/// [`lock_budget`]).
const SPEND_BUDGET: &str = "
    UPDATE plugin_controls
    SET rate_tokens = $2, rate_at = GREATEST(COALESCE(rate_at, $3), $3), updated_at = $3
    WHERE plugin = $1";

/// Locks the controls row of `plugin` until the claim's transaction ends, so that claimers of
/// every host spend its rate budget one after the other, each seeing what the last one left;
/// returns the budget as stored (`None`: never spent). Creates the row when it is missing.
async fn lock_budget(
    tx: &Transaction<'_>,
    plugin: &str,
) -> Result<Option<(f64, Timestamp)>, StoreError> {
    const LOCK: &str =
        "SELECT rate_tokens, rate_at FROM plugin_controls WHERE plugin = $1 FOR UPDATE";
    let mut rows = query(tx, "lock a plugin's rate budget", LOCK, &[&plugin]).await?;
    if rows.is_empty() {
        execute(
            tx,
            "create a plugin's rate budget",
            "INSERT INTO plugin_controls (plugin, updated_at) VALUES ($1, 0)
             ON CONFLICT (plugin) DO NOTHING",
            &[&plugin],
        )
        .await?;
        rows = query(tx, "lock a plugin's rate budget", LOCK, &[&plugin]).await?;
    }
    Ok(rows.first().and_then(|row| {
        let tokens: Option<f64> = row.get(0);
        let at: Option<i64> = row.get(1);
        tokens.zip(at)
    }))
}

pub(super) async fn claim(
    client: &mut Object,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    requests: &[ClaimRequest],
) -> Result<Vec<Claimed>, StoreError> {
    let (rated, free): (Vec<&ClaimRequest>, Vec<&ClaimRequest>) = requests
        .iter()
        .filter(|request| request.limit > 0)
        .partition(|request| request.rate.is_some());
    let mut claimed = Vec::new();
    if !rated.is_empty() {
        claimed = budgeted(client, owner, now, lease_until, requests, &rated).await?;
    }
    if !free.is_empty() {
        claimed.extend(single::claim(client, owner, now, lease_until, requests, &free).await?);
    }
    // In the order the SQLite store gives: by request, then longest due first.
    claimed.sort_by_key(|(request, due, claimed)| (*request, *due, claimed.delivery_id));
    Ok(claimed.into_iter().map(|(_, _, claimed)| claimed).collect())
}

/// Claims for `rated` (requests with a limit and a rate) in one transaction that holds their
/// budgets; positions are in `requests`.
async fn budgeted(
    client: &mut Object,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    requests: &[ClaimRequest],
    rated: &[&ClaimRequest],
) -> Result<Vec<Taken>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(failed("starting a claim"))?;
    let (pending_sql, expired_sql) = (pending_candidates(), expired_candidates());
    let mut chosen: Vec<i64> = Vec::new();
    // The budgets first, locked in the order of their names: claims of several hosts, whose
    // requests come in rotating orders, would otherwise lock them crosswise and deadlock.
    let mut limited: Vec<(&str, ClaimRate)> = rated
        .iter()
        .filter_map(|request| Some((request.plugin.as_str(), request.rate?)))
        .collect();
    limited.sort_by_key(|(plugin, _)| *plugin);
    let mut budgets: HashMap<&str, f64> = HashMap::new();
    for (plugin, rate) in limited {
        let stored = lock_budget(&tx, plugin).await?;
        budgets.insert(plugin, rate.tokens(stored, now));
    }
    for request in rated {
        let budget = budgets.get(request.plugin.as_str()).copied();
        let allowed = budget.map_or(request.limit, |tokens| {
            ClaimRate::allowed(tokens, request.limit)
        });
        if allowed == 0 {
            continue;
        }
        let limit = i64::from(allowed);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&request.plugin, &now, &limit];
        // Both queries at once on the one connection (pipelined).
        let (expired, pending) = tokio::try_join!(
            query(
                &tx,
                "find deliveries of expired leases",
                &expired_sql,
                &params
            ),
            query(&tx, "find due deliveries", &pending_sql, &params),
        )?;
        let mut rows: Vec<(i64, i64)> = expired
            .iter()
            .chain(&pending)
            .map(|row| (row.get::<_, i64>(1), row.get::<_, i64>(0)))
            .collect();
        // Each list is in (due, id) order; together, the oldest `limit`. The rest stay locked
        // only until this transaction ends.
        rows.sort_unstable();
        rows.truncate(allowed as usize);
        if let Some(tokens) = budget
            && !rows.is_empty()
        {
            let left = tokens - rows.len() as f64;
            execute(
                &tx,
                "spend a plugin's rate budget",
                SPEND_BUDGET,
                &[&request.plugin, &left, &now],
            )
            .await?;
        }
        chosen.extend(rows.into_iter().map(|(_, id)| id));
    }
    if chosen.is_empty() {
        tx.commit().await.map_err(failed("committing a claim"))?;
        return Ok(Vec::new());
    }
    let rows = query(
        &tx,
        "claim deliveries",
        &take(),
        &[&chosen, &owner, &lease_until, &now],
    )
    .await?;
    tx.commit().await.map_err(failed("committing a claim"))?;
    Ok(taken(&rows, requests, lease_until))
}
