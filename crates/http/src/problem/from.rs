//! Library errors as problems: what a handler answers when the store or the parser says no.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use smartreach_models::ParseError;
use smartreach_store::StoreError;

use super::{Problem, ProblemKind};

impl From<StoreError> for Problem {
    /// 503: the store could not answer or commit. Logged here, since the answer hides the cause's
    /// details from no one but the log is where an operator looks.
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store failed; answered 503");
        Problem::new(
            ProblemKind::StoreUnavailable,
            format!("the store could not answer ({err}); try again later"),
        )
    }
}

impl From<ParseError> for Problem {
    /// 400: not JSON (`invalid-json`, with where), or JSON without the SmartReach shape
    /// (`invalid-payload`, with the JSON path and where).
    fn from(err: ParseError) -> Self {
        let detail = err.to_string();
        match err {
            ParseError::Shape {
                path, line, column, ..
            } => Problem::new(ProblemKind::InvalidPayload, detail)
                .with("path", path)
                .with("line", line)
                .with("column", column),
            ParseError::Syntax { line, column, .. }
            | ParseError::Truncated { line, column, .. } => {
                Problem::new(ProblemKind::InvalidJson, detail)
                    .with("line", line)
                    .with("column", column)
            }
        }
    }
}

impl From<QueryRejection> for Problem {
    /// 400 `invalid-query`, with axum's explanation of what did not parse.
    fn from(rejection: QueryRejection) -> Self {
        Problem::new(ProblemKind::InvalidQuery, rejection.body_text())
    }
}

impl From<JsonRejection> for Problem {
    /// 415 `unsupported-media-type` for a body not sent as JSON; else 400 `invalid-body`, with
    /// axum's explanation of what did not parse.
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Problem::new(
                ProblemKind::UnsupportedMediaType,
                "send the body as `Content-Type: application/json`",
            ),
            other => Problem::new(ProblemKind::InvalidBody, other.body_text()),
        }
    }
}
