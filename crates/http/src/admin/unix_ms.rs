//! Times in requests: Unix milliseconds from 0 (1970) to [`MAX`] (the end of year 9999), as the
//! document declares them (`integer`, `minimum`, `maximum`).
//!
//! JSON Schema counts `1.0` as an integer, so a number with a zero fraction is accepted like the
//! integer it equals, in a JSON body and in a query string alike; a fraction, a value out of the
//! range, a string in a JSON body or anything else is refused with a message naming the range.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// The latest time accepted: 9999-12-31T23:59:59.999Z.
pub const MAX: i64 = 253_402_300_799_999;

/// Deserializes an optional time of a JSON body (`null` or absent: `None`).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptionalTime(Time { text: false }))
}

/// Deserializes a required time of a JSON body.
pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(Time { text: false })
}

/// Deserializes an optional time of a query string, where numbers are text.
pub fn in_query<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptionalTime(Time { text: true }))
}

struct OptionalTime(Time);

impl<'de> Visitor<'de> for OptionalTime {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self.0).map(Some)
    }
}

/// One time; `text`: written out as a number (query strings), else a JSON number.
struct Time {
    text: bool,
}

impl Time {
    fn checked<E: de::Error>(value: i128) -> Result<i64, E> {
        i64::try_from(value)
            .ok()
            .filter(|ms| (0..=MAX).contains(ms))
            .ok_or_else(|| E::custom(format!("{value} is not a time in Unix ms from 0 to {MAX}")))
    }
}

impl Visitor<'_> for Time {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a time in Unix milliseconds, an integer from 0 to {MAX}")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
        Self::checked(value.into())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
        Self::checked(value.into())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<i64, E> {
        // Every integer up to MAX (< 2^53) is exact in an f64.
        if value.fract() != 0.0 || !value.is_finite() || value.abs() > 2f64.powi(53) {
            return Err(E::custom(format!(
                "{value} is not a time in Unix ms (an integer from 0 to {MAX})"
            )));
        }
        Self::checked(value as i128)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<i64, E> {
        if !self.text {
            return Err(E::custom(format!(
                "the string `{value}` is not a time in Unix ms (an integer from 0 to {MAX})"
            )));
        }
        if let Ok(integer) = value.parse::<i128>() {
            return Self::checked(integer);
        }
        match value.parse::<f64>() {
            Ok(number)
                if value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') =>
            {
                Self::visit_f64(self, number)
            }
            _ => Err(E::custom(format!(
                "`{value}` is not a time in Unix ms (an integer from 0 to {MAX})"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::MAX;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Times {
        #[serde(deserialize_with = "super::required")]
        since: i64,
        #[serde(default, deserialize_with = "super::optional")]
        until: Option<i64>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct QueryTimes {
        #[serde(default, deserialize_with = "super::in_query")]
        since: Option<i64>,
        #[serde(default, deserialize_with = "super::in_query")]
        until: Option<i64>,
    }

    fn from_json(value: serde_json::Value) -> Result<Times, String> {
        serde_json::from_value(value).map_err(|err| err.to_string())
    }

    fn from_query(query: &str) -> Result<QueryTimes, String> {
        let uri: axum::http::Uri = format!("/?{query}").parse().unwrap();
        axum::extract::Query::try_from_uri(&uri)
            .map(|axum::extract::Query(times)| times)
            .map_err(|rejection| rejection.body_text())
    }

    #[test]
    fn integers_and_whole_numbers_are_times() {
        let expected = Times {
            since: 2_647_452_572,
            until: None,
        };
        assert_eq!(
            from_json(json!({ "since": 2_647_452_572_i64 })),
            Ok(expected)
        );
        let whole = from_json(json!({ "since": 2_647_452_572.0, "until": MAX as f64 })).unwrap();
        assert_eq!((whole.since, whole.until), (2_647_452_572, Some(MAX)));
        let null = from_json(json!({ "since": 0, "until": null })).unwrap();
        assert_eq!(null.until, None);
        let query = from_query("since=5&until=7.0").unwrap();
        assert_eq!((query.since, query.until), (Some(5), Some(7)));
        assert_eq!(from_query("since=0").unwrap().until, None);
    }

    #[test]
    fn fractions_and_times_out_of_range_are_refused_naming_the_range() {
        for body in [
            json!({ "since": 1.5 }),
            json!({ "since": -1 }),
            json!({ "since": MAX + 1 }),
            json!({ "since": 1e300 }),
            json!({ "since": "5" }),
            json!({ "since": 0, "until": u64::MAX }),
        ] {
            let err = from_json(body.clone()).unwrap_err();
            assert!(err.contains("Unix ms"), "{body}: {err}");
        }
        for query in [
            "since=1.5",
            "since=-1",
            "since=abc",
            "since=",
            "since=1e3",
            "since=0&until=9999999999999999",
        ] {
            let err = from_query(query).unwrap_err();
            assert!(err.contains("Unix ms"), "{query}: {err}");
        }
    }
}
