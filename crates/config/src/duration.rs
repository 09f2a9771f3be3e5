//! Durations in configuration: a string holding an integer and a unit, like `"250ms"` or `"24h"`.
//!
//! One integer and one unit keeps the form obvious in a TOML file and an environment variable;
//! fractions and compound forms (`"1h30m"`) would add ways to be wrong without adding much.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The accepted form, quoted in every error about a duration.
pub(crate) const EXPECTED: &str =
    "a duration: an integer and a unit (ms, s, m, h or d), like \"250ms\" or \"24h\"";

/// Parses `"250ms"`, `"30s"`, `"5m"`, `"2h"` or `"1d"`. The error says what was wrong and the form
/// expected.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("invalid duration {text:?}: expected {EXPECTED}")),
    };
    if number.is_empty() {
        return Err(format!("invalid duration {text:?}: expected {EXPECTED}"));
    }
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(millis_per_unit))
        .map(Duration::from_millis)
        .ok_or_else(|| format!("duration {text:?} is too large"))
}

/// A duration read from configuration; deserializing fails with [`EXPECTED`] so that
/// `serde_path_to_error` can name the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConfigDuration(pub Duration);

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = ConfigDuration;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str(EXPECTED)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                parse(text).map(ConfigDuration).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_parses() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7_200)));
        assert_eq!(parse("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn malformed_durations_show_the_expected_form() {
        for text in [
            "", "5", "ms", "5 m", " 5m", "5M", "1.5h", "-5s", "+5s", "1h30m", "5sec",
        ] {
            let err = parse(text).unwrap_err();
            assert!(
                err.contains(&format!("{text:?}")) && err.contains("like \"250ms\""),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn an_overflowing_duration_is_refused() {
        let err = parse("18446744073709551615d").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert!(parse("99999999999999999999999s").is_err());
    }

    #[test]
    fn deserializing_a_number_names_the_expected_form() {
        let value: toml::Value = "5".parse().unwrap();
        let err = ConfigDuration::deserialize(value).unwrap_err().to_string();
        assert!(err.contains("like \"250ms\""), "{err}");
        let value: toml::Value = "\"5m\"".parse().unwrap();
        assert_eq!(
            ConfigDuration::deserialize(value).unwrap(),
            ConfigDuration(Duration::from_secs(300))
        );
    }
}
