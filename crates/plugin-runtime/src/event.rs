//! The event handed to a plugin: one data item of a stored webhook.

use smartreach_models::{StoredWebhook, WebhookPayload};

/// One (webhook, data item) pair as a plugin receives it. `metadata` and `item` cross the sandbox
/// as JSON; the plugin SDK decodes them into the typed models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginEvent {
    /// Stable id of the pair, the same on every attempt: plugins use it as an idempotency key.
    pub id: String,
    /// The normalised event type name.
    pub event_type: String,
    /// The webhook's `metadata`, as JSON.
    pub metadata: String,
    /// One element of `data`, as JSON.
    pub item: String,
    /// Attempts of this delivery before this one.
    pub attempt: u32,
}

impl PluginEvent {
    /// One event per data item of `payload`, as the host stores them ([`StoredWebhook::of`]):
    /// ids `{webhook_id}:{index}`.
    pub fn from_payload(webhook_id: &str, payload: &WebhookPayload) -> Vec<Self> {
        let stored = StoredWebhook::of(webhook_id, payload);
        stored
            .events
            .into_iter()
            .map(|event| Self {
                id: event.id,
                event_type: stored.event_type.clone(),
                metadata: stored.metadata.clone(),
                item: event.item,
                attempt: 0,
            })
            .collect()
    }
}
