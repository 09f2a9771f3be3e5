//! The console's two static files, built into the binary: htmx and the style sheet. Nothing is
//! fetched from anywhere else.

use axum::response::IntoResponse;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

/// htmx, vendored: see the header of the file for its version, source and licence.
const HTMX: &str = include_str!("../../assets/htmx.min.js");

/// The console's styles.
const CSS: &str = include_str!("../../assets/console.css");

/// `GET /console/static/htmx.min.js`.
pub async fn htmx() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        HTMX,
    )
}

/// `GET /console/static/console.css`.
pub async fn css() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
}
