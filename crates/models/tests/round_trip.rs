//! Parse, serialise, parse: the same value, unknown fields included.

mod support;

use serde_json::{Value, json};

#[test]
fn every_valid_fixture_round_trips() {
    for path in support::valid_fixtures() {
        let first = support::parse_fixture(&path);
        let text = serde_json::to_string(&first).unwrap();
        let second = smartreach_models::parse_str(&text).unwrap_or_else(|err| {
            panic!("{}: serialised form does not parse: {err}", path.display())
        });
        assert_eq!(
            first,
            second,
            "{}: round trip changed the value",
            path.display()
        );
    }
}

#[test]
fn fields_the_schema_does_not_name_survive_the_round_trip() {
    let payload = support::quirk("extra-fields.json");
    let value: Value = serde_json::to_value(&payload).unwrap();

    assert_eq!(value["metadata"]["team_id"], json!(20931));
    assert!(
        value["data"][0]["campaign"].is_object(),
        "data item extra kept: {value:#}"
    );
    assert!(
        value["data"][0]["prospect"]["phone"].is_string(),
        "prospect extra kept: {value:#}"
    );
    assert!(
        value["data"][0]["activity"]["step_id"].is_number(),
        "activity extra kept: {value:#}"
    );
    // And they are reachable from the typed model, not only through serialisation.
    assert_eq!(payload.metadata.extra["team_id"], json!(20931));
}

#[test]
fn nested_and_non_ascii_custom_fields_survive_the_round_trip() {
    let path = support::fixture_dir("events").join("prospect.created.json");
    let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let payload = support::parse_fixture(&path);
    let serialised = serde_json::to_value(&payload).unwrap();
    assert_eq!(
        serialised["data"][0]["prospect"]["custom_fields"],
        original["data"][0]["prospect"]["custom_fields"]
    );
}

/// Found by the `parse` fuzz target: an integer past `u64` in an unknown field is read as a
/// float; without correctly rounded parsing (serde_json's `float_roundtrip`, which the model
/// crate enables) its serialised form parsed to a different float. In this workspace a
/// dev-dependency (jsonschema) enables that feature too, so this test passes either way; the
/// input is also in `fuzz/corpus/parse/`, whose separate build fails without the model crate's
/// feature.
#[test]
fn large_numbers_in_unknown_fields_round_trip_exactly() {
    let body = br#"{"metadata": {"event_type": "prospect.created",
        "received_atbudg": 177540000000000000001348015501, "ratio": 0.30000000000000004},
        "data": []}"#;
    let first = smartreach_models::parse(body).unwrap();
    let text = serde_json::to_string(&first).unwrap();
    let second = smartreach_models::parse_str(&text).unwrap();
    assert_eq!(first, second, "serialised as {text}");
}
