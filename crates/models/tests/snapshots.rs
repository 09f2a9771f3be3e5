//! One reviewed insta snapshot per fixture: the typed model of every valid one, the error of every
//! invalid one.

use serde::Serialize;
use smartreach_models::{Category, EventType, WebhookPayload};

/// What a snapshot shows: how the event type was understood, then the typed payload.
#[derive(Serialize)]
struct Parsed<'a> {
    event_type: &'a str,
    documented: bool,
    category: Option<Category>,
    carries_activity: bool,
    payload: &'a WebhookPayload,
}

fn describe<'a>(event_type: &'a EventType, payload: &'a WebhookPayload) -> Parsed<'a> {
    Parsed {
        event_type: event_type.as_str(),
        documented: event_type.documented().is_some(),
        category: event_type.category(),
        carries_activity: event_type.carries_activity(),
        payload,
    }
}

#[test]
fn parsed_fixtures() {
    insta::glob!(
        "../../../tests/fixtures",
        "{events,quirks}/*.json",
        |path| {
            let body = std::fs::read(path).unwrap();
            let payload = smartreach_models::parse(&body)
                .unwrap_or_else(|err| panic!("{} should parse: {err}", path.display()));
            insta::assert_yaml_snapshot!(describe(&payload.metadata.event_type, &payload));
        }
    );
}

#[test]
fn rejected_fixtures() {
    insta::glob!("../../../tests/fixtures", "invalid/*.json", |path| {
        let body = std::fs::read(path).unwrap();
        let err = smartreach_models::parse(&body)
            .expect_err(&format!("{} should be rejected", path.display()));
        insta::assert_snapshot!(err.to_string());
    });
}
