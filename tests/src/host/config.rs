//! Test host configuration: the default source, tokens, and the config file a test host starts with.

use std::path::Path;
use std::time::Duration;

/// The token of the default source, `smartreach`.
pub const TOKEN: &str = "test-token-0123456789abcdef";
/// The name of the default source.
pub const SOURCE: &str = "smartreach";
/// The admin token of a test host whose config sets `admin.token` (see [`Config::with_admin`]).
pub const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef";
/// The retry schedule of every test host: attempts 2, 3 and 4 after these delays, then dead.
pub const RETRY_SCHEDULE: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(300),
];

/// A configured source: a sender, known by the token in the URL it posts to
/// (`/hooks/smartreach/{token}`).
#[derive(Debug, Clone)]
pub struct Source {
    /// `name`: the source's name.
    pub name: String,
    /// `tokens`: the URL tokens it posts with.
    pub tokens: Vec<String>,
    /// `whsec_...` secrets; when any is set, a Standard Webhooks signature is required.
    pub signing_secrets: Vec<String>,
}

/// The host's configuration file, as the tests vary it.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[[sources]]`.
    pub sources: Vec<Source>,
    /// `ingest.max_body_bytes`.
    pub max_body_bytes: u64,
    /// `ingest.dedup_window` (e.g. `"24h"`).
    pub dedup_window: String,
    /// `ingest.signature_tolerance` (e.g. `"5m"`).
    pub signature_tolerance: String,
    /// `ingest.body_timeout` (e.g. `"1s"`); `None` keeps the host's default.
    pub body_timeout: Option<String>,
    /// `delivery.workers`.
    pub workers: u32,
    /// `delivery.retry_schedule` (written in milliseconds; jitter is always 0).
    pub retry_schedule: Vec<Duration>,
    /// `delivery.poll_interval`.
    pub poll_interval: String,
    /// `delivery.lease` (e.g. `"3s"`); `None` keeps the host's default.
    pub lease: Option<String>,
    /// `delivery.breaker_failures`: 0 (off) unless a test of the breaker sets it, so that the
    /// suites' failing plugins run through their retry schedules undisturbed.
    pub breaker_failures: u32,
    /// `delivery.breaker_backoff` (e.g. `"2s"`).
    pub breaker_backoff: String,
    /// `plugins.reload_interval`.
    pub reload_interval: String,
    /// `shutdown.grace_period`.
    pub grace_period: String,
    /// `log.format`: `text` or `json`.
    pub log_format: String,
    /// `log.filter`.
    pub log_filter: String,
    /// `admin.token`; `None` leaves the admin API off.
    pub admin_token: Option<String>,
    /// `retention.max_age` (e.g. `"1s"`); `None` keeps the host's default.
    pub retention_max_age: Option<String>,
    /// `retention.interval` (e.g. `"200ms"`); `None` keeps the host's default.
    pub retention_interval: Option<String>,
    /// `[http]` keys (`header_read_timeout`, `idle_timeout`, `max_connections`) as TOML values
    /// (`"\"2s\""`, `"16"`); empty keeps the host's defaults.
    pub http: Vec<(&'static str, String)>,
    /// `outbound.allowed_networks`: networks the host lets plugins reach although they are not
    /// public. Empty, the host's default; see [`Config::reaching_loopback`].
    pub allowed_networks: Vec<String>,
    /// `store.url`; `None` keeps the SQLite store in the data folder.
    pub store_url: Option<String>,
    /// A compile cache of the host's own (`{data_dir}/cache`, empty at the first start) instead
    /// of the suite's shared one: its plugins compile cold.
    pub own_cache: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sources: vec![Source {
                name: SOURCE.to_owned(),
                tokens: vec![TOKEN.to_owned()],
                signing_secrets: Vec::new(),
            }],
            max_body_bytes: 1024 * 1024,
            dedup_window: "24h".to_owned(),
            signature_tolerance: "5m".to_owned(),
            body_timeout: None,
            workers: 16,
            retry_schedule: RETRY_SCHEDULE.to_vec(),
            poll_interval: "50ms".to_owned(),
            lease: None,
            breaker_failures: 0,
            breaker_backoff: "1m".to_owned(),
            reload_interval: "200ms".to_owned(),
            grace_period: "5s".to_owned(),
            log_format: "json".to_owned(),
            log_filter: "info".to_owned(),
            admin_token: None,
            retention_max_age: None,
            retention_interval: None,
            http: Vec::new(),
            allowed_networks: Vec::new(),
            store_url: None,
            own_cache: false,
        }
    }
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|item| crate::plugins::toml_string(item))
        .collect();
    format!("[{}]", items.join(", "))
}

impl Config {
    /// The default configuration with the admin API on, behind [`ADMIN_TOKEN`].
    pub fn with_admin() -> Self {
        Self {
            admin_token: Some(ADMIN_TOKEN.to_owned()),
            ..Self::default()
        }
    }

    /// This configuration with loopback in `outbound.allowed_networks`: for every suite whose
    /// plugins send to a [`CaptureServer`](crate::capture::CaptureServer), which listens
    /// on 127.0.0.1. Without it the host refuses those requests by address, as it must for
    /// plugins in production.
    pub fn reaching_loopback(self) -> Self {
        Self {
            allowed_networks: vec!["127.0.0.0/8".to_owned(), "::1/128".to_owned()],
            ..self
        }
    }

    /// The TOML file for a host whose data and plugins live under the given folders, compiling
    /// plugins into `cache_dir`.
    pub fn to_toml(&self, data_dir: &Path, plugin_dir: &Path, cache_dir: &Path) -> String {
        let string = |value: &str| crate::plugins::toml_string(value);
        let schedule: Vec<String> = self
            .retry_schedule
            .iter()
            .map(|delay| format!("{}ms", delay.as_millis()))
            .collect();
        let mut text = format!(
            "listen = \"127.0.0.1:0\"\n\
             data_dir = {}\n\
             plugin_dir = {}\n\
             \n[log]\nformat = {}\nfilter = {}\n\
             \n[ingest]\nmax_body_bytes = {}\ndedup_window = {}\nsignature_tolerance = {}\n",
            string(&data_dir.to_string_lossy()),
            string(&plugin_dir.to_string_lossy()),
            string(&self.log_format),
            string(&self.log_filter),
            self.max_body_bytes,
            string(&self.dedup_window),
            string(&self.signature_tolerance),
        );
        if let Some(timeout) = &self.body_timeout {
            text.push_str(&format!("body_timeout = {}\n", string(timeout)));
        }
        for source in &self.sources {
            text.push_str(&format!(
                "\n[[sources]]\nname = {}\ntokens = {}\n",
                string(&source.name),
                toml_list(&source.tokens)
            ));
            if !source.signing_secrets.is_empty() {
                text.push_str(&format!(
                    "signing_secrets = {}\n",
                    toml_list(&source.signing_secrets)
                ));
            }
        }
        text.push_str(&format!(
            "\n[delivery]\nworkers = {}\nretry_schedule = {}\njitter = 0.0\npoll_interval = {}\n\
             breaker_failures = {}\nbreaker_backoff = {}\n",
            self.workers,
            toml_list(&schedule),
            string(&self.poll_interval),
            self.breaker_failures,
            string(&self.breaker_backoff),
        ));
        if let Some(lease) = &self.lease {
            text.push_str(&format!("lease = {}\n", string(lease)));
        }
        text.push_str(&format!(
            "\n[plugins]\nreload_interval = {}\n",
            string(&self.reload_interval),
        ));
        text.push_str(&format!(
            "cache_dir = {}\n",
            string(&cache_dir.to_string_lossy())
        ));
        text.push_str(&format!(
            "\n[shutdown]\ngrace_period = {}\n",
            string(&self.grace_period)
        ));
        if self.retention_max_age.is_some() || self.retention_interval.is_some() {
            text.push_str("\n[retention]\n");
            if let Some(max_age) = &self.retention_max_age {
                text.push_str(&format!("max_age = {}\n", string(max_age)));
            }
            if let Some(interval) = &self.retention_interval {
                text.push_str(&format!("interval = {}\n", string(interval)));
            }
        }
        if !self.allowed_networks.is_empty() {
            text.push_str(&format!(
                "\n[outbound]\nallowed_networks = {}\n",
                toml_list(&self.allowed_networks)
            ));
        }
        if let Some(token) = &self.admin_token {
            text.push_str(&format!("\n[admin]\ntoken = {}\n", string(token)));
        }
        if let Some(url) = &self.store_url {
            text.push_str(&format!("\n[store]\nurl = {}\n", string(url)));
        }
        if !self.http.is_empty() {
            text.push_str("\n[http]\n");
            for (key, value) in &self.http {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        text
    }
}
