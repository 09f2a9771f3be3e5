//! `check-plugin --event-id ID`: a stored event fetched from a running host through the admin API
//! (`GET /api/v1/events/{id}`), with what the host did with it, to run the plugin on it again.

use serde::Serialize;
use smartreach_plugin_runtime::PluginEvent;
use smartreach_store::{DeliveryDetail, EventDetail};

use crate::cli::HostArgs;
use crate::client::{AdminClient, ClientError, path_segment};

/// What the host holds of one event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The event with its deliveries and their attempts.
    pub detail: EventDetail,
    /// The host it came from.
    pub url: String,
}

/// The deliveries of the event to the plugin being checked.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The host it came from.
    pub url: String,
    /// The event.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// The plugin's deliveries of it, oldest first, each with its attempts.
    pub deliveries: Vec<DeliveryDetail>,
}

/// Fetches event `id` from `host` (a blocking request, run off the async runtime).
pub async fn fetch(host: &HostArgs, id: &str) -> Result<StoredEvent, ClientError> {
    let url = host.url.clone();
    let host = host.clone();
    let path = format!("/api/v1/events/{}", path_segment(id));
    let detail = tokio::task::spawn_blocking(move || {
        AdminClient::new(&host)?.get::<EventDetail>(&path, &[])
    })
    .await
    .expect("the admin request does not panic")?;
    Ok(StoredEvent { detail, url })
}

impl StoredEvent {
    /// The event as a plugin receives it: a first attempt, as a replay would make it.
    pub fn plugin_event(&self) -> PluginEvent {
        PluginEvent {
            id: self.detail.summary.id.clone(),
            event_type: self.detail.summary.event_type.clone(),
            metadata: self.detail.metadata.to_string(),
            item: self.detail.item.to_string(),
            attempt: 0,
        }
    }

    /// Its deliveries to `plugin`.
    pub fn history(&self, plugin: &str) -> History {
        History {
            url: self.url.clone(),
            event_id: self.detail.summary.id.clone(),
            event_type: self.detail.summary.event_type.clone(),
            deliveries: self
                .detail
                .deliveries
                .iter()
                .filter(|delivery| delivery.summary.plugin == plugin)
                .cloned()
                .collect(),
        }
    }
}
