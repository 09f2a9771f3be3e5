//! The documentation's inconsistencies, each handled on purpose (README.md, "Seed quirks").

mod support;

use smartreach_models::{Category, DocumentedEventType, EventType, ParseError};

#[test]
fn prospect_email_is_copied_into_email() {
    let payload = support::quirk("prospect-email-only.json");
    let prospect = &payload.data[0].prospect;
    assert!(prospect.prospect_email.is_some());
    assert_eq!(prospect.email, prospect.prospect_email);
}

#[test]
fn email_wins_over_prospect_email_when_both_are_sent() {
    let payload = support::quirk("both-email-fields.json");
    let prospect = &payload.data[0].prospect;
    assert_eq!(prospect.email.as_deref(), Some("ana@new.example"));
    assert_eq!(prospect.prospect_email.as_deref(), Some("ana@old.example"));
}

#[test]
fn an_empty_email_is_filled_from_prospect_email() {
    let body = r#"{"metadata": {"event_type": "prospect.updated"}, "data": [
        {"prospect": {"prospect_id": 1, "email": "", "prospect_email": "x@example.com"}}]}"#;
    let payload = smartreach_models::parse_str(body).unwrap();
    assert_eq!(
        payload.data[0].prospect.email.as_deref(),
        Some("x@example.com")
    );
}

#[test]
fn legacy_event_type_names_are_normalised() {
    let payload = support::quirk("legacy-event-type.json");
    assert_eq!(
        payload.metadata.event_type,
        EventType::Documented(DocumentedEventType::ActivityEmailOpened)
    );
    // Serialising writes the documented name.
    let value = serde_json::to_value(&payload.metadata).unwrap();
    assert_eq!(value["event_type"], "activity.email.opened");

    for ty in DocumentedEventType::ALL {
        let parsed: EventType = ty.legacy_name().parse().unwrap();
        assert_eq!(
            parsed,
            EventType::Documented(ty),
            "legacy name {}",
            ty.legacy_name()
        );
    }
    assert_eq!(
        DocumentedEventType::ProspectCreated.legacy_name(),
        "prospect_created"
    );
    assert_eq!(
        DocumentedEventType::ActivityProspectOptedOut.legacy_name(),
        "prospect_opted_out"
    );
}

#[test]
fn the_documentation_webhook_example_parses_once_its_json_is_fixed() {
    let payload = support::quirk("prospect-email-field.json");
    assert_eq!(
        payload.metadata.event_type.documented(),
        Some(DocumentedEventType::ActivityEmailOpened)
    );
    assert_eq!(
        payload.data[0].prospect.email.as_deref(),
        Some("pbsamant1@gmail.com")
    );
    assert_eq!(payload.data[0].activity.as_ref().unwrap().clicked_url, None);
}

#[test]
fn the_documentation_examples_as_written_are_rejected_with_their_position() {
    let body =
        std::fs::read(support::fixture_dir("invalid").join("seed-webhook-example.json")).unwrap();
    match smartreach_models::parse(&body) {
        // The missing comma after `webhook_url`: the error points at the next line.
        Err(ParseError::Syntax { line: 7, .. }) => {}
        other => panic!("expected a syntax error on line 7, got {other:?}"),
    }
    let body =
        std::fs::read(support::fixture_dir("invalid").join("seed-prospect-example.json")).unwrap();
    assert!(matches!(
        smartreach_models::parse(&body),
        Err(ParseError::Syntax { .. })
    ));
}

#[test]
fn an_activity_shaped_like_a_prospect_parses_with_its_fields_kept_as_unknown() {
    let payload = support::quirk("activity-repeats-prospect.json");
    let activity = payload.data[0].activity.as_ref().unwrap();
    assert_eq!(activity.created_at, Some(1583580438532));
    assert_eq!(activity.email_subject, None);
    assert_eq!(activity.email_body, None);
    assert_eq!(activity.extra["prospect_id"], 7419929);
    assert_eq!(activity.extra["email"], "john@doe.com");
}

#[test]
fn an_unknown_event_type_is_kept_as_sent() {
    let payload = support::quirk("unknown-event-type.json");
    let event_type = &payload.metadata.event_type;
    assert_eq!(
        event_type,
        &EventType::Other("activity.linkedin.connection_accepted".into())
    );
    assert_eq!(event_type.category(), Some(Category::Activity));
    assert_eq!(event_type.documented(), None);
    let value = serde_json::to_value(&payload.metadata).unwrap();
    assert_eq!(value["event_type"], "activity.linkedin.connection_accepted");

    let no_prefix: EventType = "campaign.paused".parse().unwrap();
    assert_eq!(no_prefix.category(), None);
    assert!(!no_prefix.carries_activity());
}

#[test]
fn event_categories_follow_the_documentation_table() {
    let prospect_events: Vec<_> = DocumentedEventType::ALL
        .into_iter()
        .filter(|ty| ty.category() == Category::Prospect)
        .collect();
    assert_eq!(
        prospect_events,
        [
            DocumentedEventType::ProspectCreated,
            DocumentedEventType::ProspectUpdated,
            DocumentedEventType::ProspectCreatedOrUpdated
        ]
    );
    assert!(EventType::from(DocumentedEventType::ActivityProspectOptedOut).carries_activity());
    assert!(!EventType::from(DocumentedEventType::ProspectUpdated).carries_activity());
}

#[test]
fn nulls_where_the_documentation_says_string_are_accepted() {
    let payload = support::quirk("nulls.json");
    let prospect = &payload.data[0].prospect;
    assert_eq!(prospect.first_name, None);
    assert_eq!(prospect.company, None);
    assert_eq!(
        payload.data[0].activity.as_ref().unwrap().email_text_body,
        None
    );
}

#[test]
fn an_empty_data_array_is_a_valid_envelope_with_no_items() {
    let payload = support::quirk("empty-data.json");
    assert!(payload.data.is_empty());
    assert_eq!(
        payload.metadata.event_type.documented(),
        Some(DocumentedEventType::ProspectCreated)
    );
}
