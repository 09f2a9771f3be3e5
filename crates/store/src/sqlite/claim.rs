//! Claiming due deliveries under a lease.
//!
//! A delivery is claimable when it is pending and due, or running under an expired lease. Of the
//! open deliveries of one (plugin, source, prospect) only the oldest is claimable: that is what keeps a
//! prospect's events in order for each plugin. In PostgreSQL the candidate query takes
//! `FOR UPDATE OF d SKIP LOCKED`, so that hosts sharing the database claim disjoint rows.

use rusqlite::Connection;

use rusqlite::OptionalExtension;

use crate::model::{ClaimRequest, Claimed};
use crate::{ClaimRate, StoreError, Timestamp};

/// Whether an earlier delivery of the same (plugin, source, prospect) is still open: two sources
/// (two SmartReach accounts) may use the same prospect ids for different people. `INDEXED BY`: without
/// statistics SQLite may pick another index of the plugin's deliveries and walk every open one
/// before this one, for each candidate: quadratic in the backlog.
const HEAD_OF_PROSPECT: &str = "
      AND (d.prospect_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM deliveries earlier INDEXED BY deliveries_open_by_prospect
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
            WHERE c.plugin = ?1 AND (c.paused_at IS NOT NULL OR c.held_until > ?2))";

/// Pending and due, oldest first, walked in the order of the partial index `deliveries_due`, so
/// that the query stops after `?3` heads instead of sorting the whole backlog.
fn pending_candidates() -> String {
    format!(
        "SELECT d.id, d.plugin, d.attempts, e.id, e.event_type, e.prospect_id, w.metadata, e.item,
                d.next_attempt_at
         FROM deliveries d INDEXED BY deliveries_due JOIN events e ON e.id = d.event_id
              JOIN webhooks w ON w.id = e.webhook_id
         WHERE d.plugin = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2
         {HEAD_OF_PROSPECT}
         {NOT_HELD}
         ORDER BY d.next_attempt_at, d.id
         LIMIT ?3"
    )
}

/// Running under an expired lease (rare: a host that stopped mid-delivery). The run that never
/// finished counts as an attempt.
fn expired_candidates() -> String {
    format!(
        "SELECT d.id, d.plugin, d.attempts + 1, e.id, e.event_type, e.prospect_id, w.metadata,
                e.item, d.next_attempt_at
         FROM deliveries d INDEXED BY deliveries_running JOIN events e ON e.id = d.event_id
              JOIN webhooks w ON w.id = e.webhook_id
         WHERE d.status = 'running' AND d.lease_expires_at < ?2 AND d.plugin = ?1
         {HEAD_OF_PROSPECT}
         {NOT_HELD}
         ORDER BY d.next_attempt_at, d.id
         LIMIT ?3"
    )
}

pub(super) fn claim(
    conn: &Connection,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    requests: &[ClaimRequest],
) -> Result<Vec<Claimed>, StoreError> {
    let mut pending = conn
        .prepare_cached(&pending_candidates())
        .map_err(StoreError::query("find due deliveries"))?;
    let mut expired = conn
        .prepare_cached(&expired_candidates())
        .map_err(StoreError::query("find due deliveries"))?;
    let mut take = conn
        .prepare_cached(
            "UPDATE deliveries
             SET status = 'running', lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4,
                 attempts = ?5
             WHERE id = ?1",
        )
        .map_err(StoreError::query("claim a delivery"))?;
    let mut claimed = Vec::new();
    for request in requests.iter().filter(|request| request.limit > 0) {
        let budget = match &request.rate {
            Some(rate) => Some(rate.tokens(stored_budget(conn, &request.plugin)?, now)),
            None => None,
        };
        let limit = budget.map_or(request.limit, |tokens| {
            ClaimRate::allowed(tokens, request.limit)
        });
        if limit == 0 {
            continue;
        }
        let mut rows = Vec::new();
        for statement in [&mut expired, &mut pending] {
            let found = statement
                .query_map((&request.plugin, now, limit), |row| {
                    Ok((
                        (row.get::<_, i64>(8)?, row.get::<_, i64>(0)?),
                        Claimed {
                            delivery_id: row.get(0)?,
                            plugin: row.get(1)?,
                            attempts: row.get(2)?,
                            event_id: row.get(3)?,
                            event_type: row.get(4)?,
                            prospect_id: row.get(5)?,
                            metadata: row.get(6)?,
                            item: row.get(7)?,
                            lease_until,
                        },
                    ))
                })
                .map_err(StoreError::query("find due deliveries"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::query("find due deliveries"))?;
            rows.extend(found);
        }
        // Both lists are in (next_attempt_at, id) order; together, the oldest `limit`.
        rows.sort_by_key(|(order, _)| *order);
        rows.truncate(limit as usize);
        if let Some(tokens) = budget
            && !rows.is_empty()
        {
            spend_budget(conn, &request.plugin, tokens - rows.len() as f64, now)?;
        }
        for (_, delivery) in rows {
            take.execute((
                delivery.delivery_id,
                owner,
                lease_until,
                now,
                delivery.attempts,
            ))
            .map_err(StoreError::query("claim a delivery"))?;
            claimed.push(delivery);
        }
    }
    Ok(claimed)
}

/// The rate-limit budget of `plugin` as last stored: its tokens and when (`None`: never spent).
fn stored_budget(conn: &Connection, plugin: &str) -> Result<Option<(f64, Timestamp)>, StoreError> {
    conn.prepare_cached(
        "SELECT rate_tokens, rate_at FROM plugin_controls
         WHERE plugin = ?1 AND rate_tokens IS NOT NULL AND rate_at IS NOT NULL",
    )
    .and_then(|mut statement| {
        statement
            .query_row([plugin], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()
    })
    .map_err(StoreError::query("read a plugin's rate budget"))
}

/// Stores what is left of `plugin`'s budget after a claim at `now`. (Only after a claim that took
/// something: the refill is computed from the stored point, so an unspent bucket needs no write.)
/// The point is `now` even when the stored one is later: a clock stepped back then costs one
/// round without refill, not a stall until it catches up.
fn spend_budget(
    conn: &Connection,
    plugin: &str,
    tokens: f64,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO plugin_controls (plugin, rate_tokens, rate_at, updated_at)
         VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (plugin) DO UPDATE
         SET rate_tokens = ?2, rate_at = ?3,
             updated_at = ?3",
    )
    .and_then(|mut statement| statement.execute((plugin, tokens, now)))
    .map_err(StoreError::query("spend a plugin's rate budget"))?;
    Ok(())
}
