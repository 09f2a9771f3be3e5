//! Reading the body, never more than `ingest.max_body_bytes` of it.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::problem::Problem;

/// The longest a client may take to send a body: a slow client must not hold a connection and
/// its buffer, or a shutdown, for long.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The whole body, or 413 as soon as it is known to be too large (from `Content-Length`, or while
/// reading a body that does not say).
pub(super) async fn read(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, Problem> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    let read = tokio::time::timeout(READ_TIMEOUT, Limited::new(body, limit).collect()).await;
    let Ok(read) = read else {
        return Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "body-timeout",
            "Webhook body too slow",
            format!(
                "the body did not arrive within {} s; send it again",
                READ_TIMEOUT.as_secs()
            ),
        ));
    };
    match read {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(limit)),
        Err(err) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "unreadable-body",
            "Webhook body could not be read",
            format!("reading the body failed: {err}"),
        )),
    }
}

fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        "Webhook body too large",
        format!("the body is over the limit of {limit} bytes (ingest.max_body_bytes)"),
    )
    .with("limit", limit)
}
