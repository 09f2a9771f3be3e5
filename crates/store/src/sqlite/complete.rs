//! Finishing an attempt, and releasing claims.

use rusqlite::Connection;

use crate::StoreError;
use crate::model::{AttemptRecord, Next};

pub(super) fn complete(
    conn: &Connection,
    owner: &str,
    attempt: &AttemptRecord,
) -> Result<bool, StoreError> {
    let now = crate::now_ms();
    let (status, next_at, error, counts) = match &attempt.next {
        Next::Done => ("done", now, None, true),
        Next::Skipped => ("skipped", now, None, true),
        Next::Retry { at, error } => ("pending", *at, Some(error.as_str()), true),
        Next::Dead { error } => ("dead", now, Some(error.as_str()), true),
        Next::Requeue { at } => ("pending", *at, None, false),
    };
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries
             SET status = ?3, next_attempt_at = ?4, attempts = attempts + ?5,
                 last_error = COALESCE(?6, last_error), lease_owner = NULL,
                 lease_expires_at = NULL, updated_at = ?7
             WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
        )
        .and_then(|mut statement| {
            statement.execute((
                attempt.delivery_id,
                owner,
                status,
                next_at,
                i64::from(counts),
                error,
                now,
            ))
        })
        .map_err(StoreError::query("finish a delivery attempt"))?;
    if changed == 0 {
        return Ok(false);
    }
    if counts {
        conn.prepare_cached(
            "INSERT INTO attempts (delivery_id, attempt, plugin_hash, started_at, duration_us,
                                   outcome, detail, logs, requests)
             SELECT ?1, attempts, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM deliveries WHERE id = ?1",
        )
        .and_then(|mut statement| {
            statement.execute((
                attempt.delivery_id,
                &attempt.plugin_hash,
                attempt.started_at,
                attempt.duration_us,
                attempt.outcome,
                &attempt.detail,
                &attempt.logs,
                &attempt.requests,
            ))
        })
        .map_err(StoreError::query("record a delivery attempt"))?;
    }
    Ok(true)
}

pub(super) fn release(conn: &Connection, owner: &str) -> Result<u64, StoreError> {
    let released = conn
        .execute(
            "UPDATE deliveries
             SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                 next_attempt_at = ?2, updated_at = ?2
             WHERE status = 'running' AND lease_owner = ?1",
            (owner, crate::now_ms()),
        )
        .map_err(StoreError::query("release claimed deliveries"))?;
    Ok(released as u64)
}
