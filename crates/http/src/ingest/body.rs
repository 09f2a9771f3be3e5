//! Reading the body, never more than `ingest.max_body_bytes` of it.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use smartreach_config::IngestConfig;

use crate::problem::{Problem, ProblemKind};

/// The whole body, or 413 as soon as it is known to be too large (from `Content-Length`, or while
/// reading a body that does not say), or 408 when it does not arrive within
/// `ingest.body_timeout` (a slow client must not hold a connection and its buffer for long).
pub(super) async fn read(
    body: Body,
    headers: &HeaderMap,
    ingest: &IngestConfig,
) -> Result<Bytes, Problem> {
    let limit = ingest.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    let timeout = ingest.body_timeout;
    let read = tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await;
    let Ok(read) = read else {
        return Err(Problem::new(
            ProblemKind::BodyTimeout,
            format!(
                "the body did not arrive within {timeout:?} (ingest.body_timeout); send it again"
            ),
        )
        .with("timeout_ms", timeout.as_millis() as u64));
    };
    match read {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Err(err) => Err(Problem::new(
            ProblemKind::UnreadableBody,
            format!("reading the body failed: {err}"),
        )),
    }
}

fn too_large(limit: usize) -> Problem {
    Problem::new(
        ProblemKind::BodyTooLarge,
        format!("the body is over the limit of {limit} bytes (ingest.max_body_bytes)"),
    )
    .with("limit", limit)
}
