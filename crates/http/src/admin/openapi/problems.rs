//! The problem answers of every operation, declared from the problem catalogue
//! ([`ProblemKind`]): one response per status, `application/problem+json`, whose `type` may only
//! be one of the kinds listed for the operation and whose description says when each happens. A
//! kind the server answers but the list omits fails the conformance run (its `type` is outside
//! the enum); a test fails when a kind of the catalogue is listed for no operation.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::problem::CONTENT_TYPE_PROBLEM;
use crate::problem::ProblemKind::{self, *};

/// What every admin route answers: the token check and the store.
const ADMIN: [ProblemKind; 3] = [Unauthorized, AdminDisabled, StoreUnavailable];

/// The problem kinds `operation` answers, besides [`ADMIN`] for an admin route (`admin`).
fn answers(operation: &str) -> (bool, &'static [ProblemKind]) {
    match operation {
        "ingest" => (
            false,
            &[
                UnknownToken,
                UnsupportedMediaType,
                BodyTooLarge,
                TooManyItems,
                BodyTimeout,
                UnreadableBody,
                InvalidSignature,
                InvalidJson,
                InvalidPayload,
                StoreUnavailable,
                NotFound,
            ],
        ),
        "list_events" | "list_deliveries" => (true, &[InvalidQuery]),
        "show_event" => (true, &[EventNotFound, NotFound]),
        "list_plugins" => (true, &[]),
        "replay_delivery" => (
            true,
            &[
                InvalidPath,
                DeliveryNotFound,
                DeliveryOpen,
                DeliveryReplayed,
                NotFound,
            ],
        ),
        "replay_dead" | "pause_plugin" | "resume_plugin" => (true, &[InvalidPath, NotFound]),
        "backfill" => (
            true,
            &[
                InvalidPath,
                InvalidBody,
                UnsupportedMediaType,
                PluginNotLoaded,
                NotSubscribed,
                NotFound,
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
        let mut by_status: BTreeMap<u16, Vec<ProblemKind>> = BTreeMap::new();
        let common: &[ProblemKind] = if admin { &ADMIN } else { &[] };
        for kind in common.iter().chain(own) {
            by_status
                .entry(kind.status().as_u16())
                .or_default()
                .push(*kind);
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
fn response(status: u16, kinds: &[ProblemKind]) -> Value {
    let description = kinds
        .iter()
        .map(|kind| format!("`{}`: {}", kind.slug(), kind.when()))
        .collect::<Vec<_>>()
        .join("; ");
    let types: Vec<String> = kinds.iter().map(|kind| kind.type_uri()).collect();
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
    if kinds == [Unauthorized] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Family;

    /// Every operation of the document.
    const OPERATIONS: [&str; 8] = [
        "ingest",
        "list_events",
        "show_event",
        "list_deliveries",
        "list_plugins",
        "replay_delivery",
        "replay_dead",
        "backfill",
    ];

    #[test]
    fn every_kind_a_route_can_answer_is_declared_for_some_operation() {
        let declared: Vec<ProblemKind> = OPERATIONS
            .iter()
            .flat_map(|operation| {
                let (admin, own) = answers(operation);
                let common: &[ProblemKind] = if admin { &ADMIN } else { &[] };
                common.iter().chain(own).copied().collect::<Vec<_>>()
            })
            .collect();
        for kind in ProblemKind::ALL {
            // A wrong method is the router's answer on every path, not an operation's.
            if *kind == MethodNotAllowed {
                continue;
            }
            assert!(
                declared.contains(kind),
                "{} ({:?}) is declared for no operation: add it to `answers`",
                kind.slug(),
                kind.family()
            );
        }
        for operation in OPERATIONS {
            let (admin, own) = answers(operation);
            for kind in own {
                let family = kind.family();
                let fits = family == Family::Any || (family == Family::Admin) == admin;
                assert!(
                    fits,
                    "{operation} lists {}, a kind of {family:?}",
                    kind.slug()
                );
            }
        }
    }
}
