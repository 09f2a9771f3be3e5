//! Query strings and paging shared by the list endpoints.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;

use crate::problem::{Problem, ProblemKind};

/// Items per page when the request does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items per page.
pub const MAX_LIMIT: u32 = 500;

/// The query string, or a 400 problem naming what is wrong with it.
pub fn parsed<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Problem> {
    query.map(|Query(query)| query).map_err(Problem::from)
}

/// `limit` within 1..=MAX_LIMIT.
pub fn limit(requested: Option<u32>) -> Result<u32, Problem> {
    match requested.unwrap_or(DEFAULT_LIMIT) {
        limit @ 1..=MAX_LIMIT => Ok(limit),
        other => Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!("limit must be between 1 and {MAX_LIMIT}, got {other}"),
        )),
    }
}

/// A `cursor` only when it has the shape of the `next_cursor`s this list gives out (`is_cursor`);
/// `shape` says what they look like (`a delivery id, ^[0-9]{1,19}$`) in the 400 problem.
pub fn known_cursor(
    cursor: Option<String>,
    is_cursor: fn(&str) -> bool,
    shape: &str,
) -> Result<Option<String>, Problem> {
    match cursor {
        Some(cursor) if !is_cursor(&cursor) => Err(Problem::new(
            ProblemKind::InvalidQuery,
            format!("cursor `{cursor}` is not a next_cursor this API gave out ({shape})"),
        )),
        cursor => Ok(cursor),
    }
}
