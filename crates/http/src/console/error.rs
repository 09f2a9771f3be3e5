//! Errors as console pages: the admin API's problems (the same kinds, from the same actions) and
//! the console's own refusals, shown as HTML with their status.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use maud::html;

use super::layout::{Section, page};
use super::session::Session;
use crate::problem::Problem;

/// `problem` as a page with its status: its title and what to do.
pub fn problem_page(problem: &Problem, session: Option<&Session>) -> Response {
    error_page(problem.status(), problem.title(), problem.detail(), session)
}

/// A page that says what went wrong (`title`, `detail`), with `status`.
pub fn error_page(
    status: StatusCode,
    title: &str,
    detail: &str,
    session: Option<&Session>,
) -> Response {
    let content = html! {
        p.error role="alert" { (detail) }
        p { a href="/console" { "Back to the overview" } }
    };
    (
        status,
        Html(page(title, Section::None, session, content).into_string()),
    )
        .into_response()
}
