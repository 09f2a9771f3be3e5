//! Hostile and broken bodies: each gives a typed error that names the problem, never a panic.

use smartreach_models::ParseError;

fn parse(body: &str) -> Result<smartreach_models::WebhookPayload, ParseError> {
    smartreach_models::parse_str(body)
}

const PROSPECT_EVENT: &str = r#"{"metadata": {"event_type": "prospect.created", "version": "v2"}, "data": [{"prospect": {"prospect_id": 7, "email": "a@example.com"}}]}"#;

#[test]
fn truncated_json_says_it_ends_early() {
    let cut = &PROSPECT_EVENT[..PROSPECT_EVENT.len() / 2];
    let err = parse(cut).unwrap_err();
    assert!(
        matches!(err, ParseError::Truncated { line: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn a_prospect_id_of_letters_names_the_field() {
    let body = PROSPECT_EVENT.replace("\"prospect_id\": 7", "\"prospect_id\": \"seven\"");
    let err = parse(&body).unwrap_err();
    assert_eq!(err.path(), Some("data[0].prospect.prospect_id"));
    assert!(
        err.to_string()
            .contains("invalid type: string \"seven\", expected i64"),
        "{err}"
    );
}

#[test]
fn missing_metadata_is_named() {
    let err = parse(r#"{"data": []}"#).unwrap_err();
    assert_eq!(err.path(), Some("."));
    assert!(
        err.to_string().contains("missing field `metadata`"),
        "{err}"
    );
}

#[test]
fn data_that_is_not_an_array_is_named() {
    let err = parse(r#"{"metadata": {"event_type": "prospect.created"}, "data": {"prospect": {"prospect_id": 1}}}"#)
        .unwrap_err();
    assert_eq!(err.path(), Some("data"));
    assert!(err.to_string().contains("expected a sequence"), "{err}");
}

#[test]
fn trailing_garbage_after_the_payload_is_rejected() {
    let err = parse(&format!("{PROSPECT_EVENT} {{}}")).unwrap_err();
    assert!(matches!(err, ParseError::Syntax { .. }), "{err:?}");
}

#[test]
fn a_hundred_thousand_levels_of_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let body = PROSPECT_EVENT.replace(
        "\"email\"",
        &format!("\"custom_fields\": {{\"deep\": {nested}}}, \"email\""),
    );
    let err = parse(&body).unwrap_err();
    assert!(
        err.to_string().contains("recursion limit exceeded"),
        "{err}"
    );

    // An unknown metadata field, unterminated: the limit is hit before the end is looked for.
    let body = format!(
        r#"{{"metadata": {{"event_type": "x", "deep": {}"#,
        "{\"a\":".repeat(depth)
    );
    let err = parse(&body).unwrap_err();
    assert!(
        err.to_string().contains("recursion limit exceeded"),
        "{err}"
    );

    // A top-level array is refused before it is descended into.
    let err = parse(&"[".repeat(depth)).unwrap_err();
    assert_eq!(err.path(), Some("."));
}

#[test]
fn a_five_megabyte_string_field_parses() {
    let big = "é".repeat(5 * 1024 * 1024 / 2);
    let body = PROSPECT_EVENT.replace(
        "\"email\"",
        &format!("\"first_name\": \"{big}\", \"email\""),
    );
    let payload = parse(&body).unwrap();
    assert_eq!(
        payload.data[0].prospect.first_name.as_deref(),
        Some(big.as_str())
    );
}

#[test]
fn an_empty_body_and_non_object_bodies_are_errors() {
    assert!(matches!(
        parse("").unwrap_err(),
        ParseError::Truncated { .. }
    ));
    let err = parse("[]").unwrap_err();
    assert_eq!(err.path(), Some("."));
    let err = parse(r#"{"metadata": {"event_type": 5}, "data": []}"#).unwrap_err();
    assert_eq!(err.path(), Some("metadata.event_type"));
}

/// JSON Schema counts `7.0` as an integer, and the ingest route's OpenAPI document with it: a
/// whole float in an integer field reads as that integer. A fraction, or a float too large to
/// hold the integer exactly, is still refused, naming the field.
#[test]
fn an_integer_written_as_a_whole_float_is_that_integer() {
    for written in ["7.0", "7e0", "0.07e2"] {
        let body =
            PROSPECT_EVENT.replace("\"prospect_id\": 7", &format!("\"prospect_id\": {written}"));
        let payload = parse(&body).unwrap_or_else(|err| panic!("{written}: {err}"));
        let strict = parse(PROSPECT_EVENT).unwrap();
        assert_eq!(payload, strict, "{written} reads as 7");
    }
    for refused in ["7.5", "1e300", "9007199254740993.0"] {
        let body =
            PROSPECT_EVENT.replace("\"prospect_id\": 7", &format!("\"prospect_id\": {refused}"));
        let err = parse(&body).unwrap_err();
        assert_eq!(
            err.path(),
            Some("data[0].prospect.prospect_id"),
            "{refused}: {err}"
        );
        assert!(err.to_string().contains("expected i64"), "{refused}: {err}");
    }
}
