//! The plugin's configuration: the manifest's `[config]` values, else the declared defaults.

use std::fmt::Display;
use std::str::FromStr;

use crate::bindings::smartreach::plugin::host;

/// The configuration value `name`: the manifest's value, else the declared default.
pub fn config(name: &str) -> Option<String> {
    host::config(name)
}

/// The configuration value `name`, or an error naming the key when it is not set.
pub fn config_required(name: &str) -> Result<String, ConfigError> {
    config(name).ok_or_else(|| ConfigError::Missing {
        name: name.to_owned(),
    })
}

/// The configuration value `name` parsed as a `T` (a number, a bool, ...); `Ok(None)` when it is
/// not set.
pub fn config_parse<T>(name: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    config(name)
        .map(|value| parse_value(name, value))
        .transpose()
}

fn parse_value<T>(name: &str, value: String) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .trim()
        .parse()
        .map_err(|err: T::Err| ConfigError::Invalid {
            name: name.to_owned(),
            message: err.to_string(),
            value,
        })
}

/// A configuration value the plugin needs is missing or malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The key has neither a manifest value nor a default.
    #[error("config key `{name}` is not set; set it under [config] in the plugin's manifest")]
    Missing {
        /// The key.
        name: String,
    },
    /// The value does not parse as the type the plugin needs.
    #[error("config key `{name}` has an invalid value `{value}`: {message}")]
    Invalid {
        /// The key.
        name: String,
        /// The value as set.
        value: String,
        /// Why it does not parse.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_value_ignoring_surrounding_space() {
        assert_eq!(parse_value::<u16>("port", " 8080 ".into()), Ok(8080));
    }

    #[test]
    fn an_invalid_value_names_the_key_and_the_value() {
        let err = parse_value::<u16>("port", "eighty".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config key `port` has an invalid value `eighty`: invalid digit found in string"
        );
    }

    #[test]
    fn a_missing_key_says_where_to_set_it() {
        let err = ConfigError::Missing {
            name: "webhook_url".into(),
        };
        assert_eq!(
            err.to_string(),
            "config key `webhook_url` is not set; set it under [config] in the plugin's manifest"
        );
    }
}
