//! smartreach-config: the host's configuration, read once at start. The binary loads it
//! ([`Config::load`]) before anything else runs and hands each part to its user: `listen`, `http.*`,
//! `ingest.*` and the sources to the HTTP host, `delivery.*` and `plugins.*` to dispatch,
//! `store.*` and `retention.*` to the store's owner, `log.*` to the logger. Nothing here does I/O
//! beyond reading the configuration file.
//!
//! The configuration is resolved from four layers, lowest first:
//!
//! 1. the built-in defaults, [`DEFAULTS`](crate::DEFAULTS) (`defaults.toml`, which is
//!    also the reference of every key);
//! 2. a TOML file, from `--config` or `SMARTREACH_HOOKS_CONFIG`;
//! 3. environment variables `SMARTREACH_HOOKS_*` (`SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES` sets
//!    `ingest.max_body_bytes`);
//! 4. command-line flags ([`Overrides`](crate::Overrides)).
//!
//! The layers merge as TOML tables and are deserialized once, so an unknown key or a value of the
//! wrong type is reported the same way whichever layer set it, naming the key and that layer.
//! [`Config::load`](crate::Config::load) then validates the values and fills the defaults
//! that depend on `data_dir`.

mod duration;
mod env;
mod error;
mod layers;
mod load;
mod raw;
mod store;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use smartreach_network::Network;

pub use error::ConfigError;
pub use layers::Origin;
pub use store::{PostgresUrl, StoreConfig};

/// The built-in defaults and the commented reference of every key: print it to show users what
/// they can configure.
pub const DEFAULTS: &str = include_str!("defaults.toml");

/// Values from command-line flags, the highest layer. `None` leaves the key to the lower layers.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--config`: the TOML file to read (else `SMARTREACH_HOOKS_CONFIG`, else none).
    pub config_file: Option<PathBuf>,
    /// `--listen`: sets `listen`.
    pub listen: Option<String>,
    /// `--data-dir`: sets `data_dir`.
    pub data_dir: Option<PathBuf>,
    /// `--plugin-dir`: sets `plugin_dir`.
    pub plugin_dir: Option<PathBuf>,
    /// `--log-format`: sets `log.format` (`text` or `json`).
    pub log_format: Option<String>,
    /// `--store-url`: sets `store.url`.
    pub store_url: Option<String>,
}

/// The resolved, validated configuration. `defaults.toml` documents each key.
#[derive(Clone, PartialEq)]
pub struct Config {
    /// `listen`: the address the HTTP server binds.
    pub listen: SocketAddr,
    /// `data_dir`: the folder of the server's state.
    pub data_dir: PathBuf,
    /// `plugin_dir`: the plugin folder; default `{data_dir}/plugins`.
    pub plugin_dir: PathBuf,
    /// `[store]`: the SQLite database (`store.path`, default `{data_dir}/smartreach-hooks.db`),
    /// or the store `store.url` names.
    pub store: StoreConfig,
    /// `plugins.cache_dir`: compiled plugins; default `{data_dir}/cache`.
    pub cache_dir: PathBuf,
    /// `[log]`.
    pub log: LogConfig,
    /// `[ingest]`.
    pub ingest: IngestConfig,
    /// `[[sources]]`: the senders and their tokens. Empty when none is configured.
    pub sources: Vec<SourceConfig>,
    /// `[delivery]`.
    pub delivery: DeliveryConfig,
    /// `[plugins]`.
    pub plugins: PluginsConfig,
    /// `[outbound]`.
    pub outbound: OutboundConfig,
    /// `shutdown.grace_period`: how long in-flight work may take to finish on shutdown.
    pub shutdown_grace: Duration,
    /// `[retention]`: how long stored events and attempts are kept.
    pub retention: RetentionConfig,
    /// `admin.token`: the admin API's bearer token; `None` turns the admin API off.
    pub admin_token: Option<String>,
    /// `[http]`: how long and how many connections a client may hold.
    pub http: HttpConfig,
}

/// `[http]`: the bounds that keep slow or idle clients from holding the server's connections
/// (and file descriptors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `http.header_read_timeout`: a request's line and headers must arrive within this, counted
    /// from the connection's accept or the request's first byte.
    pub header_read_timeout: Duration,
    /// `http.idle_timeout`: how long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// `http.max_connections`: connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
}

/// `[log]`: how the server logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `log.format`.
    pub format: LogFormat,
    /// `log.filter`: which lines to write, in tracing's `EnvFilter` syntax.
    pub filter: String,
}

/// `log.format`: the shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `text`: human-readable lines.
    Text,
    /// `json`: one JSON object per line.
    Json,
}

/// `[ingest]`: receiving webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestConfig {
    /// `ingest.max_body_bytes`: the largest body accepted.
    pub max_body_bytes: usize,
    /// `ingest.max_items`: the most data items (events) one webhook may hold; each is stored as
    /// an event and a delivery per subscribed plugin, so this bounds what one request stores.
    pub max_items: usize,
    /// `ingest.dedup_window`: how long a webhook id is remembered to drop resends.
    pub dedup_window: Duration,
    /// `ingest.signature_tolerance`: how far a signed request's timestamp may be from now.
    pub signature_tolerance: Duration,
    /// `ingest.body_timeout`: how long a client may take to send a whole body (else 408).
    pub body_timeout: Duration,
}

/// One `[[sources]]` entry: a sender, the tokens that identify it and its signing secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// `name`: unique, `[A-Za-z0-9_-]+`.
    pub name: String,
    /// `tokens`: at least one; each at least 16 URL-path-safe characters, unique across sources.
    pub tokens: Vec<String>,
    /// `signing_secrets`, decoded: when not empty, every request of this source must carry a valid
    /// Standard Webhooks signature made with one of them.
    pub signing_secrets: Vec<Vec<u8>>,
}

/// `[delivery]`: running plugins on stored events.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// `delivery.workers`: deliveries in flight at most.
    pub workers: usize,
    /// `delivery.retry_schedule`: the delays before attempts 2, 3, ...; its length is the number
    /// of retries.
    pub retry_schedule: Vec<Duration>,
    /// `delivery.jitter`: the random spread of each delay, a fraction in `[0, 1]`.
    pub jitter: f64,
    /// `delivery.poll_interval`: how often idle workers look for due deliveries.
    pub poll_interval: Duration,
    /// `delivery.lease`: how long a claim holds without being renewed (renewed every third of it
    /// while held).
    pub lease: Duration,
    /// `delivery.breaker_failures`: failed attempts of a plugin in a row (retries asked for and
    /// faults) that open its circuit breaker; 0 turns the breaker off.
    pub breaker_failures: u32,
    /// `delivery.breaker_backoff`: how long an open breaker holds the plugin back before one
    /// delivery probes it.
    pub breaker_backoff: Duration,
}

/// `[retention]`: pruning of old, finished events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// `retention.max_age`: webhooks older than this are deleted once nothing of them is open.
    pub max_age: Duration,
    /// `retention.interval`: how often the pruning runs.
    pub interval: Duration,
}

/// `[plugins]`: loading and running plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginsConfig {
    /// `plugins.reload_interval`: how often the plugin folder is checked for changes.
    pub reload_interval: Duration,
    /// `plugins.max_instances`: plugin instances alive at once, across all plugins.
    pub max_instances: u32,
}

/// `[outbound]`: where plugins' HTTP requests may go, beyond what each manifest allows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboundConfig {
    /// `outbound.allowed_networks`: networks plugins may reach although they are not public
    /// (loopback, private, link-local, ...). Empty by default.
    pub allowed_networks: Vec<Network>,
}

/// Stands in for a secret in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// `n` redacted list items: the count is not secret and helps when debugging rotation.
struct RedactedList(usize);

impl fmt::Debug for RedactedList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(std::iter::repeat_n(&Redacted, self.0))
            .finish()
    }
}

impl fmt::Debug for SourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceConfig")
            .field("name", &self.name)
            .field("tokens", &RedactedList(self.tokens.len()))
            .field("signing_secrets", &RedactedList(self.signing_secrets.len()))
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("plugin_dir", &self.plugin_dir)
            .field("store", &self.store)
            .field("cache_dir", &self.cache_dir)
            .field("log", &self.log)
            .field("ingest", &self.ingest)
            .field("sources", &self.sources)
            .field("delivery", &self.delivery)
            .field("plugins", &self.plugins)
            .field("outbound", &self.outbound)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("retention", &self.retention)
            .field("admin_token", &self.admin_token.as_ref().map(|_| Redacted))
            .field("http", &self.http)
            .finish()
    }
}
