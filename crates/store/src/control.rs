//! What holds a plugin's deliveries back, kept in the store so that every host sharing it follows
//! it and it survives restarts: a pause by an operator, and a hold until a time set by a host
//! (the plugin's upstream asked to wait, or its circuit breaker opened).

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The delivery controls of one plugin, as [`crate::Store::set_paused`] and [`crate::Store::hold`]
/// left them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginControl {
    /// The plugin.
    pub plugin: String,
    /// When an operator paused it (Unix ms), or `None` while it runs. A paused plugin's
    /// deliveries are not claimed: they wait, `pending`, until it is resumed.
    pub paused_since: Option<Timestamp>,
    /// Until when its deliveries are held back (Unix ms), when that is later than the time the
    /// controls were read; `None` otherwise.
    pub held_until: Option<Timestamp>,
    /// Why they are held back (with `held_until`).
    pub held_because: Option<String>,
}
