//! From the deserialized table to a [`Config`]: checks what types cannot express and fills the
//! defaults that depend on `data_dir`. Errors never quote a token or a secret.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use smartreach_webhook_signature::{SECRET_HINT, decode_secret};

use super::layers::Origins;
use super::raw::{RawConfig, RawSource, RawStore};
use super::store::scheme_of;
use super::{
    Config, ConfigError, DeliveryConfig, HttpConfig, IngestConfig, LogConfig, OutboundConfig,
    PluginsConfig, PostgresUrl, RetentionConfig, SourceConfig, StoreConfig,
};

/// Shortest token, admin token and decoded signing secret accepted: 16 characters or bytes.
const MIN_SECRET_LEN: usize = 16;

/// The most `http.max_connections` may be: past the kernel's usual open-files ceiling (2^20).
const MAX_CONNECTIONS: usize = 1_000_000;

/// The shortest `delivery.lease`: renewed every third of it, a shorter one would have the host
/// renewing more than once a second, and a store pausing for a second take deliveries away.
const MIN_LEASE: Duration = Duration::from_secs(3);

const TOKEN_HINT: &str = "use at least 16 random characters from A-Z a-z 0-9 . _ ~ -, \
                          like the output of `openssl rand -hex 24`";

/// Builds errors that name the layer that set the key.
struct Check<'a>(&'a Origins);

impl Check<'_> {
    fn invalid(&self, key: &str, message: String, hint: &str) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_owned(),
            origin: self.0.lookup(key),
            message,
            hint: hint.to_owned(),
        }
    }

    fn path(&self, key: &str, path: PathBuf) -> Result<PathBuf, ConfigError> {
        if path.as_os_str().is_empty() {
            return Err(self.invalid(
                key,
                "the path is empty".into(),
                "name a folder or file, or remove the key to use the default",
            ));
        }
        Ok(path)
    }

    fn positive(&self, key: &str, value: Duration) -> Result<Duration, ConfigError> {
        if value.is_zero() {
            return Err(self.invalid(
                key,
                "the duration is zero".into(),
                "use a positive duration, like \"250ms\"",
            ));
        }
        Ok(value)
    }

    fn lease(&self, key: &str, value: Duration) -> Result<Duration, ConfigError> {
        if value < MIN_LEASE {
            return Err(self.invalid(
                key,
                format!("the lease is {value:?}, shorter than {MIN_LEASE:?}"),
                "use 3s or more, like \"30s\" (the host renews it every third of it)",
            ));
        }
        Ok(value)
    }
}

/// Validates `raw` and resolves the defaults that depend on other keys.
pub(crate) fn resolve(raw: RawConfig, origins: &Origins) -> Result<Config, ConfigError> {
    let check = Check(origins);

    let listen: SocketAddr = raw.listen.parse().map_err(|_| {
        check.invalid(
            "listen",
            format!("{:?} is not a socket address", raw.listen),
            "write an IP address and a port, like 127.0.0.1:8080 or [::]:8080 \
             (host names are not resolved)",
        )
    })?;

    let data_dir = check.path("data_dir", raw.data_dir)?;
    let plugin_dir = match raw.plugin_dir {
        Some(path) => check.path("plugin_dir", path)?,
        None => data_dir.join("plugins"),
    };
    let store = store(&check, raw.store, &data_dir)?;
    let cache_dir = match raw.plugins.cache_dir {
        Some(path) => check.path("plugins.cache_dir", path)?,
        None => data_dir.join("cache"),
    };

    if raw.ingest.max_body_bytes == 0 {
        return Err(check.invalid(
            "ingest.max_body_bytes",
            "the limit is 0 bytes, which refuses every webhook".into(),
            "use a positive size in bytes, like 1048576 (1 MiB)",
        ));
    }
    if raw.ingest.max_items == 0 {
        return Err(check.invalid(
            "ingest.max_items",
            "the limit is 0 items, which refuses every webhook that holds an event".into(),
            "use a positive count, like 1000",
        ));
    }
    let ingest = IngestConfig {
        max_body_bytes: raw.ingest.max_body_bytes,
        max_items: raw.ingest.max_items,
        dedup_window: raw.ingest.dedup_window.0,
        signature_tolerance: check.positive(
            "ingest.signature_tolerance",
            raw.ingest.signature_tolerance.0,
        )?,
        body_timeout: check.positive("ingest.body_timeout", raw.ingest.body_timeout.0)?,
    };

    let sources = sources(&check, raw.sources)?;

    if raw.delivery.workers == 0 {
        return Err(check.invalid(
            "delivery.workers",
            "0 workers would never deliver anything".into(),
            "use 1 or more",
        ));
    }
    let jitter = raw.delivery.jitter;
    if !(0.0..=1.0).contains(&jitter) {
        return Err(check.invalid(
            "delivery.jitter",
            format!("{jitter} is outside [0, 1]"),
            "use a fraction from 0 (no jitter) to 1, like 0.2",
        ));
    }
    let delivery = DeliveryConfig {
        workers: raw.delivery.workers,
        retry_schedule: raw.delivery.retry_schedule.iter().map(|d| d.0).collect(),
        jitter,
        poll_interval: check.positive("delivery.poll_interval", raw.delivery.poll_interval.0)?,
        lease: check.lease("delivery.lease", raw.delivery.lease.0)?,
        breaker_failures: raw.delivery.breaker_failures,
        breaker_backoff: check
            .positive("delivery.breaker_backoff", raw.delivery.breaker_backoff.0)?,
    };

    if raw.plugins.max_instances == 0 {
        return Err(check.invalid(
            "plugins.max_instances",
            "0 instances would never run a plugin".into(),
            "use 1 or more, like 64",
        ));
    }
    let plugins = PluginsConfig {
        reload_interval: check
            .positive("plugins.reload_interval", raw.plugins.reload_interval.0)?,
        max_instances: raw.plugins.max_instances,
    };

    let mut allowed_networks = Vec::with_capacity(raw.outbound.allowed_networks.len());
    for (i, text) in raw.outbound.allowed_networks.iter().enumerate() {
        let network = text
            .parse()
            .map_err(|err: smartreach_network::NetworkError| {
                check.invalid(
                    &format!("outbound.allowed_networks[{i}]"),
                    err.to_string(),
                    "list networks in CIDR notation, like [\"10.20.0.0/16\", \"fd00::/8\"], or a \
                 single address, like \"10.20.0.5\"",
                )
            })?;
        allowed_networks.push(network);
    }
    let outbound = OutboundConfig { allowed_networks };

    if let Some(token) = &raw.admin.token {
        // It travels in an Authorization header: visible ASCII only, no spaces.
        if token.len() < MIN_SECRET_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(check.invalid(
                "admin.token",
                format!(
                    "the token must be at least {MIN_SECRET_LEN} visible ASCII characters \
                     without spaces"
                ),
                "use a long random value, like the output of `openssl rand -hex 24`, or unset \
                 the key to turn the admin API off",
            ));
        }
    }

    let retention = RetentionConfig {
        max_age: check.positive("retention.max_age", raw.retention.max_age.0)?,
        interval: check.positive("retention.interval", raw.retention.interval.0)?,
    };
    if retention.max_age < ingest.dedup_window {
        // A pruned webhook can no longer be recognised as redelivered.
        return Err(check.invalid(
            "retention.max_age",
            format!(
                "{:?} is shorter than ingest.dedup_window ({:?})",
                retention.max_age, ingest.dedup_window
            ),
            "keep webhooks at least as long as redeliveries are recognised: raise \
             retention.max_age or lower ingest.dedup_window",
        ));
    }

    if raw.http.max_connections == 0 {
        return Err(check.invalid(
            "http.max_connections",
            "0 connections would never accept a request".into(),
            "use 1 or more, like 1024",
        ));
    }
    if raw.http.max_connections > MAX_CONNECTIONS {
        return Err(check.invalid(
            "http.max_connections",
            format!(
                "{} connections is more than a process can hold open",
                raw.http.max_connections
            ),
            "use at most 1000000; each connection is an open file",
        ));
    }
    let http = HttpConfig {
        header_read_timeout: check
            .positive("http.header_read_timeout", raw.http.header_read_timeout.0)?,
        idle_timeout: check.positive("http.idle_timeout", raw.http.idle_timeout.0)?,
        max_connections: raw.http.max_connections,
    };

    Ok(Config {
        listen,
        data_dir,
        plugin_dir,
        store,
        cache_dir,
        log: LogConfig {
            format: raw.log.format,
            filter: log_filter(&check, raw.log.filter)?,
        },
        ingest,
        sources,
        delivery,
        plugins,
        outbound,
        shutdown_grace: raw.shutdown.grace_period.0,
        retention,
        admin_token: raw.admin.token,
        http,
    })
}

/// `[store]`: `store.path` or `store.url`, not both. A message never quotes the URL: it may hold
/// a password.
fn store(check: &Check<'_>, raw: RawStore, data_dir: &Path) -> Result<StoreConfig, ConfigError> {
    let url = match (raw.path, raw.url) {
        (Some(_), Some(_)) => {
            let path_set_by = check
                .0
                .lookup("store.path")
                .map(|origin| format!(" (by {origin})"))
                .unwrap_or_default();
            return Err(check.invalid(
                "store.url",
                format!("store.path is set too{path_set_by}, and the host uses one store"),
                "pick one: remove store.path to use the store of store.url, or remove store.url \
                 to keep the SQLite file of store.path",
            ));
        }
        (Some(path), None) => return Ok(StoreConfig::Sqlite(check.path("store.path", path)?)),
        (None, None) => return Ok(StoreConfig::Sqlite(data_dir.join("smartreach-hooks.db"))),
        (None, Some(url)) => url,
    };
    const URL_HINT: &str = "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE for the \
                            PostgreSQL store, or the path of a SQLite file";
    if url.trim().is_empty() {
        return Err(check.invalid("store.url", "the URL is empty".into(), URL_HINT));
    }
    if PostgresUrl::is_postgres(&url) {
        return Ok(StoreConfig::Postgres(PostgresUrl::new(url)));
    }
    if url.contains("://") {
        let what = match scheme_of(&url) {
            Some(scheme) => format!("`{scheme}://` is not a store this host knows"),
            None => "it is neither a postgres:// URL nor a path".to_owned(),
        };
        return Err(check.invalid("store.url", what, URL_HINT));
    }
    Ok(StoreConfig::Sqlite(PathBuf::from(url)))
}

/// `log.filter`, checked here so that its error names the layer that set it, as every key's does.
fn log_filter(check: &Check<'_>, filter: String) -> Result<String, ConfigError> {
    match tracing_subscriber::EnvFilter::try_new(&filter) {
        Ok(_) => Ok(filter),
        Err(err) => Err(check.invalid(
            "log.filter",
            format!("`{filter}` is not a valid filter: {err}"),
            "use the RUST_LOG syntax, like \"info\" or \"info,smartreach_dispatch=debug\"",
        )),
    }
}

fn sources(check: &Check<'_>, raw: Vec<RawSource>) -> Result<Vec<SourceConfig>, ConfigError> {
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut sources = Vec::with_capacity(raw.len());

    for (i, source) in raw.into_iter().enumerate() {
        let key = format!("sources[{i}]");
        let name = source.name;
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(check.invalid(
                &format!("{key}.name"),
                format!("{name:?} is not a source name"),
                "use letters, digits, _ and - only, like \"smartreach\"",
            ));
        }
        if let Some(other) = names.insert(name.clone(), i) {
            return Err(check.invalid(
                &format!("{key}.name"),
                format!("sources[{other}] is named {name:?} too"),
                "give every source its own name",
            ));
        }

        if source.tokens.is_empty() {
            return Err(check.invalid(
                &format!("{key}.tokens"),
                format!("source {name:?} has no token"),
                TOKEN_HINT,
            ));
        }
        for (j, token) in source.tokens.iter().enumerate() {
            let token_key = format!("{key}.tokens[{j}]");
            if token.len() < MIN_SECRET_LEN {
                return Err(check.invalid(
                    &token_key,
                    format!(
                        "the token is {} characters long, shorter than {MIN_SECRET_LEN}",
                        token.chars().count()
                    ),
                    TOKEN_HINT,
                ));
            }
            // Tokens travel in the URL path: only unreserved characters need no escaping.
            let path_safe = token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
            if !path_safe {
                return Err(check.invalid(
                    &token_key,
                    "the token has characters other than A-Z a-z 0-9 . _ ~ - (it must be safe \
                     in a URL path)"
                        .into(),
                    TOKEN_HINT,
                ));
            }
            if let Some(other) = tokens.insert(token.clone(), token_key.clone()) {
                return Err(check.invalid(
                    &token_key,
                    format!("the same token is also {other}"),
                    "a token identifies one source: give each source and each entry its own",
                ));
            }
        }

        let mut signing_secrets = Vec::with_capacity(source.signing_secrets.len());
        for (j, secret) in source.signing_secrets.iter().enumerate() {
            let secret_key = format!("{key}.signing_secrets[{j}]");
            let bytes = decode_secret(secret)
                .map_err(|err| check.invalid(&secret_key, err.to_string(), SECRET_HINT))?;
            signing_secrets.push(bytes);
        }

        sources.push(SourceConfig {
            name,
            tokens: source.tokens,
            signing_secrets,
        });
    }
    Ok(sources)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Origin, Overrides};

    const TOKEN: &str = "abcdefghijklmnop";
    const SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="; // 16 bytes: "0123456789abcdef"

    /// Loads `toml` as the config file and returns the validation error's key and text.
    fn invalid(toml: &str) -> (String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.toml");
        std::fs::write(&path, toml).unwrap();
        let overrides = Overrides {
            config_file: Some(path.clone()),
            ..Overrides::default()
        };
        let err = Config::load(&overrides, Vec::new()).unwrap_err();
        let text = err.to_string();
        let ConfigError::Invalid { key, origin, .. } = err else {
            panic!("not a validation error: {text}")
        };
        assert_eq!(origin, Some(Origin::File(path)), "{text}");
        (key, text)
    }

    fn source(name: &str, tokens: &[&str], secrets: &[&str]) -> String {
        format!(
            "[[sources]]\nname = {name:?}\ntokens = {tokens:?}\nsigning_secrets = {secrets:?}\n"
        )
    }

    #[test]
    fn listen_must_be_a_socket_address() {
        let (key, text) = invalid("listen = \"localhost:8080\"");
        assert_eq!(key, "listen");
        assert!(
            text.contains("\"localhost:8080\" is not a socket address"),
            "{text}"
        );
        assert!(text.contains("127.0.0.1:8080"), "{text}");
    }

    #[test]
    fn source_names_are_checked() {
        let (key, _) = invalid(&source("", &[TOKEN], &[]));
        assert_eq!(key, "sources[0].name");
        let (key, text) = invalid(&source("smart reach", &[TOKEN], &[]));
        assert_eq!(key, "sources[0].name");
        assert!(text.contains("letters, digits, _ and -"), "{text}");
        let both = source("a", &[TOKEN], &[]) + &source("a", &["ponmlkjihgfedcba"], &[]);
        let (key, text) = invalid(&both);
        assert_eq!(key, "sources[1].name");
        assert!(text.contains("sources[0] is named \"a\" too"), "{text}");
    }

    #[test]
    fn tokens_are_required_long_path_safe_and_unique_without_being_quoted() {
        let (key, _) = invalid(&source("a", &[], &[]));
        assert_eq!(key, "sources[0].tokens");

        let (key, text) = invalid(&source("a", &[TOKEN, "short-token"], &[]));
        assert_eq!(key, "sources[0].tokens[1]");
        assert!(
            text.contains("11 characters") && !text.contains("short-token"),
            "{text}"
        );

        let (key, text) = invalid(&source("a", &["abcdefghijklmnop/q"], &[]));
        assert_eq!(key, "sources[0].tokens[0]");
        assert!(
            text.contains("URL path") && !text.contains("abcdefghijklmnop"),
            "{text}"
        );

        let both = source("a", &[TOKEN], &[]) + &source("b", &[TOKEN], &[]);
        let (key, text) = invalid(&both);
        assert_eq!(key, "sources[1].tokens[0]");
        assert!(
            text.contains("also sources[0].tokens[0]") && !text.contains(TOKEN),
            "{text}"
        );
    }

    #[test]
    fn signing_secrets_decode_with_or_without_padding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.toml");
        let secrets = [SECRET, "whsec_MDEyMzQ1Njc4OWFiY2RlZg", SECRET];
        std::fs::write(&path, source("a", &[TOKEN], &secrets)).unwrap();
        let overrides = Overrides {
            config_file: Some(path),
            ..Overrides::default()
        };
        let config = Config::load(&overrides, Vec::new()).unwrap();
        assert_eq!(
            config.sources[0].signing_secrets,
            vec![b"0123456789abcdef".to_vec(); 3]
        );
    }

    #[test]
    fn signing_secrets_must_be_base64_of_16_bytes() {
        let (key, text) = invalid(&source("a", &[TOKEN], &[SECRET, "whsec_not*base64"]));
        assert_eq!(key, "sources[0].signing_secrets[1]");
        assert!(
            text.contains("not standard base64") && text.contains("whsec_"),
            "{text}"
        );

        let (key, text) = invalid(&source("a", &[TOKEN], &["whsec_c2hvcnQ="]));
        assert_eq!(key, "sources[0].signing_secrets[0]");
        assert!(text.contains("5 bytes, fewer than 16"), "{text}");

        // Without the prefix, a secret is refused rather than guessed at: it may be a token or a
        // half-copied value, and Standard Webhooks secrets are always written with it.
        let (key, text) = invalid(&source("a", &[TOKEN], &["MDEyMzQ1Njc4OWFiY2RlZg"]));
        assert_eq!(key, "sources[0].signing_secrets[0]");
        assert!(
            text.contains("does not start with whsec_") && !text.contains("MDEyMzQ1"),
            "{text}"
        );
    }

    #[test]
    fn retention_cannot_be_shorter_than_the_redelivery_window() {
        let (key, text) = invalid("[retention]\nmax_age = \"1h\"");
        assert_eq!(key, "retention.max_age");
        assert!(text.contains("ingest.dedup_window"), "{text}");
        let (key, _) = invalid("[retention]\nmax_age = \"0s\"");
        assert_eq!(key, "retention.max_age");
    }

    #[test]
    fn numbers_and_intervals_are_checked() {
        let cases = [
            ("[ingest]\nmax_body_bytes = 0", "ingest.max_body_bytes"),
            ("[ingest]\nmax_items = 0", "ingest.max_items"),
            (
                "[ingest]\nsignature_tolerance = \"0s\"",
                "ingest.signature_tolerance",
            ),
            ("[ingest]\nbody_timeout = \"0s\"", "ingest.body_timeout"),
            ("[delivery]\nworkers = 0", "delivery.workers"),
            ("[delivery]\njitter = 1.5", "delivery.jitter"),
            ("[delivery]\njitter = -0.1", "delivery.jitter"),
            ("[delivery]\njitter = nan", "delivery.jitter"),
            (
                "[delivery]\npoll_interval = \"0ms\"",
                "delivery.poll_interval",
            ),
            ("[delivery]\nlease = \"2999ms\"", "delivery.lease"),
            ("[delivery]\nlease = \"0s\"", "delivery.lease"),
            (
                "[plugins]\nreload_interval = \"0s\"",
                "plugins.reload_interval",
            ),
            ("[plugins]\nmax_instances = 0", "plugins.max_instances"),
            ("data_dir = \"\"", "data_dir"),
            ("[store]\npath = \"\"", "store.path"),
        ];
        for (toml, expected) in cases {
            let (key, text) = invalid(toml);
            assert_eq!(key, expected, "{toml}: {text}");
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.toml");
        std::fs::write(
            &path,
            "[delivery]\njitter = 1\nretry_schedule = []\nlease = \"3s\"\n[admin]\ntoken = \"0123456789abcdef\"",
        )
        .unwrap();
        let overrides = Overrides {
            config_file: Some(path),
            ..Overrides::default()
        };
        let config = Config::load(&overrides, Vec::new()).unwrap();
        assert_eq!(config.delivery.jitter, 1.0);
        assert!(config.delivery.retry_schedule.is_empty());
        assert_eq!(config.delivery.lease, Duration::from_secs(3));
        assert_eq!(config.admin_token.as_deref(), Some("0123456789abcdef"));
        assert_eq!(config.data_dir, Path::new("data"));
    }

    #[test]
    fn a_bad_log_filter_names_the_layer_that_set_it() {
        let (key, text) = invalid("[log]\nfilter = \"info,=[\"");
        assert_eq!(key, "log.filter");
        assert!(
            text.contains("is not a valid filter") && text.contains("set by"),
            "{text}"
        );
    }

    #[test]
    fn allowed_networks_are_cidr_and_errors_name_the_entry_and_layer() {
        let (key, text) =
            invalid("[outbound]\nallowed_networks = [\"10.20.0.0/16\", \"10.1.2.3/8\"]");
        assert_eq!(key, "outbound.allowed_networks[1]");
        assert!(
            text.contains("write the network's first address, 10.0.0.0/8")
                && text.contains("set by"),
            "{text}"
        );
        let (key, text) = invalid("[outbound]\nallowed_networks = [\"crm.internal\"]");
        assert_eq!(key, "outbound.allowed_networks[0]");
        assert!(text.contains("not an IP address"), "{text}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.toml");
        std::fs::write(
            &path,
            "[outbound]\nallowed_networks = [\"10.20.0.0/16\", \"::1\"]",
        )
        .unwrap();
        let overrides = Overrides {
            config_file: Some(path),
            ..Overrides::default()
        };
        let config = Config::load(&overrides, Vec::new()).unwrap();
        let shown: Vec<String> = config
            .outbound
            .allowed_networks
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["10.20.0.0/16", "::1/128"]);
        let default = Config::load(&Overrides::default(), Vec::new()).unwrap();
        assert!(default.outbound.allowed_networks.is_empty());
        let env = vec![(
            "SMARTREACH_HOOKS_OUTBOUND__ALLOWED_NETWORKS".to_owned(),
            "[\"127.0.0.0/8\"]".to_owned(),
        )];
        let from_env = Config::load(&Overrides::default(), env).unwrap();
        assert_eq!(
            from_env.outbound.allowed_networks,
            [smartreach_network::Network::LOOPBACK[0]]
        );
    }

    #[test]
    fn the_admin_token_must_be_long_and_header_safe() {
        for token in ["short", "0123456789 abcdef"] {
            let (key, text) = invalid(&format!("[admin]\ntoken = {token:?}"));
            assert_eq!(key, "admin.token");
            assert!(
                !text.contains(token) && text.contains("turn the admin API off"),
                "{text}"
            );
        }
    }
}
