//! [`Event`]: one data item of a stored webhook, decoded into the typed models.

use serde::de::DeserializeOwned;
use smartreach_models::{Activity, DataItem, EventType, Metadata, Prospect, WebhookPayload};

/// One data item of a webhook, as [`Plugin::handle`](crate::Plugin::handle) receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Stable id of this (webhook, data item) pair, the same on every retry: use it as an
    /// idempotency key.
    pub id: String,
    /// The event type, normalised by the host (a legacy `email_opened` arrives as
    /// `activity.email.opened`).
    pub event_type: EventType,
    /// The webhook's `metadata`.
    pub metadata: Metadata,
    /// The data item: the prospect, and the activity for `activity.*` events.
    pub item: DataItem,
    /// How many attempts of this delivery came before this one (0 on the first).
    pub attempt: u32,
}

/// Why the host's event could not be decoded into an [`Event`]: names the field, the path inside
/// it and serde's message.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode the event's `{field}` at `{path}`: {source}")]
pub struct EventError {
    /// The event field that failed: `metadata` or `item`.
    pub field: &'static str,
    /// The JSON path inside that field, e.g. `prospect.prospect_id`; `.` is the field itself.
    pub path: String,
    /// What serde found wrong.
    #[source]
    pub source: serde_json::Error,
}

impl Event {
    /// Decodes an event from the JSON the host sends: `metadata` is the webhook's metadata
    /// object, `item` one element of its `data` array.
    ///
    /// The prospect's `prospect_email` is copied into `email` when `email` is missing, as
    /// [`smartreach_models::parse`] does.
    pub fn from_json(
        id: impl Into<String>,
        event_type: &str,
        metadata: &str,
        item: &str,
        attempt: u32,
    ) -> Result<Self, EventError> {
        let metadata: Metadata = decode("metadata", metadata)?;
        let item: DataItem = decode("item", item)?;
        // Reuse the models' normalisation, which works on a whole payload.
        let mut payload = WebhookPayload {
            data: vec![item],
            metadata,
            extra: serde_json::Map::new(),
        };
        payload.normalize();
        let item = payload
            .data
            .pop()
            .expect("the payload holds the one item put in");
        Ok(Self {
            id: id.into(),
            event_type: event_type
                .parse()
                .unwrap_or_else(|never: std::convert::Infallible| match never {}),
            metadata: payload.metadata,
            item,
            attempt,
        })
    }

    /// The event the host makes of `payload.data[index]`, or `None` when there is no such item:
    /// for a plugin's tests, which can start from a webhook body and [`smartreach_models::parse`].
    pub fn from_payload(
        id: impl Into<String>,
        payload: &WebhookPayload,
        index: usize,
        attempt: u32,
    ) -> Option<Self> {
        Some(Self {
            id: id.into(),
            event_type: payload.metadata.event_type.clone(),
            metadata: payload.metadata.clone(),
            item: payload.data.get(index)?.clone(),
            attempt,
        })
    }

    /// The prospect the event is about.
    pub fn prospect(&self) -> &Prospect {
        &self.item.prospect
    }

    /// The activity, for `activity.*` events.
    pub fn activity(&self) -> Option<&Activity> {
        self.item.activity.as_ref()
    }

    /// When the event happened, in milliseconds since the Unix epoch: the activity's
    /// `created_at`, else the webhook's `received_at`.
    pub fn occurred_at(&self) -> Option<i64> {
        smartreach_models::occurred_at(&self.metadata, &self.item)
    }
}

fn decode<T: DeserializeOwned>(field: &'static str, json: &str) -> Result<T, EventError> {
    // The fast path: the host sends what it parsed, so this almost never fails. Only a failure
    // pays for a second, path-tracking pass that says where the problem is.
    if let Ok(value) = serde_json::from_str(json) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| EventError {
        field,
        path: err.path().to_string(),
        source: err.into_inner(),
    })?;
    // Trailing characters after the JSON value.
    deserializer.end().map_err(|source| EventError {
        field,
        path: ".".to_owned(),
        source,
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use smartreach_models::DocumentedEventType;

    use super::*;

    /// Splits a fixture webhook into the (metadata, item) JSON strings the host sends.
    fn host_json(fixture: &str) -> (String, String) {
        let path = format!(
            "{}/../../tests/fixtures/events/{fixture}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body = std::fs::read_to_string(&path).expect("fixture exists");
        let value: serde_json::Value = serde_json::from_str(&body).expect("fixture is JSON");
        (value["metadata"].to_string(), value["data"][0].to_string())
    }

    #[test]
    fn decodes_an_activity_fixture() {
        let (metadata, item) = host_json("activity.email.replied");
        let event =
            Event::from_json("evt-1", "activity.email.replied", &metadata, &item, 2).unwrap();
        assert_eq!(event.id, "evt-1");
        assert_eq!(
            event.event_type,
            EventType::Documented(DocumentedEventType::ActivityEmailReplied)
        );
        assert_eq!(event.attempt, 2);
        assert_eq!(event.metadata.webhook_id, Some(1_243_434));
        assert_eq!(event.prospect().prospect_id, 7_702_291);
        assert_eq!(
            event.prospect().email.as_deref(),
            Some("rachel.goldberg@hudsonridge.example")
        );
        let activity = event.activity().expect("a reply carries an activity");
        assert_eq!(
            activity.campaign_step_name.as_deref(),
            Some("Day 4: Follow-up")
        );
        assert_eq!(event.occurred_at(), Some(1_773_325_325_118));
    }

    #[test]
    fn decodes_a_prospect_fixture_without_activity() {
        let (metadata, item) = host_json("prospect.created");
        let event = Event::from_json("evt-2", "prospect.created", &metadata, &item, 0).unwrap();
        assert!(event.activity().is_none());
        assert_eq!(event.occurred_at(), event.metadata.received_at);
    }

    #[test]
    fn keeps_an_undocumented_event_type_and_normalises_a_legacy_one() {
        let (metadata, item) = host_json("activity.email.opened");
        let other = Event::from_json("e", "activity.email.forwarded", &metadata, &item, 0).unwrap();
        assert_eq!(
            other.event_type,
            EventType::Other("activity.email.forwarded".into())
        );
        let legacy = Event::from_json("e", "email_opened", &metadata, &item, 0).unwrap();
        assert_eq!(legacy.event_type.as_str(), "activity.email.opened");
    }

    #[test]
    fn from_payload_matches_what_the_host_sends() {
        let (metadata, item) = host_json("activity.email.bounced");
        let from_json =
            Event::from_json("e", "activity.email.bounced", &metadata, &item, 1).unwrap();
        let body = format!(r#"{{"metadata": {metadata}, "data": [{item}]}}"#);
        let payload = smartreach_models::parse_str(&body).unwrap();
        assert_eq!(Event::from_payload("e", &payload, 0, 1), Some(from_json));
        assert_eq!(Event::from_payload("e", &payload, 1, 1), None);
    }

    #[test]
    fn copies_prospect_email_into_email() {
        let item = r#"{"prospect": {"prospect_id": 1, "prospect_email": "ana@example.com"}}"#;
        let metadata = r#"{"event_type": "prospect.created"}"#;
        let event = Event::from_json("e", "prospect.created", metadata, item, 0).unwrap();
        assert_eq!(event.prospect().email.as_deref(), Some("ana@example.com"));
    }

    #[test]
    fn a_bad_item_names_the_field_and_the_path() {
        let metadata = r#"{"event_type": "prospect.created"}"#;
        let item = r#"{"prospect": {"prospect_id": "seven"}}"#;
        let err = Event::from_json("e", "prospect.created", metadata, item, 0).unwrap_err();
        assert_eq!(err.field, "item");
        assert_eq!(err.path, "prospect.prospect_id");
        let message = err.to_string();
        assert!(
            message.starts_with("cannot decode the event's `item` at `prospect.prospect_id`: "),
            "{message}"
        );
        assert!(
            message.contains("invalid type: string \"seven\""),
            "{message}"
        );
    }

    #[test]
    fn bad_metadata_json_names_the_metadata_field() {
        let err = Event::from_json("e", "prospect.created", "{not json", "{}", 0).unwrap_err();
        assert_eq!(err.field, "metadata");
        assert!(err.to_string().contains("`metadata`"), "{err}");
    }

    #[test]
    fn trailing_characters_are_refused() {
        let metadata = r#"{"event_type": "prospect.created"} x"#;
        let item = r#"{"prospect": {"prospect_id": 1}}"#;
        let err = Event::from_json("e", "prospect.created", metadata, item, 0).unwrap_err();
        assert_eq!(err.field, "metadata");
    }
}
