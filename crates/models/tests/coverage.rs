//! Every documented event type has a fixture and a reviewed snapshot.

mod support;

use std::path::Path;

use smartreach_models::{DocumentedEventType, EventType};

#[test]
fn every_documented_event_has_a_fixture_and_a_snapshot() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut missing = Vec::new();
    for ty in DocumentedEventType::ALL {
        let fixture = support::fixture_dir("events").join(format!("{}.json", ty.as_str()));
        if !fixture.exists() {
            missing.push(format!("fixture {}", fixture.display()));
            continue;
        }
        let payload = support::parse_fixture(&fixture);
        assert_eq!(
            payload.metadata.event_type,
            EventType::Documented(ty),
            "{}",
            fixture.display()
        );
        assert!(
            !payload.data.is_empty(),
            "{}: no data items",
            fixture.display()
        );

        let snapshot = snapshots.join(format!(
            "snapshots__parsed_fixtures@events__{}.json.snap",
            ty.as_str()
        ));
        if !snapshot.exists() {
            missing.push(format!("snapshot {}", snapshot.display()));
        }
    }
    assert!(
        missing.is_empty(),
        "documented events without coverage: {missing:#?}"
    );
}

#[test]
fn fixtures_have_the_shape_their_event_type_documents() {
    for path in support::fixtures("events") {
        let payload = support::parse_fixture(&path);
        let carries_activity = payload.metadata.event_type.carries_activity();
        for (index, item) in payload.data.iter().enumerate() {
            assert_eq!(
                item.activity.is_some(),
                carries_activity,
                "{} data[{index}]: activity presence does not match the event type",
                path.display()
            );
        }
    }
    let clicked = support::parse_fixture(
        &support::fixture_dir("events").join("activity.email.link_clicked.json"),
    );
    assert!(
        clicked.data[0]
            .activity
            .as_ref()
            .unwrap()
            .clicked_url
            .is_some()
    );
    let sent =
        support::parse_fixture(&support::fixture_dir("events").join("activity.email.sent.json"));
    assert!(
        sent.data.len() > 1,
        "one fixture must hold several data items"
    );
}
