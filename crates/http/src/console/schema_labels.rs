//! The payload schema's descriptions as labels: an event page lists the fields of its metadata,
//! prospect and activity with what the schema says they mean.

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The webhook schema, the models' source of truth.
const SCHEMA: &str = include_str!("../../../../schema/smartreach-webhook.schema.json");

/// One field of an event, labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Where it is: `metadata`, `prospect` or `activity`.
    pub part: &'static str,
    /// Its name.
    pub name: String,
    /// Its value, as JSON text (strings without quotes).
    pub value: String,
    /// The first sentence of the schema's description; empty for a field the schema does not
    /// name.
    pub meaning: String,
}

/// The fields of an event's `metadata` and of its item's `prospect` and `activity`, in the
/// schema's order, then those it does not name; nulls are left out.
pub fn fields(metadata: &Value, item: &Value) -> Vec<Field> {
    let mut fields = Vec::new();
    for (part, definition, value) in [
        ("metadata", "Metadata", Some(metadata)),
        ("prospect", "Prospect", item.get("prospect")),
        ("activity", "Activity", item.get("activity")),
    ] {
        let Some(Value::Object(object)) = value else {
            continue;
        };
        let described = properties(definition);
        let mut names: Vec<&String> = described
            .map(|props| {
                props
                    .keys()
                    .filter(|name| object.contains_key(*name))
                    .collect()
            })
            .unwrap_or_default();
        names.extend(
            object
                .keys()
                .filter(|name| described.is_none_or(|props| !props.contains_key(*name))),
        );
        for name in names {
            let value = &object[name];
            if value.is_null() {
                continue;
            }
            let meaning = described
                .and_then(|props| props.get(name))
                .and_then(description)
                .map(first_sentence)
                .unwrap_or_default();
            fields.push(Field {
                part,
                name: name.clone(),
                value: match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                },
                meaning,
            });
        }
    }
    fields
}

/// The schema, parsed once.
fn schema() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(SCHEMA).expect("the committed schema is JSON"))
}

/// The properties of the schema's definition `name`.
fn properties(name: &str) -> Option<&'static Map<String, Value>> {
    schema()
        .get("$defs")?
        .get(name)?
        .get("properties")?
        .as_object()
}

/// A property's description, or that of the definition it refers to (`$ref: #/$defs/NAME`).
fn description(property: &'static Value) -> Option<&'static str> {
    if let Some(text) = property.get("description").and_then(Value::as_str) {
        return Some(text);
    }
    let name = property.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?;
    schema()
        .get("$defs")?
        .get(name)?
        .get("description")?
        .as_str()
}

fn first_sentence(text: &str) -> String {
    match text.find(". ") {
        Some(end) => text[..=end].trim_end().to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_are_labelled_from_the_schema_and_unknown_ones_kept() {
        let fields = fields(
            &json!({"event_type": "prospect.created"}),
            &json!({"prospect": {"email": "a@example.com", "city": null, "shoe_size": 42}}),
        );
        let shown: Vec<_> = fields
            .iter()
            .map(|f| {
                (
                    f.part,
                    f.name.as_str(),
                    f.value.as_str(),
                    !f.meaning.is_empty(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("metadata", "event_type", "prospect.created", true),
                ("prospect", "email", "a@example.com", true),
                ("prospect", "shoe_size", "42", false),
            ]
        );
        assert_eq!(fields[1].meaning, "Prospect's email.");
    }
}
