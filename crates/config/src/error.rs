//! What can go wrong loading the configuration. Every error names the file, key or variable at
//! fault and, where it can tell, the layer that set the value.

use std::path::PathBuf;

use super::layers::{Origin, Origins};

/// A configuration that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file cannot be read.
    #[error(
        "cannot read config file {}: {source}; check the path given with --config or \
         SMARTREACH_HOOKS_CONFIG and that the server may read it",
        path.display()
    )]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },

    /// The configuration file is not valid TOML.
    #[error(
        "config file {} is not valid TOML at line {line}, column {column}: {message}",
        path.display()
    )]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What is wrong, from the TOML parser.
        message: String,
    },

    /// A key that does not exist, or a value of the wrong type or form (a duration without a unit,
    /// a negative size, a missing required key of a `[[sources]]` entry).
    #[error("configuration key `{key}`{}: {message}; {hint}", set_by(origin))]
    Key {
        /// The key, dotted, with array indices: `ingest.max_body_bytes`, `sources[0].tokens`.
        key: String,
        /// The layer that set the value, when known.
        origin: Option<Origin>,
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },

    /// An environment variable with the `SMARTREACH_HOOKS_` prefix that is not a configuration key.
    #[error("environment variable {name} is not a configuration setting: {message}")]
    Env {
        /// The variable.
        name: String,
        /// What is wrong and what to do.
        message: String,
    },

    /// A value that is well formed but not acceptable (a duplicate source name, a short token).
    #[error("invalid `{key}`{}: {message}; {hint}", set_by(origin))]
    Invalid {
        /// The key, dotted, with array indices: `sources[1].tokens[0]`.
        key: String,
        /// The layer that set the value, when known.
        origin: Option<Origin>,
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },
}

fn set_by(origin: &Option<Origin>) -> String {
    origin
        .as_ref()
        .map(|origin| format!(" (set by {origin})"))
        .unwrap_or_default()
}

/// A deserialization error of the merged table, named by key and by the layer that set it.
pub(crate) fn from_deserialize(
    err: serde_path_to_error::Error<toml::de::Error>,
    origins: &Origins,
) -> ConfigError {
    let key = err.path().to_string();
    let origin = origins.lookup(&key);
    let message = err.inner().message().trim().to_owned();
    let hint = if message.starts_with("unknown field") {
        "remove the key or correct its name; the configuration reference (defaults.toml) lists \
         every key"
    } else if matches!(origin, Some(Origin::Env(_))) && message.contains("expected a string") {
        // `SMARTREACH_HOOKS_ADMIN__TOKEN=1234...` reads as a number, not a string.
        "an environment value is read as TOML when it parses as TOML and as a string otherwise; \
         quote a string that looks like a number or boolean, like VAR='\"0123\"'"
    } else {
        "the configuration reference (defaults.toml) shows each key's type and default"
    };
    ConfigError::Key {
        key,
        origin,
        message,
        hint: hint.to_owned(),
    }
}
