//! The shape of the merged configuration table, deserialized once, before validation.
//!
//! Every key with a fixed default is required here: `defaults.toml` supplies it, so a default lives
//! in exactly one place. Keys whose default depends on another key (`plugin_dir` on `data_dir`) are
//! optional and resolved in `validate`.
//!
//! No `Debug` here: these structs hold tokens and secrets before they are wrapped in the redacting
//! public types.

use std::path::PathBuf;

use serde::Deserialize;

use super::LogFormat;
use super::duration::ConfigDuration;

/// Every key, dotted. An environment variable must name one of these or a table above them;
/// `sources` is set whole (an array of tables). Keep in step with the structs below and
/// `defaults.toml` (tests check both).
pub(crate) const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "plugin_dir",
    "store.path",
    "store.url",
    "log.format",
    "log.filter",
    "ingest.max_body_bytes",
    "ingest.max_items",
    "ingest.dedup_window",
    "ingest.signature_tolerance",
    "ingest.body_timeout",
    "sources",
    "delivery.workers",
    "delivery.retry_schedule",
    "delivery.jitter",
    "delivery.poll_interval",
    "delivery.lease",
    "delivery.breaker_failures",
    "delivery.breaker_backoff",
    "plugins.reload_interval",
    "plugins.max_instances",
    "plugins.cache_dir",
    "outbound.allowed_networks",
    "shutdown.grace_period",
    "retention.max_age",
    "retention.interval",
    "admin.token",
    "http.header_read_timeout",
    "http.idle_timeout",
    "http.max_connections",
];

/// The keys of one `[[sources]]` entry.
#[cfg(test)]
pub(crate) const SOURCE_KEYS: &[&str] = &["name", "tokens", "signing_secrets"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub listen: String,
    pub data_dir: PathBuf,
    #[serde(default)]
    pub plugin_dir: Option<PathBuf>,
    #[serde(default)]
    pub store: RawStore,
    pub log: RawLog,
    pub ingest: RawIngest,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    pub delivery: RawDelivery,
    pub plugins: RawPlugins,
    pub outbound: RawOutbound,
    pub shutdown: RawShutdown,
    pub retention: RawRetention,
    #[serde(default)]
    pub admin: RawAdmin,
    pub http: RawHttp,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    #[serde(default)]
    pub path: Option<PathBuf>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIngest {
    pub max_body_bytes: usize,
    pub max_items: usize,
    pub dedup_window: ConfigDuration,
    pub signature_tolerance: ConfigDuration,
    pub body_timeout: ConfigDuration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub name: String,
    pub tokens: Vec<String>,
    #[serde(default)]
    pub signing_secrets: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDelivery {
    pub workers: usize,
    pub retry_schedule: Vec<ConfigDuration>,
    pub jitter: f64,
    pub poll_interval: ConfigDuration,
    pub lease: ConfigDuration,
    pub breaker_failures: u32,
    pub breaker_backoff: ConfigDuration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlugins {
    pub reload_interval: ConfigDuration,
    pub max_instances: u32,
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutbound {
    pub allowed_networks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShutdown {
    pub grace_period: ConfigDuration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetention {
    pub max_age: ConfigDuration,
    pub interval: ConfigDuration,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttp {
    pub header_read_timeout: ConfigDuration,
    pub idle_timeout: ConfigDuration,
    pub max_connections: usize,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::DEFAULTS;

    /// The keys `defaults.toml` shows, active or commented out (`# key = example`).
    fn documented_keys() -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        let mut section = String::new();
        for line in DEFAULTS.lines() {
            let body = line.strip_prefix("# ").unwrap_or(line);
            if let Some(name) = body.strip_prefix("[[").and_then(|b| b.strip_suffix("]]")) {
                section = name.to_owned();
                keys.insert(section.clone());
            } else if let Some(name) = body.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
                section = name.to_owned();
            } else if let Some((key, _)) = body.split_once(" = ")
                && !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                keys.insert(match section.as_str() {
                    "" => key.to_owned(),
                    section => format!("{section}.{key}"),
                });
            }
        }
        keys
    }

    #[test]
    fn defaults_toml_documents_every_key_and_no_other() {
        let mut expected: BTreeSet<String> = KEYS.iter().map(|k| k.to_string()).collect();
        expected.extend(SOURCE_KEYS.iter().map(|k| format!("sources.{k}")));
        assert_eq!(documented_keys(), expected);
    }

    #[test]
    fn every_active_default_is_a_known_key() {
        let defaults: toml::Table = DEFAULTS.parse().unwrap();
        for (section, value) in &defaults {
            match value {
                toml::Value::Table(table) => {
                    for key in table.keys() {
                        let dotted = format!("{section}.{key}");
                        assert!(KEYS.contains(&dotted.as_str()), "{dotted}");
                    }
                }
                _ => assert!(KEYS.contains(&section.as_str()), "{section}"),
            }
        }
    }
}
