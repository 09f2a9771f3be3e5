//! "Payload -> stored events": the one place that decides how a webhook becomes the events the
//! host stores and hands to plugins. The host's ingest stores what [`StoredWebhook::of`] returns,
//! and the host's tools (`check-plugin`, the plugin runtime's tests) build their events with it, so
//! a plugin sees the same event id, `occurred_at` and JSON everywhere.

use crate::{DataItem, Metadata, WebhookPayload};

/// A webhook split into its events: the metadata once, and one [`StoredEvent`] per data item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWebhook {
    /// The normalised event type name, shared by every event of the webhook.
    pub event_type: String,
    /// The webhook's `metadata`, as JSON: stored once per webhook, not once per event (a webhook
    /// with many items would otherwise store it many times).
    pub metadata: String,
    /// One per element of `data`, in order.
    pub events: Vec<StoredEvent>,
}

/// One data item of a webhook, as stored and as a plugin receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// `{webhook_id}:{index}`: the same on every attempt, so plugins use it as an idempotency key.
    pub id: String,
    /// Position in `data`.
    pub index: u32,
    /// The prospect's id, as text: with the webhook's source, what orders deliveries.
    pub prospect_id: String,
    /// The prospect's email, for lookups.
    pub email: Option<String>,
    /// When it happened: see [`occurred_at`].
    pub occurred_at: Option<i64>,
    /// The data item, as JSON (serialised once, here).
    pub item: String,
}

impl StoredWebhook {
    /// Splits `payload`, received as webhook `webhook_id`, into its events.
    pub fn of(webhook_id: &str, payload: &WebhookPayload) -> Self {
        let metadata =
            serde_json::to_string(&payload.metadata).expect("the typed metadata always serialises");
        let events = payload
            .data
            .iter()
            .enumerate()
            .map(|(index, item)| StoredEvent {
                id: event_id(webhook_id, index),
                // `max_items` bounds the list far below u32::MAX; saturate rather than wrap.
                index: u32::try_from(index).unwrap_or(u32::MAX),
                prospect_id: item.prospect.prospect_id.to_string(),
                email: item.prospect.email.clone(),
                occurred_at: occurred_at(&payload.metadata, item),
                item: serde_json::to_string(item).expect("a typed data item always serialises"),
            })
            .collect();
        Self {
            event_type: payload.metadata.event_type.as_str().to_owned(),
            metadata,
            events,
        }
    }
}

/// The id of the `index`th event of webhook `webhook_id`: `{webhook_id}:{index}`.
pub fn event_id(webhook_id: &str, index: usize) -> String {
    format!("{webhook_id}:{index}")
}

/// When an item happened: its activity's `created_at`, else the webhook's `received_at` (a
/// prospect event has no activity).
pub fn occurred_at(metadata: &Metadata, item: &DataItem) -> Option<i64> {
    item.activity
        .as_ref()
        .and_then(|activity| activity.created_at)
        .or(metadata.received_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_per_item_with_the_metadata_once() {
        let payload = crate::parse_str(
            r#"{"metadata": {"event_type": "activity.email.opened", "received_at": 5, "team": 1},
                "data": [
                  {"prospect": {"prospect_id": 7, "email": "a@example.com"},
                   "activity": {"created_at": 9}},
                  {"prospect": {"prospect_id": 8}}
                ]}"#,
        )
        .unwrap();
        let stored = StoredWebhook::of("W", &payload);
        assert_eq!(stored.event_type, "activity.email.opened");
        let metadata: serde_json::Value = serde_json::from_str(&stored.metadata).unwrap();
        assert_eq!(metadata["team"], 1, "unknown metadata fields are kept");
        let ids: Vec<_> = stored.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["W:0", "W:1"]);
        assert_eq!(stored.events[1].index, 1);
        assert_eq!(stored.events[0].prospect_id, "7");
        assert_eq!(stored.events[0].email.as_deref(), Some("a@example.com"));
        assert_eq!(stored.events[0].occurred_at, Some(9), "the activity's time");
        assert_eq!(stored.events[1].occurred_at, Some(5), "else the webhook's");
        let item: serde_json::Value = serde_json::from_str(&stored.events[1].item).unwrap();
        assert_eq!(item["prospect"]["prospect_id"], 8);
        assert!(
            !stored.events[0].item.contains("event_type"),
            "an item does not carry the metadata"
        );
    }
}
