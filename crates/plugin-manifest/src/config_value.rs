//! A configuration value: written in the manifest, or taken from the host's environment.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `[config]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ConfigValue {
    /// A value written in the manifest. Never put secrets here: use `{ env = "VAR" }`.
    Literal(String),
    /// A value read from the host's environment variable `env` when the plugin loads.
    Env {
        /// The environment variable's name.
        env: String,
    },
}

/// An environment variable a manifest names is not set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "config key `{key}` takes its value from the environment variable `{var}`, which is not set \
     (or not UTF-8); set it in the host's environment"
)]
pub struct ResolveError {
    /// The config key.
    pub key: String,
    /// The environment variable.
    pub var: String,
}

impl ConfigValue {
    /// The value: the literal, or the environment variable's value looked up with `lookup`.
    pub fn resolve(
        &self,
        key: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<String, ResolveError> {
        match self {
            Self::Literal(value) => Ok(value.clone()),
            Self::Env { env } => lookup(env).ok_or_else(|| ResolveError {
                key: key.to_owned(),
                var: env.clone(),
            }),
        }
    }
}
