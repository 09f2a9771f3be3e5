//! The environment layer: `SMARTREACH_HOOKS_*` variables mapped onto configuration keys.
//!
//! `SMARTREACH_HOOKS_LISTEN` sets `listen`; a double underscore separates a table from its key, so
//! `SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES` sets `ingest.max_body_bytes`. A value is read as TOML
//! when it parses as TOML (number, boolean, array, inline table, quoted string) and as a plain
//! string otherwise, so `SMARTREACH_HOOKS_LISTEN=0.0.0.0:8080` needs no quotes.

use std::path::PathBuf;

use toml::{Table, Value};

use super::ConfigError;
use super::layers::{Origin, nest};
use super::raw::KEYS;

/// The prefix of every variable the server reads.
pub(crate) const PREFIX: &str = "SMARTREACH_HOOKS_";

/// The variable naming the configuration file when `--config` is not given.
pub(crate) const CONFIG_FILE_VAR: &str = "SMARTREACH_HOOKS_CONFIG";

/// What the environment sets.
#[derive(Debug, Default)]
pub(crate) struct EnvLayer {
    /// The configuration file named by [`CONFIG_FILE_VAR`].
    pub config_file: Option<PathBuf>,
    /// One single-key layer per variable, sorted by name so that a table (`..._INGEST`) is applied
    /// before the keys inside it (`..._INGEST__MAX_BODY_BYTES`) and the result never depends on the
    /// order the environment lists them in.
    pub layers: Vec<(Table, Origin)>,
}

/// Reads the `SMARTREACH_HOOKS_*` variables out of `env`; others are ignored.
pub(crate) fn read(
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<EnvLayer, ConfigError> {
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX))
        .collect();
    vars.sort();

    let mut layer = EnvLayer::default();
    for (name, text) in vars {
        if name == CONFIG_FILE_VAR {
            layer.config_file = Some(PathBuf::from(text));
            continue;
        }
        let key = key_of(&name)?;
        let value = text.parse::<Value>().unwrap_or(Value::String(text));
        layer.layers.push((nest(&key, value), Origin::Env(name)));
    }
    Ok(layer)
}

/// The dotted key a variable sets, if it names one.
fn key_of(name: &str) -> Result<String, ConfigError> {
    let segments: Vec<String> = name[PREFIX.len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect();
    let key = segments.join(".");
    let known = KEYS.iter().any(|known| {
        *known == key
            || known
                .strip_prefix(key.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    });
    if known && segments.iter().all(|segment| !segment.is_empty()) {
        return Ok(key);
    }

    // The usual slip is a single underscore where a double one separates table and key.
    let flat = |name: &str| name.replace("__", "_");
    let suggestion = KEYS
        .iter()
        .map(|known| var_name(known))
        .find(|candidate| flat(candidate) == flat(name));
    let message = match suggestion {
        Some(candidate) => format!(
            "there is no key `{key}`; did you mean {candidate}? A double underscore separates a \
             table from its key"
        ),
        None => format!(
            "there is no key `{key}`; correct or unset the variable (the keys are listed in the \
             configuration reference, defaults.toml, and {CONFIG_FILE_VAR} names the config file)"
        ),
    };
    Err(ConfigError::Env {
        name: name.to_owned(),
        message,
    })
}

/// The variable that sets a dotted key:
/// `ingest.max_body_bytes` -> `SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES`.
pub(crate) fn var_name(key: &str) -> String {
    format!("{PREFIX}{}", key.replace('.', "__").to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn layers(pairs: &[(&str, &str)]) -> Vec<(Table, Origin)> {
        read(vars(pairs)).unwrap().layers
    }

    fn env(name: &str) -> Origin {
        Origin::Env(name.to_owned())
    }

    #[test]
    fn names_map_to_keys_and_values_parse_as_toml_or_else_strings() {
        let got = layers(&[
            ("PATH", "/usr/bin"),
            ("SMARTREACH_HOOKS_LISTEN", "0.0.0.0:8080"),
            ("SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES", "2048"),
            ("SMARTREACH_HOOKS_LOG__FORMAT", "json"),
            ("SMARTREACH_HOOKS_ADMIN__TOKEN", "\"1234567890123456\""),
        ]);
        let expected: Vec<(Table, Origin)> = vec![
            (
                "admin.token = \"1234567890123456\"".parse().unwrap(),
                env("SMARTREACH_HOOKS_ADMIN__TOKEN"),
            ),
            (
                "ingest.max_body_bytes = 2048".parse().unwrap(),
                env("SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES"),
            ),
            (
                "listen = \"0.0.0.0:8080\"".parse().unwrap(),
                env("SMARTREACH_HOOKS_LISTEN"),
            ),
            (
                "log.format = \"json\"".parse().unwrap(),
                env("SMARTREACH_HOOKS_LOG__FORMAT"),
            ),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn arrays_and_inline_tables_parse() {
        let got = layers(&[(
            "SMARTREACH_HOOKS_SOURCES",
            r#"[{name="smartreach", tokens=["abcdefghijklmnop"]}]"#,
        )]);
        let expected: Table = r#"sources = [{name="smartreach", tokens=["abcdefghijklmnop"]}]"#
            .parse()
            .unwrap();
        assert_eq!(got[0].0, expected);
    }

    #[test]
    fn a_table_is_applied_before_the_keys_inside_it() {
        let got = layers(&[
            ("SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES", "5"),
            ("SMARTREACH_HOOKS_INGEST", "{ max_body_bytes = 1 }"),
        ]);
        assert_eq!(got[0].1, env("SMARTREACH_HOOKS_INGEST"));
        assert_eq!(got[1].1, env("SMARTREACH_HOOKS_INGEST__MAX_BODY_BYTES"));
    }

    #[test]
    fn the_config_variable_names_the_file_and_sets_no_key() {
        let layer = read(vars(&[("SMARTREACH_HOOKS_CONFIG", "/etc/hooks.toml")])).unwrap();
        assert_eq!(layer.config_file, Some(PathBuf::from("/etc/hooks.toml")));
        assert!(layer.layers.is_empty());
    }

    #[test]
    fn an_unknown_variable_is_named_with_a_suggestion() {
        let err = read(vars(&[("SMARTREACH_HOOKS_ADMIN_TOKEN", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("environment variable SMARTREACH_HOOKS_ADMIN_TOKEN ")
                && err.contains("did you mean SMARTREACH_HOOKS_ADMIN__TOKEN?"),
            "{err}"
        );

        let err = read(vars(&[("SMARTREACH_HOOKS_NOPE", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SMARTREACH_HOOKS_NOPE") && err.contains("no key `nope`"),
            "{err}"
        );
    }

    #[test]
    fn malformed_nesting_is_refused() {
        for name in [
            "SMARTREACH_HOOKS_",
            "SMARTREACH_HOOKS_LOG____FORMAT",
            "SMARTREACH_HOOKS_LISTEN__PORT",
            "SMARTREACH_HOOKS___LISTEN",
        ] {
            let err = read(vars(&[(name, "x")])).unwrap_err();
            assert!(
                matches!(err, ConfigError::Env { name: ref n, .. } if n == name),
                "{name}"
            );
        }
    }

    #[test]
    fn every_key_has_a_variable_that_maps_back_to_it() {
        for key in KEYS {
            assert_eq!(key_of(&var_name(key)).unwrap(), *key);
        }
    }
}
