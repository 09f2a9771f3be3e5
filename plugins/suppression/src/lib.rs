//! suppression: adds bounced, invalid and opted-out addresses to a suppression list.
//!
//! `POST {endpoint}` with `{"email", "reason", "prospect_id", "occurred_at", "source":
//! "smartreach"}`, where `reason` is `bounced`, `invalid` or `opted_out`, and `Idempotency-Key:
//! {event id}`. A prospect without an email is skipped: there is nothing to suppress.

use serde::Serialize;
use smartreach_plugin_sdk::models::DocumentedEventType;
use smartreach_plugin_sdk::{
    ConfigKey, Declaration, Event, Outcome, Plugin, config_required, export_plugin, http, warn,
};

/// The plugin.
struct Suppression;

/// The event types this plugin handles, with the reason each one is suppressed for.
const REASONS: [(DocumentedEventType, Reason); 3] = [
    (DocumentedEventType::ActivityEmailBounced, Reason::Bounced),
    (DocumentedEventType::ActivityEmailInvalid, Reason::Invalid),
    (
        DocumentedEventType::ActivityProspectOptedOut,
        Reason::OptedOut,
    ),
];

/// Why an address is suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Reason {
    /// An email to it bounced.
    Bounced,
    /// SmartReach found it invalid.
    Invalid,
    /// The prospect opted out.
    OptedOut,
}

/// The body of the suppression request.
#[derive(Debug, PartialEq, Eq, Serialize)]
struct Entry<'a> {
    email: &'a str,
    reason: Reason,
    prospect_id: i64,
    /// Milliseconds since the Unix epoch: the activity's time, else the webhook's.
    occurred_at: Option<i64>,
    source: &'static str,
}

impl Plugin for Suppression {
    fn declare() -> Declaration {
        Declaration::new(REASONS.map(|(ty, _)| ty))
            .description("Sends bounced, invalid and opted-out addresses to a suppression list")
            .config(ConfigKey::required(
                "endpoint",
                "URL that receives a POST for each address to suppress",
            ))
    }

    fn handle(event: Event) -> Outcome {
        let entry = match entry(&event) {
            Ok(entry) => entry,
            Err(skipped) => return skipped,
        };
        let endpoint = match config_required("endpoint") {
            Ok(endpoint) => endpoint,
            Err(err) => return Outcome::failed(err.to_string()),
        };
        let result = http::Request::post(endpoint)
            .header("Idempotency-Key", &event.id)
            .json(&entry)
            .send();
        if let Err(err) = &result {
            warn!("suppressing prospect {}: {err}", entry.prospect_id);
        }
        http::delivery_outcome(&result)
    }
}

export_plugin!(Suppression);

/// The suppression entry for `event`, or the [`Outcome::Skipped`] to return instead.
fn entry(event: &Event) -> Result<Entry<'_>, Outcome> {
    let documented = event.event_type.documented();
    let Some(reason) = REASONS
        .iter()
        .find(|(ty, _)| Some(*ty) == documented)
        .map(|(_, reason)| *reason)
    else {
        return Err(Outcome::skipped(format!(
            "suppression handles bounced, invalid and opted-out events, not {}",
            event.event_type
        )));
    };
    let prospect = event.prospect();
    let Some(email) = prospect
        .email
        .as_deref()
        .filter(|email| !email.trim().is_empty())
    else {
        return Err(Outcome::skipped(format!(
            "prospect {} has no email to suppress",
            prospect.prospect_id
        )));
    };
    Ok(Entry {
        email: email.trim(),
        reason,
        prospect_id: prospect.prospect_id,
        occurred_at: event.occurred_at(),
        source: "smartreach",
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use smartreach_plugin_sdk::models;

    use super::*;

    fn fixture(name: &str) -> Event {
        let body = std::fs::read(format!(
            "{}/../../tests/fixtures/events/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let payload = models::parse(&body).unwrap();
        Event::from_payload("e", &payload, 0, 0).unwrap()
    }

    #[test]
    fn each_event_type_has_its_reason() {
        for (fixture_name, reason) in [
            ("activity.email.bounced", "bounced"),
            ("activity.email.invalid", "invalid"),
            ("activity.prospect.opted_out", "opted_out"),
        ] {
            let event = fixture(fixture_name);
            let entry = entry(&event).unwrap();
            let body = serde_json::to_value(&entry).unwrap();
            assert_eq!(body["reason"], reason, "{fixture_name}");
            assert_eq!(body["source"], "smartreach");
            assert_eq!(body["prospect_id"], event.prospect().prospect_id);
            assert_eq!(body["email"], json!(event.prospect().email));
            assert_eq!(body["occurred_at"], json!(event.occurred_at()));
        }
    }

    #[test]
    fn occurred_at_is_the_activity_time_else_the_webhook_time() {
        let mut event = fixture("activity.email.bounced");
        let activity_time = event.activity().and_then(|a| a.created_at);
        assert!(activity_time.is_some());
        assert_eq!(entry(&event).unwrap().occurred_at, activity_time);
        event.item.activity = None;
        assert_eq!(
            entry(&event).unwrap().occurred_at,
            event.metadata.received_at
        );
    }

    #[test]
    fn skips_a_prospect_without_email() {
        let mut event = fixture("activity.email.bounced");
        event.item.prospect.email = Some("  ".into());
        let id = event.prospect().prospect_id;
        assert_eq!(
            entry(&event),
            Err(Outcome::skipped(format!(
                "prospect {id} has no email to suppress"
            )))
        );
        // Skipped before reading config or calling the network, so this runs natively.
        assert!(matches!(Suppression::handle(event), Outcome::Skipped(_)));
    }

    #[test]
    fn skips_other_event_types() {
        let outcome = Suppression::handle(fixture("activity.email.replied"));
        assert_eq!(
            outcome,
            Outcome::skipped(
                "suppression handles bounced, invalid and opted-out events, not activity.email.replied"
            )
        );
    }
}
