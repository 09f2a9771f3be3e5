//! The HTTP API's OpenAPI document: the admin API and the ingest route, generated from the
//! handlers' annotations and types (utoipa), then completed with what the annotations cannot say
//! (the webhook's JSON Schema as the ingest body). Served at `/api/v1/openapi.json` (without a
//! token: it describes routes, never data) and committed as `schema/openapi.json`.

mod links;
mod problems;
mod webhook;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{deliveries, events, pause, plugins, replay};
use crate::ingest;

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "smartreach-hooks HTTP API",
        description = "The ingest route SmartReach posts webhooks to, and the admin API: what happened to every event the host received, replays and backfills. Every admin route needs `Authorization: Bearer <admin.token>` (and answers 404 `admin-disabled` while no token is configured); the ingest route is authenticated by the token in its URL; this document is public. The lists refuse query parameters they do not declare (400 `invalid-query`). Times are Unix milliseconds. Errors are RFC 9457 problem documents (`application/problem+json`) whose `type` is `/problems/{slug}`.",
    ),
    paths(
        ingest::receive,
        events::list, events::show, deliveries::list, plugins::list,
        replay::one, replay::dead, replay::backfill, pause::pause, pause::resume,
    ),
    components(schemas(crate::problem::ProblemDoc)),
    modifiers(&AdminToken),
    tags(
        (name = "ingest", description = "Webhooks from SmartReach; the URL's token names the source"),
        (name = "events", description = "Stored events"),
        (name = "deliveries", description = "Deliveries of events to plugins"),
        (name = "plugins", description = "Loaded plugins and their activity; pausing and resuming them"),
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

/// The document as pretty JSON (members sorted by name) with a final newline, as committed.
pub fn document() -> String {
    let mut json = serde_json::to_string_pretty(&value()).expect("the OpenAPI document serialises");
    json.push('\n');
    json
}

/// The document as JSON.
pub fn value() -> serde_json::Value {
    let mut doc = AdminApi::openapi();
    // The version comes from the crate, so that the committed file changes only with the API.
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    links::fix_member_names(&mut value);
    problems::declare(&mut value);
    let payload = webhook::embed(&mut value);
    value["paths"]["/hooks/smartreach/{token}"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"] = serde_json::json!({ "$ref": payload });
    value
}

/// `GET /api/v1/openapi.json`: the document.
pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::{ids, query, unix_ms};

    /// The schema of parameter `name` of `method path`.
    fn parameter(document: &Value, path: &str, method: &str, name: &str) -> Value {
        document["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
            .map(|parameter| parameter["schema"].clone())
            .unwrap_or_else(|| panic!("{method} {path} declares no parameter {name}"))
    }

    #[test]
    fn the_declared_patterns_and_bounds_are_the_ones_the_server_checks() {
        let document = super::value();
        let events = "/api/v1/events";
        let patterns = [
            (events, "get", "cursor", ids::EVENT_ID_PATTERN),
            ("/api/v1/events/{id}", "get", "id", ids::EVENT_ID_PATTERN),
            (
                "/api/v1/deliveries",
                "get",
                "cursor",
                ids::DELIVERY_CURSOR_PATTERN,
            ),
            (
                "/api/v1/plugins/{name}/replay-dead",
                "post",
                "name",
                ids::PLUGIN_NAME_PATTERN,
            ),
            (
                "/api/v1/plugins/{name}/backfill",
                "post",
                "name",
                ids::PLUGIN_NAME_PATTERN,
            ),
        ];
        for (path, method, name, pattern) in patterns {
            assert_eq!(
                parameter(&document, path, method, name)["pattern"],
                pattern,
                "{path} {name}"
            );
        }
        for path in [events, "/api/v1/deliveries"] {
            let limit = parameter(&document, path, "get", "limit");
            assert_eq!(
                (limit["minimum"].as_u64(), limit["maximum"].as_u64()),
                (Some(1), Some(query::MAX_LIMIT.into()))
            );
        }
        let backfill = &document["components"]["schemas"]["BackfillRequest"];
        assert_eq!(backfill["additionalProperties"], false);
        for time in [
            parameter(&document, events, "get", "since"),
            parameter(&document, events, "get", "until"),
            backfill["properties"]["since"].clone(),
            backfill["properties"]["until"].clone(),
        ] {
            assert_eq!(
                (time["minimum"].as_i64(), time["maximum"].as_i64()),
                (Some(0), Some(unix_ms::MAX)),
                "{time}"
            );
        }
    }

    #[test]
    fn every_error_is_a_problem_document_and_every_link_names_its_target() {
        let document = super::value();
        for (path, methods) in document["paths"].as_object().unwrap() {
            for (method, operation) in methods.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    let content = response["content"].as_object().unwrap();
                    let media_types: Vec<&String> = content.keys().collect();
                    let expected = if status.starts_with('2') {
                        "application/json"
                    } else {
                        crate::problem::CONTENT_TYPE_PROBLEM
                    };
                    assert_eq!(media_types, [expected], "{method} {path} {status}");
                    for link in response["links"]
                        .as_object()
                        .into_iter()
                        .flat_map(|links| links.values())
                    {
                        assert!(
                            link["operationId"].is_string(),
                            "{method} {path} {status}: {link}"
                        );
                    }
                }
                let needs_token = operation["security"].is_array();
                assert_eq!(needs_token, path.starts_with("/api/v1/"), "{method} {path}");
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} declares its 401"
                );
            }
        }
    }

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
