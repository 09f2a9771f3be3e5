//! The JSON Schema itself: every valid fixture validates, every invalid one is rejected, and the
//! schema agrees with the hand-written parts of the model crate.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use smartreach_models::DocumentedEventType;

fn schema() -> Value {
    let path = support::fixture_dir("../../schema/smartreach-webhook.schema.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema is a valid 2020-12 schema")
}

#[test]
fn schema_is_valid_against_the_2020_12_meta_schema() {
    jsonschema::draft202012::meta::validate(&schema()).unwrap();
}

#[test]
fn every_valid_fixture_validates() {
    let validator = validator();
    for path in support::valid_fixtures() {
        let instance: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn every_invalid_fixture_is_rejected_by_the_validator_and_the_parser() {
    let validator = validator();
    for path in support::fixtures("invalid") {
        let body = std::fs::read(&path).unwrap();
        assert!(
            smartreach_models::parse(&body).is_err(),
            "{}: parser accepted it",
            path.display()
        );
        // Bodies that are not JSON never reach a validator; the rest must fail validation.
        if let Ok(instance) = serde_json::from_slice::<Value>(&body) {
            assert!(
                !validator.is_valid(&instance),
                "{}: validator accepted it",
                path.display()
            );
        }
    }
}

fn documented_names_in_schema() -> Vec<String> {
    schema()["$defs"]["DocumentedEventType"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| variant["const"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_hand_written_event_type_list_matches_the_schema() {
    let in_code: Vec<String> = DocumentedEventType::ALL
        .iter()
        .map(|ty| ty.as_str().to_owned())
        .collect();
    assert_eq!(in_code, documented_names_in_schema());
    assert_eq!(in_code.len(), 13);
    for ty in DocumentedEventType::ALL {
        // `as_str` is hand-written, `Display` generated: they must agree.
        assert_eq!(ty.as_str(), ty.to_string());
    }
}

#[test]
fn event_descriptions_are_not_copy_pasted() {
    // The seed describes activity.email.opened as "Occurs when a email bounces"; the schema must not.
    let schema = schema();
    let descriptions: Vec<&str> = schema["$defs"]["DocumentedEventType"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| variant["description"].as_str().unwrap())
        .collect();
    let distinct: BTreeSet<&str> = descriptions.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        descriptions.len(),
        "duplicate event descriptions"
    );
    let opened = descriptions[5];
    assert!(
        opened.starts_with("Occurs when an email is opened"),
        "{opened}"
    );

    let subject = schema["$defs"]["Activity"]["properties"]["email_subject"]["description"]
        .as_str()
        .unwrap();
    assert!(subject.starts_with("Email subject"), "{subject}");
}

#[test]
fn every_field_has_a_description() {
    fn walk(path: &str, value: &Value, missing: &mut Vec<String>) {
        if let Some(properties) = value.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let is_ref = property.get("$ref").is_some();
                if !is_ref && property.get("description").is_none() {
                    missing.push(format!("{path}.{name}"));
                }
                walk(&format!("{path}.{name}"), property, missing);
            }
        }
    }
    let schema = schema();
    let mut missing = Vec::new();
    walk("", &schema, &mut missing);
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if def.get("description").is_none() {
            missing.push(name.clone());
        }
        walk(name, def, &mut missing);
    }
    assert!(
        missing.is_empty(),
        "fields without a description: {missing:?}"
    );
}
