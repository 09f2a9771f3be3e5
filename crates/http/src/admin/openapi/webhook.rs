//! The webhook's JSON Schema (`schema/smartreach-webhook.schema.json`, which the models are
//! generated from) as the ingest route's request body: its definitions become components.

use serde_json::{Map, Value};

/// The schema, as committed.
const SCHEMA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../schema/smartreach-webhook.schema.json"
));

/// The component name of the whole webhook.
pub const COMPONENT: &str = "WebhookPayload";

/// Adds the webhook schema and its definitions to `components.schemas` of `document`, with
/// their `$ref`s pointing there, and returns a `$ref` to the whole webhook.
///
/// Panics when a definition's name is taken by another component: a build-time fault that the
/// document's tests catch.
pub fn embed(document: &mut Value) -> Value {
    let mut schema: Value = serde_json::from_str(SCHEMA).expect("the webhook schema is JSON");
    let root = schema
        .as_object_mut()
        .expect("the webhook schema is an object");
    // `$id` would make the `$ref`s below resolve against the schema's own URI.
    root.remove("$schema");
    root.remove("$id");
    let definitions = match root.remove("$defs") {
        Some(Value::Object(definitions)) => definitions,
        _ => Map::new(),
    };
    let schemas = document["components"]["schemas"]
        .as_object_mut()
        .expect("the document has component schemas");
    for (name, mut definition) in definitions
        .into_iter()
        .chain([(COMPONENT.to_owned(), schema)])
    {
        repoint(&mut definition);
        let previous = schemas.insert(name.clone(), definition);
        assert!(previous.is_none(), "component `{name}` is defined twice");
    }
    Value::String(format!("#/components/schemas/{COMPONENT}"))
}

/// Rewrites every `#/$defs/NAME` reference under `value` to `#/components/schemas/NAME`.
fn repoint(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                match member {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{name}");
                        }
                    }
                    other => repoint(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(repoint),
        _ => {}
    }
}
