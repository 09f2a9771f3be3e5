//! A loaded plugin: compiled, linked and declared once, ready to be instantiated per event.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::bindings::PluginPre;
use crate::outbound::OutboundPolicy;
use crate::state::InstanceState;

/// What a plugin declares about itself (its `declare` export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    /// The event types it asks for.
    pub event_types: Vec<String>,
    /// One line about what it does.
    pub description: String,
    /// The configuration keys it reads.
    pub config: Vec<ConfigKey>,
}

/// A configuration key a plugin declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigKey {
    /// The key.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The value used when the manifest sets none.
    pub default: Option<String>,
    /// Whether the plugin refuses to load without a value.
    pub required: bool,
}

/// The event types a plugin runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscriptions {
    /// `*`: every event, including undocumented types.
    All,
    /// These event type names.
    Only(Vec<String>),
}

impl Subscriptions {
    pub(crate) fn from_names(names: &[String]) -> Self {
        if names.iter().any(|name| name == "*") {
            Self::All
        } else {
            Self::Only(names.to_vec())
        }
    }

    /// Whether an event of type `event_type` goes to the plugin.
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(names) => names.iter().any(|name| name == event_type),
        }
    }
}

/// The effective limits of a plugin: its manifest's, else the host's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Wall-clock deadline of one invocation.
    pub timeout: Duration,
    /// Linear-memory cap of one instance, in bytes.
    pub memory_bytes: u64,
    /// Timeout of one outbound HTTP request; never above [`Limits::timeout`] (a manifest asking
    /// for more gets the deadline).
    pub http_timeout: Duration,
    /// Largest outbound response body, in bytes.
    pub max_response_bytes: u64,
    /// Invocations that may run at once.
    pub max_concurrency: u32,
    /// Deliveries that may start per second or minute (`limits.rate`), enforced by the
    /// dispatcher before it claims them; `None`: no limit.
    pub rate: Option<smartreach_plugin_manifest::Rate>,
}

/// A plugin ready to run. Cheap to share: instances are made from the pre-linked component.
pub struct Plugin {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) hash: String,
    pub(crate) declaration: Declaration,
    pub(crate) subscriptions: Subscriptions,
    pub(crate) limits: Limits,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) outbound: OutboundPolicy,
    pub(crate) pre: PluginPre<InstanceState>,
    pub(crate) max_output_bytes: usize,
    pub(crate) epoch_tick: Duration,
    /// [`crate::RuntimeConfig::fixed_wall_clock`].
    pub(crate) fixed_wall_clock: Option<Duration>,
    /// `limits.max_concurrency` permits.
    pub(crate) permits: Arc<tokio::sync::Semaphore>,
    /// Keeps the deadline clock running while the plugin exists.
    pub(crate) _clock: Arc<crate::engine::EpochTicker>,
}

impl Plugin {
    /// The plugin's name: its file name without `.wasm`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `.wasm` file it was loaded from.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// SHA-256 of the `.wasm` file, hex: identifies the loaded version.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// What the plugin declared.
    pub fn declaration(&self) -> &Declaration {
        &self.declaration
    }

    /// The event types it runs on: the manifest's `events`, else its declaration.
    pub fn subscriptions(&self) -> &Subscriptions {
        &self.subscriptions
    }

    /// Whether an event of type `event_type` goes to this plugin.
    pub fn handles(&self, event_type: &str) -> bool {
        self.subscriptions.matches(event_type)
    }

    /// Its effective limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The hosts it may send HTTP requests to.
    pub fn allowed_outbound_hosts(&self) -> Vec<String> {
        self.outbound
            .allowed
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The names of its resolved configuration values (values are not exposed: some are secrets).
    pub fn config_keys(&self) -> Vec<&str> {
        self.config.keys().map(String::as_str).collect()
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("hash", &self.hash)
            .field("subscriptions", &self.subscriptions)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
