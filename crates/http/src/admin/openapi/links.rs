//! Response links (`links` of a response: which operation a value of the answer feeds, like an
//! event id of a page into `show_event`), declared in the handlers' annotations.
//!
//! utoipa 5.5 writes a link's target as `operation_id` / `operation_ref`; OpenAPI names them
//! `operationId` / `operationRef`, and tools that follow links (schemathesis' stateful phase)
//! find no target without them.

use serde_json::Value;

/// Renames the members of every response link of `document` to their OpenAPI names.
pub fn fix_member_names(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|methods| methods.values_mut());
    for operation in operations {
        let Some(responses) = operation["responses"].as_object_mut() else {
            continue;
        };
        for response in responses.values_mut() {
            let Some(links) = response.get_mut("links").and_then(Value::as_object_mut) else {
                continue;
            };
            for link in links.values_mut().filter_map(Value::as_object_mut) {
                for (from, to) in [
                    ("operation_id", "operationId"),
                    ("operation_ref", "operationRef"),
                ] {
                    if let Some(target) = link.remove(from) {
                        link.insert(to.to_owned(), target);
                    }
                }
            }
        }
    }
}
