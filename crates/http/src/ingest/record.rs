//! A parsed webhook as the store keeps it: the body as received, its metadata once, one event per
//! data item (split by [`StoredWebhook::of`], the one owner of that rule), and the plugins
//! subscribed to its event type at this moment.

use sha2::{Digest, Sha256};
use smartreach_dispatch::plugins::PluginSet;
use smartreach_models::{StoredWebhook, WebhookPayload};
use smartreach_store::{NewEvent, NewWebhook, Timestamp};

use crate::ids::webhook_id;

pub(super) fn new_webhook(
    source: &str,
    received_at: Timestamp,
    body: Vec<u8>,
    payload: &WebhookPayload,
    plugins: &PluginSet,
) -> NewWebhook {
    let id = webhook_id(received_at);
    let stored = StoredWebhook::of(&id, payload);
    let plugins = plugins.subscribers(&stored.event_type);
    let events = stored
        .events
        .into_iter()
        .map(|event| NewEvent {
            id: event.id,
            index: event.index,
            event_type: stored.event_type.clone(),
            prospect_id: Some(event.prospect_id),
            email: event.email,
            occurred_at: event.occurred_at,
            item: event.item,
        })
        .collect();
    NewWebhook {
        id,
        source: source.to_owned(),
        received_at,
        body_sha256: hex(&Sha256::digest(&body)),
        body,
        event_type: stored.event_type,
        metadata: stored.metadata,
        events,
        plugins,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
