//! The claim of the plugins without a rate limit: one statement for all of them, one round trip
//! and no transaction of its own.
//!
//! For each requested plugin not paused or held, it locks the oldest due pending deliveries and
//! the oldest ones under an expired lease that head their (plugin, source, prospect) — each list
//! at most the plugin's limit, with `FOR UPDATE SKIP LOCKED` as in the budgeted path — keeps the
//! oldest `limit` of the two together, and takes them. A candidate another host claimed and
//! committed meanwhile is checked again on its new version by the lock and dropped when it no
//! longer qualifies; the update then changes the version it locked.

use deadpool_postgres::Object;

use super::{HEAD_OF_PROSPECT, RETURNED, Taken, taken};
use crate::model::ClaimRequest;
use crate::postgres::query;
use crate::{StoreError, Timestamp};

/// `$1` plugins, `$2` their limits, `$3` now, `$4` the owner, `$5` the lease's end.
fn sql() -> String {
    format!(
        "WITH requested AS (
            SELECT r.plugin, r.lim, r.ord
            FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS r(plugin, lim, ord)
            WHERE NOT EXISTS (
                SELECT 1 FROM plugin_controls c
                WHERE c.plugin = r.plugin AND (c.paused_at IS NOT NULL OR c.held_until > $3))
        ),
        open AS (
            SELECT r.ord, r.lim, o.id, o.next_attempt_at FROM requested r
            CROSS JOIN LATERAL (
                SELECT d.id, d.next_attempt_at FROM deliveries d
                WHERE d.plugin = r.plugin AND d.status = 'pending' AND d.next_attempt_at <= $3
                {HEAD_OF_PROSPECT}
                ORDER BY d.next_attempt_at, d.id
                LIMIT r.lim
                FOR UPDATE OF d SKIP LOCKED) o
            UNION ALL
            SELECT r.ord, r.lim, o.id, o.next_attempt_at FROM requested r
            CROSS JOIN LATERAL (
                SELECT d.id, d.next_attempt_at FROM deliveries d
                WHERE d.status = 'running' AND d.lease_expires_at < $3 AND d.plugin = r.plugin
                {HEAD_OF_PROSPECT}
                ORDER BY d.next_attempt_at, d.id
                LIMIT r.lim
                FOR UPDATE OF d SKIP LOCKED) o
        ),
        chosen AS MATERIALIZED (
            SELECT ranked.id FROM (
                SELECT open.id, open.lim,
                       row_number() OVER (PARTITION BY open.ord
                                          ORDER BY open.next_attempt_at, open.id) AS n
                FROM open) ranked
            WHERE ranked.n <= ranked.lim
        )
        UPDATE deliveries d
        SET status = 'running', lease_owner = $4, lease_expires_at = $5, updated_at = $3,
            attempts = CASE WHEN d.status = 'running' THEN d.attempts + 1 ELSE d.attempts END
        FROM chosen, events e JOIN webhooks w ON w.id = e.webhook_id
        WHERE d.id = chosen.id AND e.id = d.event_id
        RETURNING {RETURNED}"
    )
}

/// Claims for `free` (requests with a limit and no rate) in one statement; positions are in
/// `requests`.
pub(super) async fn claim(
    client: &Object,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    requests: &[ClaimRequest],
    free: &[&ClaimRequest],
) -> Result<Vec<Taken>, StoreError> {
    let plugins: Vec<&str> = free.iter().map(|request| request.plugin.as_str()).collect();
    let limits: Vec<i64> = free
        .iter()
        .map(|request| i64::from(request.limit))
        .collect();
    let rows = query(
        client,
        "claim deliveries in one statement",
        &sql(),
        &[&plugins, &limits, &now, &owner, &lease_until],
    )
    .await?;
    Ok(taken(&rows, requests, lease_until))
}
