//! crm-sync: upserts every created or updated prospect into a CRM.
//!
//! `PUT {endpoint}/contacts/smartreach-{prospect_id}` with the contact as JSON (see
//! [`contact::Contact`]), `Idempotency-Key: {event id}`, and `Authorization: Bearer {api_token}`
//! when a token is configured. The CRM keys contacts on the SmartReach prospect id, so a prospect
//! without an email is synced too (`"email": null`).

mod contact;

use smartreach_plugin_sdk::models::DocumentedEventType;
use smartreach_plugin_sdk::{
    ConfigKey, Declaration, Event, Outcome, Plugin, config, config_required, export_plugin, http,
    warn,
};

/// The event types this plugin syncs.
const PROSPECT_EVENTS: [DocumentedEventType; 3] = [
    DocumentedEventType::ProspectCreated,
    DocumentedEventType::ProspectUpdated,
    DocumentedEventType::ProspectCreatedOrUpdated,
];

/// The plugin.
struct CrmSync;

impl Plugin for CrmSync {
    fn declare() -> Declaration {
        Declaration::new(PROSPECT_EVENTS)
            .description("Upserts each created or updated prospect as a CRM contact over HTTP")
            .config(ConfigKey::required(
                "endpoint",
                "Base URL of the CRM API; contacts are PUT to {endpoint}/contacts/smartreach-{prospect_id}",
            ))
            .config(ConfigKey::optional(
                "api_token",
                "Bearer token for the CRM API, sent as `Authorization: Bearer ...` when set",
                None,
            ))
    }

    fn handle(event: Event) -> Outcome {
        if !event
            .event_type
            .documented()
            .is_some_and(|ty| PROSPECT_EVENTS.contains(&ty))
        {
            return Outcome::skipped(format!(
                "crm-sync syncs prospect.created, prospect.updated and prospect.created_or_updated, not {}",
                event.event_type
            ));
        }
        let endpoint = match config_required("endpoint") {
            Ok(endpoint) => endpoint,
            Err(err) => return Outcome::failed(err.to_string()),
        };
        let api_token = config("api_token");
        let result = request(&event, &endpoint, api_token.as_deref()).send();
        if let Err(err) = &result {
            warn!("syncing prospect {}: {err}", event.prospect().prospect_id);
        }
        http::delivery_outcome(&result)
    }
}

export_plugin!(CrmSync);

/// The upsert request for the prospect of `event`.
fn request(event: &Event, endpoint: &str, api_token: Option<&str>) -> http::Request {
    let url = format!(
        "{}/contacts/smartreach-{}",
        endpoint.trim_end_matches('/'),
        event.prospect().prospect_id
    );
    let mut request = http::Request::put(url)
        .header("Idempotency-Key", &event.id)
        .json(&contact::Contact::from_event(event));
    if let Some(token) = api_token.map(str::trim).filter(|token| !token.is_empty()) {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    request
}

#[cfg(test)]
mod tests {
    use smartreach_plugin_sdk::models;

    use super::*;

    fn fixture(name: &str) -> Event {
        let body = std::fs::read(format!(
            "{}/../../tests/fixtures/events/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let payload = models::parse(&body).unwrap();
        Event::from_payload("wh-9:0", &payload, 0, 0).unwrap()
    }

    #[test]
    fn puts_the_contact_under_the_prospect_id() {
        let event = fixture("prospect.updated");
        let id = event.prospect().prospect_id;
        let request = request(&event, "https://crm.example/api/", Some("s3cret"));
        assert_eq!(request.method(), http::Method::Put);
        assert_eq!(
            request.url(),
            format!("https://crm.example/api/contacts/smartreach-{id}")
        );
        assert_eq!(request.header_value("Idempotency-Key"), Some("wh-9:0"));
        assert_eq!(request.header_value("Authorization"), Some("Bearer s3cret"));
        assert_eq!(
            request.header_value("Content-Type"),
            Some("application/json")
        );
        let body: serde_json::Value =
            serde_json::from_slice(request.body_bytes().unwrap()).unwrap();
        assert_eq!(body["smartreach_prospect_id"], id);
        assert_eq!(body["source_event"], "prospect.updated");
    }

    #[test]
    fn sends_no_authorization_without_a_token() {
        let event = fixture("prospect.created");
        assert_eq!(
            request(&event, "https://crm.example", None).header_value("Authorization"),
            None
        );
        assert_eq!(
            request(&event, "https://crm.example", Some(" ")).header_value("Authorization"),
            None
        );
    }

    #[test]
    fn skips_activity_events() {
        let outcome = CrmSync::handle(fixture("activity.email.opened"));
        assert!(
            matches!(&outcome, Outcome::Skipped(reason) if reason.ends_with("not activity.email.opened")),
            "{outcome:?}"
        );
    }
}
