//! [`Contact`]: the JSON body crm-sync sends for a prospect.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use smartreach_plugin_sdk::Event;

/// A CRM contact made from a SmartReach prospect. Every field is written, `null` when unknown.
#[derive(Debug, Serialize)]
pub struct Contact<'a> {
    /// The prospect's email.
    pub email: Option<&'a str>,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
    /// Company.
    pub company: Option<&'a str>,
    /// City.
    pub city: Option<&'a str>,
    /// Country.
    pub country: Option<&'a str>,
    /// IANA time zone.
    pub timezone: Option<&'a str>,
    /// The SmartReach list the prospect is in.
    pub list: Option<&'a str>,
    /// The SmartReach prospect category (e.g. "Interested").
    pub category: Option<&'a str>,
    /// The prospect's custom fields, as sent; written as an empty object when there are none.
    #[serde(serialize_with = "object_or_empty")]
    pub custom_fields: Option<&'a Map<String, Value>>,
    /// The CRM's key for the contact.
    pub smartreach_prospect_id: i64,
    /// The event type that caused this sync.
    pub source_event: &'a str,
    /// When the change happened, in milliseconds since the Unix epoch: the webhook's
    /// `received_at`, else the prospect's `created_at`.
    pub updated_at: Option<i64>,
}

impl<'a> Contact<'a> {
    /// The contact for the prospect of `event`.
    pub fn from_event(event: &'a Event) -> Self {
        let prospect = event.prospect();
        Self {
            email: prospect.email.as_deref(),
            first_name: prospect.first_name.as_deref(),
            last_name: prospect.last_name.as_deref(),
            company: prospect.company.as_deref(),
            city: prospect.city.as_deref(),
            country: prospect.country.as_deref(),
            timezone: prospect.timezone.as_deref(),
            list: prospect.list.as_deref(),
            category: prospect.prospect_category.as_deref(),
            custom_fields: prospect.custom_fields.as_ref(),
            smartreach_prospect_id: prospect.prospect_id,
            source_event: event.event_type.as_str(),
            // An update's time is when SmartReach sent it; `created_at` never changes, so it
            // serves only when the webhook carries no time.
            updated_at: event.metadata.received_at.or(prospect.created_at),
        }
    }
}

fn object_or_empty<S: Serializer>(
    fields: &Option<&Map<String, Value>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match fields {
        Some(fields) => fields.serialize(serializer),
        None => serializer.serialize_map(Some(0))?.end(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use smartreach_plugin_sdk::models;

    use super::*;

    fn event(body: &str) -> Event {
        let payload = models::parse_str(body).unwrap();
        Event::from_payload("e", &payload, 0, 0).unwrap()
    }

    #[test]
    fn maps_every_prospect_field() {
        let event = event(
            r#"{"metadata": {"event_type": "prospect.created", "received_at": 1700000000500},
                "data": [{"prospect": {
                    "prospect_id": 42, "email": "ana@example.com", "first_name": "Ana",
                    "last_name": "Lima", "company": "Acme", "city": "Porto", "country": "Portugal",
                    "timezone": "Europe/Lisbon", "list": "EU", "prospect_category": "Interested",
                    "created_at": 1690000000000,
                    "custom_fields": {"job_title": "CFO", "seats": 12, "tags": ["a"]}}}]}"#,
        );
        assert_eq!(
            serde_json::to_value(Contact::from_event(&event)).unwrap(),
            json!({
                "email": "ana@example.com",
                "first_name": "Ana",
                "last_name": "Lima",
                "company": "Acme",
                "city": "Porto",
                "country": "Portugal",
                "timezone": "Europe/Lisbon",
                "list": "EU",
                "category": "Interested",
                "custom_fields": {"job_title": "CFO", "seats": 12, "tags": ["a"]},
                "smartreach_prospect_id": 42,
                "source_event": "prospect.created",
                "updated_at": 1700000000500i64,
            })
        );
    }

    #[test]
    fn a_sparse_prospect_has_nulls_and_empty_custom_fields() {
        let event = event(
            r#"{"metadata": {"event_type": "prospect_updated"},
                "data": [{"prospect": {"prospect_id": 7, "created_at": 1690000000000}}]}"#,
        );
        let value = serde_json::to_value(Contact::from_event(&event)).unwrap();
        assert_eq!(value["email"], Value::Null);
        assert_eq!(value["custom_fields"], json!({}));
        assert_eq!(value["source_event"], "prospect.updated");
        assert_eq!(value["updated_at"], 1690000000000i64);
    }
}
