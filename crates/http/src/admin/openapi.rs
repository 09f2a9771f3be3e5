//! The admin API's OpenAPI document, generated from the handlers and types above (utoipa),
//! served at `/api/v1/openapi.json` and committed as `schema/openapi.json`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{deliveries, events, plugins, replay};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "smartreach-hooks admin API",
        description = "What happened to every SmartReach event the host received, and replays and backfills. Every route needs `Authorization: Bearer <admin.token>`. Times are Unix milliseconds. Errors are RFC 9457 problem documents.",
    ),
    paths(
        events::list, events::show, deliveries::list, plugins::list,
        replay::one, replay::dead, replay::backfill,
    ),
    modifiers(&AdminToken),
    tags(
        (name = "events", description = "Stored events"),
        (name = "deliveries", description = "Deliveries of events to plugins"),
        (name = "plugins", description = "Loaded plugins and their activity"),
        (name = "replay", description = "Replays and backfills"),
    )
)]
pub struct AdminApi;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty JSON with a final newline, as committed.
pub fn document() -> String {
    let mut doc = AdminApi::openapi();
    // The version comes from the crate, so that the committed file changes only with the API.
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut json = doc
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}

/// `GET /api/v1/openapi.json`: the document.
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::document(),
            "schema/openapi.json is out of date: run `cargo xtask codegen` and commit the result"
        );
    }
}
