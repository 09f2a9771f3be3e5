//! [`Config::load`]: merging the layers, deserializing once, validating.

use std::path::Path;

use toml::{Table, Value};

use super::layers::{self, Origin, Origins};
use super::{Config, ConfigError, DEFAULTS, Overrides, env, error, validate};

impl Config {
    /// Resolves the configuration from the built-in defaults, the file named by
    /// `overrides.config_file` (or `SMARTREACH_HOOKS_CONFIG`), the `SMARTREACH_HOOKS_*` variables
    /// of `env` (`std::env::vars()` in production; other variables are ignored) and the flags in
    /// `overrides`, then validates it.
    pub fn load(
        overrides: &Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let from_env = env::read(env)?;
        let mut origins = Origins::default();
        let mut merged = Table::new();

        let defaults = layers::parse_toml(DEFAULTS, Path::new("<built-in defaults.toml>"))?;
        origins.merge(&mut merged, defaults, &Origin::Default);
        if let Some(path) = overrides
            .config_file
            .as_ref()
            .or(from_env.config_file.as_ref())
        {
            let file = layers::read_file(path)?;
            origins.merge(&mut merged, file, &Origin::File(path.clone()));
        }
        for (layer, origin) in from_env
            .layers
            .into_iter()
            .chain(layers::flag_layers(overrides)?)
        {
            origins.merge(&mut merged, layer, &origin);
        }

        let raw = serde_path_to_error::deserialize(Value::Table(merged))
            .map_err(|err| error::from_deserialize(err, &origins))?;
        validate::resolve(raw, &origins)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::{LogFormat, SourceConfig, StoreConfig};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A config file in a fresh folder; keep the folder alive while the file is used.
    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn with_file(path: &Path) -> Overrides {
        Overrides {
            config_file: Some(path.to_owned()),
            ..Overrides::default()
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let config = Config::load(&Overrides::default(), vars(&[("HOME", "/root")])).unwrap();
        assert_eq!(
            config.listen,
            "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(config.data_dir, Path::new("data"));
        assert_eq!(config.plugin_dir, Path::new("data/plugins"));
        assert_eq!(
            config.store.sqlite_path(),
            Some(Path::new("data/smartreach-hooks.db"))
        );
        assert_eq!(config.cache_dir, Path::new("data/cache"));
        assert_eq!(config.log.format, LogFormat::Text);
        assert_eq!(config.log.filter, "info");
        assert_eq!(config.ingest.max_body_bytes, 1_048_576);
        assert_eq!(config.ingest.max_items, 1_000);
        assert_eq!(config.ingest.dedup_window, secs(24 * 3600));
        assert_eq!(config.ingest.signature_tolerance, secs(300));
        assert_eq!(config.ingest.body_timeout, secs(30));
        assert!(config.sources.is_empty());
        assert_eq!(config.delivery.workers, 16);
        assert_eq!(
            config.delivery.retry_schedule,
            [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map(secs)
        );
        assert_eq!(config.delivery.jitter, 0.2);
        assert_eq!(config.delivery.poll_interval, Duration::from_millis(250));
        assert_eq!(config.delivery.lease, secs(30));
        assert_eq!(config.plugins.reload_interval, Duration::from_millis(500));
        assert_eq!(config.plugins.max_instances, 64);
        assert_eq!(config.shutdown_grace, secs(30));
        assert_eq!(config.admin_token, None);
    }

    #[test]
    fn file_then_environment_then_flags_take_precedence() {
        let (_dir, path) = file(
            "listen = \"127.0.0.1:1\"\ndata_dir = \"/srv/hooks\"\n\
             [log]\nformat = \"json\"\nfilter = \"debug\"\n[delivery]\nworkers = 2",
        );
        let env = vars(&[
            ("SMARTREACH_HOOKS_LISTEN", "127.0.0.1:2"),
            ("SMARTREACH_HOOKS_DELIVERY__WORKERS", "3"),
        ]);

        let config = Config::load(&with_file(&path), env.clone()).unwrap();
        assert_eq!(config.listen.port(), 2, "environment over file");
        assert_eq!(config.delivery.workers, 3);
        assert_eq!(config.log.format, LogFormat::Json, "file over defaults");
        assert_eq!(config.log.filter, "debug");
        assert_eq!(config.plugin_dir, Path::new("/srv/hooks/plugins"));
        assert_eq!(config.delivery.jitter, 0.2, "untouched keys keep defaults");

        let flags = Overrides {
            listen: Some("127.0.0.1:3".into()),
            log_format: Some("text".into()),
            data_dir: Some("elsewhere".into()),
            ..with_file(&path)
        };
        let config = Config::load(&flags, env).unwrap();
        assert_eq!(config.listen.port(), 3, "flags over environment");
        assert_eq!(config.log.format, LogFormat::Text);
        assert_eq!(
            config.store.sqlite_path(),
            Some(Path::new("elsewhere/smartreach-hooks.db"))
        );
    }

    #[test]
    fn an_explicit_path_wins_over_the_data_dir_default() {
        let (_dir, path) = file("plugin_dir = \"p\"\n[store]\npath = \"s.db\"");
        let flags = Overrides {
            data_dir: Some("d".into()),
            ..with_file(&path)
        };
        let config = Config::load(&flags, vars(&[])).unwrap();
        assert_eq!(config.plugin_dir, Path::new("p"));
        assert_eq!(config.store.sqlite_path(), Some(Path::new("s.db")));
        assert_eq!(config.cache_dir, Path::new("d/cache"));
    }

    #[test]
    fn the_config_variable_names_the_file_unless_the_flag_does() {
        let (_dir, from_var) = file("listen = \"127.0.0.1:7\"");
        let (_dir2, from_flag) = file("listen = \"127.0.0.1:8\"");
        let env = vars(&[("SMARTREACH_HOOKS_CONFIG", from_var.to_str().unwrap())]);
        let config = Config::load(&Overrides::default(), env.clone()).unwrap();
        assert_eq!(config.listen.port(), 7);
        let config = Config::load(&with_file(&from_flag), env).unwrap();
        assert_eq!(config.listen.port(), 8);
    }

    #[test]
    fn sources_come_from_an_environment_variable_as_an_inline_array() {
        let env = vars(&[(
            "SMARTREACH_HOOKS_SOURCES",
            r#"[{name="smartreach", tokens=["abcdefghijklmnop"], signing_secrets=["whsec_MDEyMzQ1Njc4OWFiY2RlZg=="]}]"#,
        )]);
        let config = Config::load(&Overrides::default(), env).unwrap();
        assert_eq!(
            config.sources,
            vec![SourceConfig {
                name: "smartreach".into(),
                tokens: vec!["abcdefghijklmnop".into()],
                signing_secrets: vec![b"0123456789abcdef".to_vec()],
            }]
        );
    }

    #[test]
    fn an_unknown_key_in_the_file_names_key_and_file() {
        let (_dir, path) = file("[ingest]\nmax_body_byte = 5");
        let err = Config::load(&with_file(&path), vars(&[])).unwrap_err();
        let ConfigError::Key { key, origin, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(key, "ingest.max_body_byte");
        assert_eq!(origin, &Some(Origin::File(path.clone())));
        let text = err.to_string();
        assert!(
            text.contains("unknown field `max_body_byte`") && text.contains("hooks.toml"),
            "{text}"
        );
    }

    #[test]
    fn a_wrong_type_names_the_variable_and_suggests_quoting() {
        let env = vars(&[("SMARTREACH_HOOKS_ADMIN__TOKEN", "12345678901234567")]);
        let err = Config::load(&Overrides::default(), env).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, ConfigError::Key { key, .. } if key == "admin.token")
                && text.contains("environment variable SMARTREACH_HOOKS_ADMIN__TOKEN")
                && text.contains("quote"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_flag_value_names_key_and_flag() {
        let flags = Overrides {
            log_format: Some("xml".into()),
            ..Overrides::default()
        };
        let err = Config::load(&flags, vars(&[])).unwrap_err().to_string();
        assert!(
            err.contains("`log.format`")
                && err.contains("flag --log-format")
                && err.contains("unknown variant `xml`"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_duration_names_key_layer_and_form() {
        let env = vars(&[("SMARTREACH_HOOKS_INGEST__DEDUP_WINDOW", "1 day")]);
        let err = Config::load(&Overrides::default(), env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`ingest.dedup_window`")
                && err.contains("SMARTREACH_HOOKS_INGEST__DEDUP_WINDOW")
                && err.contains("like \"250ms\" or \"24h\""),
            "{err}"
        );

        let (_dir, path) = file("[delivery]\nretry_schedule = [\"5s\", 10]");
        let err = Config::load(&with_file(&path), vars(&[])).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Key { key, origin: Some(Origin::File(_)), .. }
                if key == "delivery.retry_schedule[1]"),
            "{err}"
        );
    }

    #[test]
    fn a_source_without_tokens_names_the_entry_and_file() {
        let (_dir, path) = file("[[sources]]\nname = \"a\"");
        let err = Config::load(&with_file(&path), vars(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`sources[0]`")
                && err.contains("missing field `tokens`")
                && err.contains("hooks.toml"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_variable_fails_the_load() {
        let env = vars(&[("SMARTREACH_HOOKS_LOG_FORMAT", "json")]);
        let err = Config::load(&Overrides::default(), env).unwrap_err();
        assert!(
            matches!(&err, ConfigError::Env { name, .. } if name == "SMARTREACH_HOOKS_LOG_FORMAT"),
            "{err}"
        );
    }

    #[test]
    fn the_commented_examples_in_defaults_toml_are_valid() {
        // Uncomment `# key = value` and `# [[table]]` lines; `# # prose` stays a comment.
        // `store.url` and `store.path` exclude each other: the URL's example is loaded apart.
        let url_example = DEFAULTS
            .lines()
            .find_map(|line| line.strip_prefix("# url = "))
            .expect("defaults.toml shows store.url");
        let uncommented: String = DEFAULTS
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(body) if body.starts_with("url = ") => line,
                Some(body)
                    if body.starts_with('[')
                        || body.split_once(" = ").is_some_and(|(k, _)| {
                            k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                        }) =>
                {
                    body
                }
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let (_dir, path) = file(&uncommented);
        let config = Config::load(&with_file(&path), vars(&[])).unwrap();
        assert_eq!(config.sources.len(), 1);
        assert_eq!(
            config.sources[0].signing_secrets,
            vec![b"smartreach-hooks-example".to_vec()]
        );
        assert!(config.admin_token.is_some());
        assert_eq!(config.plugin_dir, Path::new("data/plugins"));

        let (_dir, path) = file(&format!("[store]\nurl = {url_example}"));
        let config = Config::load(&with_file(&path), vars(&[])).unwrap();
        assert!(
            matches!(&config.store, StoreConfig::Postgres(_)),
            "{:?}",
            config.store
        );
    }

    #[test]
    fn a_postgres_url_selects_postgresql_from_any_layer() {
        let url = "postgres://hooks:s3cret@db.internal:5432/hooks";
        let env = vars(&[("SMARTREACH_HOOKS_STORE__URL", url)]);
        let config = Config::load(&Overrides::default(), env).unwrap();
        let StoreConfig::Postgres(found) = &config.store else {
            panic!("{:?}", config.store)
        };
        assert_eq!(found.expose(), url);
        assert_eq!(config.store.sqlite_path(), None);

        let (_dir, path) = file("[store]\nurl = \"postgresql://hooks@db/hooks\"");
        let config = Config::load(&with_file(&path), vars(&[])).unwrap();
        assert!(matches!(&config.store, StoreConfig::Postgres(url)
            if url.expose() == "postgresql://hooks@db/hooks"));

        // The flag wins over the file, as every flag does.
        let flags = Overrides {
            store_url: Some("postgres://other@db/x".into()),
            ..with_file(&path)
        };
        let config = Config::load(&flags, vars(&[])).unwrap();
        assert!(matches!(&config.store, StoreConfig::Postgres(url)
            if url.expose() == "postgres://other@db/x"));
    }

    #[test]
    fn a_path_in_the_url_keeps_sqlite() {
        let env = vars(&[("SMARTREACH_HOOKS_STORE__URL", "/var/lib/hooks/events.db")]);
        let config = Config::load(&Overrides::default(), env).unwrap();
        assert_eq!(
            config.store,
            StoreConfig::Sqlite("/var/lib/hooks/events.db".into())
        );
    }

    #[test]
    fn path_and_url_together_are_refused_naming_both_layers() {
        let (_dir, path) = file("[store]\npath = \"s.db\"");
        let env = vars(&[("SMARTREACH_HOOKS_STORE__URL", "postgres://h:s3cret@db/x")]);
        let err = Config::load(&with_file(&path), env).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, ConfigError::Invalid { key, origin: Some(Origin::Env(_)), .. }
                if key == "store.url"),
            "{text}"
        );
        assert!(
            text.contains("store.path is set too (by config file")
                && text.contains("SMARTREACH_HOOKS_STORE__URL")
                && text.contains("pick one"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }

    #[test]
    fn an_unknown_scheme_or_an_empty_url_is_refused_without_echoing_it() {
        for (url, expected) in [
            ("mysql://h:s3cret@db/x", "`mysql://` is not a store"),
            ("  ", "the URL is empty"),
            ("s3cret stuff://x", "neither a postgres:// URL nor a path"),
        ] {
            let env = vars(&[("SMARTREACH_HOOKS_STORE__URL", url)]);
            let text = Config::load(&Overrides::default(), env)
                .unwrap_err()
                .to_string();
            assert!(
                text.contains("`store.url`")
                    && text.contains(expected)
                    && text.contains("postgres://USER[:PASSWORD]@HOST"),
                "{url}: {text}"
            );
            assert!(!text.contains("s3cret"), "{text}");
        }
    }

    #[test]
    fn debug_output_hides_the_store_password() {
        let env = vars(&[(
            "SMARTREACH_HOOKS_STORE__URL",
            "postgres://hooks:s3cret@db/hooks?password=s3cret",
        )]);
        let config = Config::load(&Overrides::default(), env).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(
            debug.contains("postgres://hooks:<redacted>@db/hooks?<redacted>"),
            "{debug}"
        );
    }

    #[test]
    fn debug_output_redacts_tokens_and_secrets() {
        let env = vars(&[
            (
                "SMARTREACH_HOOKS_SOURCES",
                r#"[{name="s", tokens=["tok-aaaaaaaaaaaaaaaa"], signing_secrets=["whsec_c3VwZXJzZWNyZXRieXRlc3h4"]}]"#,
            ),
            ("SMARTREACH_HOOKS_ADMIN__TOKEN", "adm-bbbbbbbbbbbbbbbb"),
        ]);
        let config = Config::load(&Overrides::default(), env).unwrap();
        let debug = format!("{config:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        for secret in ["tok-aaaa", "adm-bbbb", "supersecret", "115, 117, 112"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("name: \"s\""), "{debug}");
    }
}
