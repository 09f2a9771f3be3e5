//! Times on the command line and in tables. The admin API speaks Unix milliseconds; people speak
//! RFC 3339 (`2026-11-27T10:00:00Z`) or an age (`15m`: fifteen minutes ago). Both directions are
//! done here by hand, in UTC, so that the CLI needs no calendar library (the calendar itself is
//! the store's, [`smartreach_store::calendar`], shared with the web console).

use smartreach_store::calendar::{civil_from_days, days_from_civil, days_in_month};

/// A `--since`/`--until` value that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a time ({reason}): give an RFC 3339 time (2026-11-27T10:00:00Z), a date \
     (2026-11-27, midnight UTC), Unix milliseconds (1795773600000), or an age such as 30s, 15m, \
     2h, 7d or 2w (meaning that long ago)"
)]
pub struct TimeError {
    /// The value as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const SECOND_MS: i64 = 1_000;
const DAY_MS: i64 = 86_400 * SECOND_MS;

/// Parses a time given on the command line into Unix milliseconds. `now_ms` anchors ages.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, TimeError> {
    let fail = |reason| TimeError {
        text: text.to_owned(),
        reason,
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(fail("it is empty"));
    }
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return trimmed.parse().map_err(|_| fail("the number is too large"));
    }
    if let Some(age) = parse_age(trimmed) {
        let age = age.ok_or_else(|| fail("the age is too large"))?;
        return Ok(now_ms.saturating_sub(age));
    }
    parse_rfc3339(trimmed).map_err(fail)
}

/// `Some(Some(ms))` for `<digits><unit>`, `Some(None)` when it overflows, `None` when it is not
/// an age at all.
fn parse_age(text: &str) -> Option<Option<i64>> {
    let unit = text.chars().last()?;
    let unit_ms = match unit {
        's' => SECOND_MS,
        'm' => 60 * SECOND_MS,
        'h' => 3_600 * SECOND_MS,
        'd' => DAY_MS,
        'w' => 7 * DAY_MS,
        _ => return None,
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        digits
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_ms)),
    )
}

/// `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t` or a space may separate).
fn parse_rfc3339(text: &str) -> Result<i64, &'static str> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Result<i64, &'static str> {
        let part = text.get(range).ok_or("it is too short")?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().map_err(|_| "a number is out of range")
        } else {
            Err("a date or time field is not a number")
        }
    };
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err("it does not start with a date YYYY-MM-DD");
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("there is no such date");
    }
    let midnight = days_from_civil(year, month, day) * DAY_MS;
    if bytes.len() == 10 {
        return Ok(midnight);
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') || bytes.len() < 19 {
        return Err("the time of day must follow the date as THH:MM:SS");
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return Err("the time of day must be HH:MM:SS");
    }
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    // 60 would be a leap second; Unix time has none, so it is refused rather than guessed.
    if hour > 23 || minute > 59 || second > 59 {
        return Err("there is no such time of day");
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err("a fraction of a second needs digits after the dot");
        }
        // Milliseconds are all the API keeps: further digits are dropped, not rounded.
        let kept = &fraction[..digits.min(3)];
        millis = kept.parse::<i64>().unwrap_or(0) * 10_i64.pow(3 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        "" => return Err("it has no time zone: end it with Z (UTC) or an offset like +02:00"),
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err("the time zone must be Z or an offset like +02:00"),
            };
            let offset = &rest[1..];
            let valid = offset.len() == 5
                && offset.as_bytes()[2] == b':'
                && offset[..2].bytes().all(|b| b.is_ascii_digit())
                && offset[3..].bytes().all(|b| b.is_ascii_digit());
            if !valid {
                return Err("the time zone must be Z or an offset like +02:00");
            }
            let hours: i64 = offset[..2].parse().unwrap_or(0);
            let minutes: i64 = offset[3..].parse().unwrap_or(0);
            if hours > 23 || minutes > 59 {
                return Err("the time zone offset is out of range");
            }
            sign * (hours * 60 + minutes)
        }
    };
    let local = midnight + ((hour * 60 + minute) * 60 + second) * SECOND_MS + millis;
    Ok(local - offset_minutes * 60 * SECOND_MS)
}

/// Unix milliseconds as RFC 3339 in UTC, to the second: `2026-11-27T10:00:00Z`. What the table
/// shows can be pasted back into `--since`.
pub fn format_time(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let seconds = ms.rem_euclid(DAY_MS) / SECOND_MS;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A run's duration in microseconds, as people read it: `850 µs`, `12.3 ms`, `2.50 s`.
pub fn format_duration_us(us: i64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1_000.0)
    } else {
        format!("{:.2} s", us as f64 / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_773_600_000; // 2026-11-27T10:00:00Z

    fn parse(text: &str) -> Result<i64, TimeError> {
        parse_time(text, NOW)
    }

    #[test]
    fn rfc3339_times_in_utc_and_with_offsets() {
        assert_eq!(parse("2026-11-27T10:00:00Z"), Ok(NOW));
        assert_eq!(parse("2026-11-27t10:00:00z"), Ok(NOW));
        assert_eq!(parse("2026-11-27 10:00:00Z"), Ok(NOW));
        assert_eq!(parse("2026-11-27T12:00:00+02:00"), Ok(NOW));
        assert_eq!(parse("2026-11-27T05:30:00-04:30"), Ok(NOW));
        assert_eq!(parse("2026-11-27T10:00:00.250Z"), Ok(NOW + 250));
        assert_eq!(parse("2026-11-27T10:00:00.5Z"), Ok(NOW + 500));
        assert_eq!(parse("2026-11-27T10:00:00.123999Z"), Ok(NOW + 123));
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse("1969-12-31T23:59:59Z"), Ok(-1_000));
    }

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(parse("2026-11-27"), Ok(NOW - 10 * 3_600_000));
        assert_eq!(parse("2024-02-29"), Ok(1_709_164_800_000));
        assert_eq!(parse("2000-03-01"), Ok(951_868_800_000));
    }

    #[test]
    fn unix_milliseconds_pass_through() {
        assert_eq!(parse("1795773600000"), Ok(NOW));
        assert_eq!(parse("0"), Ok(0));
    }

    #[test]
    fn ages_count_back_from_now() {
        assert_eq!(parse("30s"), Ok(NOW - 30_000));
        assert_eq!(parse("15m"), Ok(NOW - 15 * 60_000));
        assert_eq!(parse("2h"), Ok(NOW - 2 * 3_600_000));
        assert_eq!(parse("7d"), Ok(NOW - 7 * DAY_MS));
        assert_eq!(parse("2w"), Ok(NOW - 14 * DAY_MS));
        assert_eq!(parse("0m"), Ok(NOW));
    }

    #[test]
    fn anything_else_is_refused_with_the_reason_and_the_forms() {
        for (text, reason) in [
            ("", "it is empty"),
            ("yesterday", "it does not start with a date YYYY-MM-DD"),
            ("15 m", "it does not start with a date YYYY-MM-DD"),
            ("-5m", "it does not start with a date YYYY-MM-DD"),
            ("2026-02-29", "there is no such date"),
            ("2026-13-01", "there is no such date"),
            (
                "2026-11-27T10:00:00",
                "it has no time zone: end it with Z (UTC) or an offset like +02:00",
            ),
            ("2026-11-27T24:00:00Z", "there is no such time of day"),
            (
                "2026-11-27T10:00Z",
                "the time of day must follow the date as THH:MM:SS",
            ),
            (
                "2026-11-27T10:00:00+0200",
                "the time zone must be Z or an offset like +02:00",
            ),
            (
                "2026-11-27T10:00:00.Z",
                "a fraction of a second needs digits after the dot",
            ),
            ("99999999999999999999", "the number is too large"),
            ("9999999999999999999d", "the age is too large"),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.reason, reason, "{text:?}");
            let message = err.to_string();
            assert!(
                message.contains("RFC 3339") && message.contains("15m"),
                "{message}"
            );
        }
    }

    #[test]
    fn formatting_is_rfc3339_utc_and_round_trips() {
        assert_eq!(format_time(NOW), "2026-11-27T10:00:00Z");
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format_time(1_709_164_800_000), "2024-02-29T00:00:00Z");
        // Every day over four centuries, leap rules included, survives the round trip.
        for day in -146_097..146_097 {
            let ms = day * DAY_MS + 12 * 3_600_000 + 34 * 60_000 + 56_000;
            assert_eq!(parse(&format_time(ms)), Ok(ms), "day {day}");
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration_us(850), "850 µs");
        assert_eq!(format_duration_us(12_345), "12.3 ms");
        assert_eq!(format_duration_us(2_500_000), "2.50 s");
    }
}
