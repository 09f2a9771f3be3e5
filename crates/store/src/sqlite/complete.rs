//! Moving a claimed delivery on: finishing an attempt, handing claims back unrun, and releasing
//! every claim of an owner.

use rusqlite::Connection;

use crate::model::AttemptRecord;
use crate::{StoreError, Timestamp};

pub(super) fn complete(
    conn: &Connection,
    owner: &str,
    attempt: &AttemptRecord,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let (status, next_at, error) = attempt.next.row(now);
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries
             SET status = ?3, next_attempt_at = ?4, attempts = attempts + 1,
                 last_error = COALESCE(?5, last_error), lease_owner = NULL,
                 lease_expires_at = NULL, updated_at = ?6
             WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
        )
        .and_then(|mut statement| {
            statement.execute((attempt.delivery_id, owner, status, next_at, error, now))
        })
        .map_err(StoreError::query("finish a delivery attempt"))?;
    if changed == 0 {
        return Ok(false);
    }
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
            attempt.outcome.as_str(),
            &attempt.detail,
            &attempt.logs,
            &attempt.requests,
        ))
    })
    .map_err(StoreError::query("record a delivery attempt"))?;
    Ok(true)
}

pub(super) fn requeue(
    conn: &Connection,
    owner: &str,
    delivery_ids: &[i64],
    at: Timestamp,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let mut statement = conn
        .prepare_cached(
            "UPDATE deliveries
             SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                 next_attempt_at = ?3, updated_at = ?4
             WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
        )
        .map_err(StoreError::query("requeue claimed deliveries"))?;
    let mut requeued = 0;
    for id in delivery_ids {
        requeued += statement
            .execute((id, owner, at, now))
            .map_err(StoreError::query("requeue claimed deliveries"))? as u64;
    }
    Ok(requeued)
}

pub(super) fn release(conn: &Connection, owner: &str, now: Timestamp) -> Result<u64, StoreError> {
    let released = conn
        .execute(
            "UPDATE deliveries
             SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
                 next_attempt_at = ?2, updated_at = ?2
             WHERE status = 'running' AND lease_owner = ?1",
            (owner, now),
        )
        .map_err(StoreError::query("release claimed deliveries"))?;
    Ok(released as u64)
}
