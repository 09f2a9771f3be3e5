//! The problem answers of every operation, declared from the problem kinds: one response per
//! status, `application/problem+json`, whose `type` may only be one of the kinds listed for the
//! operation. A kind the server answers but the list omits fails the conformance run (the
//! `type` is outside the enum); a kind listed that does not exist does not compile.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::problem::CONTENT_TYPE_PROBLEM;

/// A problem kind as the document declares it.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    status: u16,
    slug: &'static str,
    when: &'static str,
}

macro_rules! kinds {
    ($($name:ident = $status:literal, $slug:literal, $when:literal;)*) => {
        $(const $name: Kind = Kind { status: $status, slug: $slug, when: $when };)*
    };
}

kinds! {
    UNKNOWN_TOKEN = 404, "unknown-token", "no source is configured with the token in the URL";
    UNSUPPORTED_MEDIA_TYPE = 415, "unsupported-media-type", "`Content-Type` is not JSON";
    BODY_TOO_LARGE = 413, "body-too-large", "the body is over `ingest.max_body_bytes`";
    TOO_MANY_ITEMS = 413, "too-many-items", "more than `ingest.max_items` data items";
    BODY_TIMEOUT = 408, "body-timeout", "the body took longer than `ingest.body_timeout`";
    UNREADABLE_BODY = 400, "unreadable-body", "the connection failed while the body was read";
    INVALID_SIGNATURE = 401, "invalid-signature", "a required signature is missing or wrong";
    INVALID_JSON = 400, "invalid-json", "the body is not valid JSON";
    INVALID_PAYLOAD = 400, "invalid-payload", "the body is JSON but not a SmartReach webhook";
    ADMIN_DISABLED = 404, "admin-disabled", "`admin.token` is not set, so the admin API is off";
    UNAUTHORIZED = 401, "unauthorized", "no `Authorization: Bearer` token, or not the configured one";
    INVALID_QUERY = 400, "invalid-query", "a query parameter is unknown, malformed or out of its bounds";
    INVALID_PATH = 400, "invalid-path", "a path parameter is malformed";
    INVALID_BODY = 400, "invalid-body", "the body is not the JSON object the route accepts";
    EVENT_NOT_FOUND = 404, "event-not-found", "no stored event has this id";
    DELIVERY_NOT_FOUND = 404, "delivery-not-found", "no delivery has this id";
    PLUGIN_NOT_LOADED = 404, "plugin-not-loaded", "no plugin of this name is loaded";
    NOT_SUBSCRIBED = 409, "not-subscribed", "the plugin does not subscribe to an event type asked for";
    DELIVERY_OPEN = 409, "delivery-open", "the delivery is still pending or running";
    DELIVERY_REPLAYED = 409, "delivery-replayed", "the dead letter was replayed before";
    STORE_UNAVAILABLE = 503, "store-unavailable", "the store could not commit or answer";
    NOT_FOUND = 404, "not-found", "an empty path parameter leaves no route";
}

/// What every admin route answers: the token check and the store.
const ADMIN: [Kind; 3] = [UNAUTHORIZED, ADMIN_DISABLED, STORE_UNAVAILABLE];

/// The problem kinds `operation` answers, besides [`ADMIN`] for an admin route (`admin`).
fn answers(operation: &str) -> (bool, &'static [Kind]) {
    match operation {
        "ingest" => (
            false,
            &[
                UNKNOWN_TOKEN,
                UNSUPPORTED_MEDIA_TYPE,
                BODY_TOO_LARGE,
                TOO_MANY_ITEMS,
                BODY_TIMEOUT,
                UNREADABLE_BODY,
                INVALID_SIGNATURE,
                INVALID_JSON,
                INVALID_PAYLOAD,
                STORE_UNAVAILABLE,
                NOT_FOUND,
            ],
        ),
        "list_events" | "list_deliveries" => (true, &[INVALID_QUERY]),
        "show_event" => (true, &[EVENT_NOT_FOUND, NOT_FOUND]),
        "list_plugins" => (true, &[]),
        "replay_delivery" => (
            true,
            &[
                INVALID_PATH,
                DELIVERY_NOT_FOUND,
                DELIVERY_OPEN,
                DELIVERY_REPLAYED,
                NOT_FOUND,
            ],
        ),
        "replay_dead" => (true, &[INVALID_PATH, NOT_FOUND]),
        "backfill" => (
            true,
            &[
                INVALID_PATH,
                INVALID_BODY,
                UNSUPPORTED_MEDIA_TYPE,
                PLUGIN_NOT_LOADED,
                NOT_SUBSCRIBED,
                NOT_FOUND,
            ],
        ),
        other => panic!("operation `{other}` has no list of the problems it answers"),
    }
}

/// Adds the problem responses of every operation of `document`.
pub fn declare(document: &mut Value) {
    let operations = document["paths"]
        .as_object_mut()
        .expect("the document has paths")
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|methods| methods.values_mut());
    for operation in operations {
        let id = operation["operationId"]
            .as_str()
            .expect("every operation has an operationId")
            .to_owned();
        let (admin, own) = answers(&id);
        let mut by_status: BTreeMap<u16, Vec<Kind>> = BTreeMap::new();
        let common: &[Kind] = if admin { &ADMIN } else { &[] };
        for kind in common.iter().chain(own) {
            by_status.entry(kind.status).or_default().push(*kind);
        }
        let responses = operation["responses"]
            .as_object_mut()
            .expect("every operation has responses");
        for (status, kinds) in by_status {
            let previous = responses.insert(status.to_string(), response(status, &kinds));
            assert!(
                previous.is_none(),
                "{id}: status {status} is declared twice"
            );
        }
    }
}

/// The response for `status` answered with one of `kinds`.
fn response(status: u16, kinds: &[Kind]) -> Value {
    let description = kinds
        .iter()
        .map(|kind| format!("`{}`: {}", kind.slug, kind.when))
        .collect::<Vec<_>>()
        .join("; ");
    let types: Vec<String> = kinds
        .iter()
        .map(|kind| format!("/problems/{}", kind.slug))
        .collect();
    let mut response = json!({
        "description": description,
        "content": {
            CONTENT_TYPE_PROBLEM: {
                "schema": {
                    "allOf": [
                        { "$ref": "#/components/schemas/ProblemDoc" },
                        {
                            "type": "object",
                            "properties": {
                                "type": { "enum": types },
                                "status": { "const": status },
                            },
                        },
                    ],
                },
            },
        },
    });
    if kinds.iter().all(|kind| kind.slug == UNAUTHORIZED.slug) {
        response["headers"] = json!({
            "WWW-Authenticate": {
                "description": "`Bearer`: the scheme the admin API takes",
                "required": true,
                "schema": { "type": "string", "const": "Bearer" },
            },
        });
    }
    response
}
