//! A parsed webhook as the store keeps it: the body as received, one event per data item, and the
//! plugins subscribed to its event type at this moment.

use sha2::{Digest, Sha256};
use smartreach_models::WebhookPayload;
use smartreach_plugin_runtime::PluginEvent;
use smartreach_store::{NewEvent, NewWebhook, Timestamp};

use crate::ids::webhook_id;
use crate::plugins::PluginSet;

pub(super) fn new_webhook(
    source: &str,
    received_at: Timestamp,
    body: Vec<u8>,
    payload: &WebhookPayload,
    plugins: &PluginSet,
) -> NewWebhook {
    let id = webhook_id(received_at);
    let event_type = payload.metadata.event_type.as_str().to_owned();
    let subscribers = plugins.subscribers(&event_type);
    let events = PluginEvent::from_payload(&id, payload)
        .into_iter()
        .zip(&payload.data)
        .enumerate()
        .map(|(index, (event, item))| NewEvent {
            id: event.id,
            index: index as u32,
            event_type: event.event_type,
            prospect_id: Some(item.prospect.prospect_id.to_string()),
            email: item.prospect.email.clone(),
            occurred_at: item
                .activity
                .as_ref()
                .and_then(|activity| activity.created_at)
                .or(payload.metadata.received_at),
            metadata: event.metadata,
            item: event.item,
            plugins: subscribers.clone(),
        })
        .collect();
    NewWebhook {
        id,
        source: source.to_owned(),
        received_at,
        body_sha256: hex(&Sha256::digest(&body)),
        body,
        event_type,
        events,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
