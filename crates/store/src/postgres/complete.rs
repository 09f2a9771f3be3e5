//! Moving a claimed delivery on: finishing an attempt, handing claims back unrun, and releasing
//! every claim of an owner. Each is one statement, so one transaction; the row lock it takes
//! orders it against a host taking the delivery over, and the owner check is made on the row as
//! that host left it.

use deadpool_postgres::Object;

use super::execute;
use crate::model::AttemptRecord;
use crate::{StoreError, Timestamp};

/// Moves the delivery on and records the attempt under its new count, only while `$2` holds it.
const COMPLETE: &str = "
    WITH moved AS (
        UPDATE deliveries
        SET status = $3, next_attempt_at = $4, attempts = attempts + 1,
            last_error = COALESCE($5, last_error), lease_owner = NULL, lease_expires_at = NULL,
            updated_at = $6
        WHERE id = $1 AND status = 'running' AND lease_owner = $2
        RETURNING id, attempts)
    INSERT INTO attempts (delivery_id, attempt, plugin_hash, started_at, duration_us, outcome,
                          detail, logs, requests)
    SELECT id, attempts, $7, $8, $9, $10, $11, $12, $13 FROM moved";

pub(super) async fn complete(
    client: &Object,
    owner: &str,
    attempt: &AttemptRecord,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let (status, next_at, error) = attempt.next.row(now);
    let recorded = execute(
        client,
        "finish a delivery attempt",
        COMPLETE,
        &[
            &attempt.delivery_id,
            &owner,
            &status,
            &next_at,
            &error,
            &now,
            &attempt.plugin_hash,
            &attempt.started_at,
            &attempt.duration_us,
            &attempt.outcome.as_str(),
            &attempt.detail,
            &attempt.logs,
            &attempt.requests,
        ],
    )
    .await?;
    Ok(recorded == 1)
}

pub(super) async fn requeue(
    client: &Object,
    owner: &str,
    delivery_ids: &[i64],
    at: Timestamp,
    now: Timestamp,
) -> Result<u64, StoreError> {
    execute(
        client,
        "requeue claimed deliveries",
        "UPDATE deliveries
         SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
             next_attempt_at = $3, updated_at = $4
         WHERE id = ANY($1) AND status = 'running' AND lease_owner = $2",
        &[&delivery_ids, &owner, &at, &now],
    )
    .await
}

pub(super) async fn release(
    client: &Object,
    owner: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    execute(
        client,
        "release claimed deliveries",
        "UPDATE deliveries
         SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
             next_attempt_at = $2, updated_at = $2
         WHERE status = 'running' AND lease_owner = $1",
        &[&owner, &now],
    )
    .await
}
