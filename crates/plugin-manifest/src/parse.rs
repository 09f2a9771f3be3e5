//! Reading a manifest file, with errors that name the file, the line and the key.

use std::path::{Path, PathBuf};

use crate::Manifest;

/// A manifest file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file cannot be read.
    #[error("cannot read plugin manifest {}: {source}", path.display())]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid manifest (TOML syntax, an unknown key, a value of the wrong type).
    #[error("plugin manifest {} is invalid at line {line}: {message}", path.display())]
    Invalid {
        /// The manifest file.
        path: PathBuf,
        /// 1-based line of the problem (0 when unknown).
        line: usize,
        /// What is wrong, from the TOML parser.
        message: String,
    },
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses manifest `text`; `path` is only used in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ManifestError> {
        toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| {
                    text.as_bytes()[..span.start.min(text.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1
                })
                .unwrap_or(0);
            ManifestError::Invalid {
                path: path.to_owned(),
                line,
                message: err.message().trim().to_owned(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;

    use super::*;
    use crate::{ConfigValue, Limits};

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::from_toml(text, Path::new("plugins/demo.toml"))
    }

    #[test]
    fn an_empty_manifest_overrides_nothing() {
        assert_eq!(parse("").unwrap(), Manifest::default());
    }

    #[test]
    fn a_full_manifest_parses() {
        let manifest = parse(
            r##"
            events = ["activity.email.replied", "*"]
            allowed_outbound_hosts = ["hooks.slack.com", "127.0.0.1:9000"]
            [config]
            channel = "#sales"
            webhook_url = { env = "SLACK_WEBHOOK_URL" }
            [limits]
            timeout_ms = 5000
            memory_mib = 32
            "##,
        )
        .unwrap();
        assert_eq!(manifest.events.as_deref().unwrap().len(), 2);
        assert_eq!(
            manifest.allowed_outbound_hosts[1].to_string(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            manifest.config["channel"],
            ConfigValue::Literal("#sales".into())
        );
        assert_eq!(
            manifest.config["webhook_url"],
            ConfigValue::Env {
                env: "SLACK_WEBHOOK_URL".into()
            }
        );
        assert_eq!(
            manifest.limits,
            Limits {
                timeout_ms: NonZeroU64::new(5000),
                memory_mib: NonZeroU64::new(32),
                ..Limits::default()
            }
        );
    }

    #[test]
    fn a_rate_limit_parses_with_its_burst_defaulting_to_a_quarter_second_of_the_rate() {
        let manifest =
            parse("[limits]\nrate = { count = 100, per = \"minute\", burst = 10 }").unwrap();
        let rate = manifest.limits.rate.unwrap();
        assert_eq!(rate.count.get(), 100);
        assert_eq!(rate.per.duration(), std::time::Duration::from_secs(60));
        assert_eq!(rate.burst(), 10);
        let burst = |rate: &str| {
            let manifest = parse(&format!("[limits]\nrate = {rate}")).unwrap();
            manifest.limits.rate.unwrap().burst()
        };
        assert_eq!(burst("{ count = 100, per = \"second\" }"), 25);
        assert_eq!(
            burst("{ count = 5, per = \"second\" }"),
            2,
            "1.25 rounds up"
        );
        assert_eq!(
            burst("{ count = 100, per = \"minute\" }"),
            1,
            "at least one"
        );
        assert_eq!(
            burst("{ count = 4000000000, per = \"second\" }"),
            1_000_000_000
        );
    }

    #[test]
    fn a_rate_limit_of_an_unknown_period_or_zero_is_rejected() {
        for (bad, says) in [
            (
                "rate = { count = 5, per = \"hour\" }",
                "unknown variant `hour`, expected `second` or `minute`",
            ),
            ("rate = { count = 0, per = \"second\" }", "nonzero"),
            (
                "rate = { count = 5, per = \"second\", burst = 0 }",
                "nonzero",
            ),
            ("rate = { count = 5 }", "missing field `per`"),
        ] {
            let err = parse(&format!("[limits]\n{bad}")).unwrap_err().to_string();
            assert!(
                err.contains("plugins/demo.toml") && err.contains("line 2") && err.contains(says),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let err = parse("events = []\nevnts = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("plugins/demo.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("unknown field `evnts`"), "{err}");
    }

    #[test]
    fn a_bad_outbound_host_is_rejected() {
        let err = parse("allowed_outbound_hosts = [\"x.com/path\"]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`x.com/path`"), "{err}");
    }

    #[test]
    fn a_limit_of_the_wrong_type_is_rejected() {
        let err = parse("[limits]\ntimeout_ms = \"1s\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn a_zero_limit_is_rejected() {
        let err = parse("[limits]\nmemory_mib = 0").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("nonzero"), "{err}");
    }

    #[test]
    fn env_config_resolves_through_the_lookup_and_names_a_missing_variable() {
        let value = ConfigValue::Env {
            env: "TOKEN".into(),
        };
        assert_eq!(
            value
                .resolve("api_token", |_| Some("s3cret".into()))
                .unwrap(),
            "s3cret"
        );
        let err = value
            .resolve("api_token", |_| None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`api_token`") && err.contains("`TOKEN`"),
            "{err}"
        );
    }
}
