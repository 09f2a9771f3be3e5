//! The plugin manifest: an optional `NAME.toml` beside `NAME.wasm` in the plugin folder.
//!
//! A bare `NAME.wasm` runs with what the plugin declares about itself. The manifest overrides the
//! event types, grants outbound hosts (none by default), sets configuration values (secrets come from
//! environment variables it names, never from the file) and tightens or loosens limits.
//!
//! ```toml
//! events = ["activity.email.replied"]
//! allowed_outbound_hosts = ["hooks.slack.com"]
//!
//! [config]
//! channel = "#sales"
//! webhook_url = { env = "SLACK_WEBHOOK_URL" }
//!
//! [limits]
//! timeout_ms = 5000
//! memory_mib = 32
//! ```
//!
//! Its JSON Schema, `schema/plugin-manifest.schema.json`, is generated from [`Manifest`] by
//! `cargo xtask codegen`.

mod allowed_host;
mod config_value;
mod limits;
mod parse;
mod rate;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use allowed_host::{AllowedHost, AllowedHostError};
pub use config_value::{ConfigValue, ResolveError};
pub use limits::Limits;
pub use parse::ManifestError;
pub use rate::{DEFAULT_BURST_WINDOW, Rate, RatePeriod};

/// The contents of a plugin's `NAME.toml`. Every key is optional; unknown keys are errors, so a typo
/// never silently changes what a plugin may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Plugin manifest")]
pub struct Manifest {
    /// The event types the plugin runs on, replacing those it declares: documented names
    /// (`activity.email.replied`), other names as SmartReach sends them, or `"*"` for every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,

    /// Hosts the plugin may send HTTP requests to: `host`, `host:port`, `*.example.com`, optionally
    /// with a scheme (`https://api.example.com`). Requests to any other host are refused before a
    /// connection is made. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_outbound_hosts: Vec<AllowedHost>,

    /// Configuration values the plugin reads with `config(name)`: a string, or `{ env = "VAR" }` to
    /// take the value from an environment variable of the host when the plugin loads.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, ConfigValue>,

    /// Resource limits of each invocation; unset keys take the host's defaults.
    #[serde(default)]
    pub limits: Limits,
}
