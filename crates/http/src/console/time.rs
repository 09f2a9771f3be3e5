//! Times as the console shows and reads them: UTC, `2026-12-03 10:15:42`, and the
//! `datetime-local` inputs of its forms (`2026-12-03T10:15`, read as UTC).

use smartreach_store::calendar::{civil_from_days, days_from_civil, days_in_month};

const MS_PER_DAY: i64 = 86_400_000;

/// `2026-12-03 10:15:42 UTC` for a Unix time in milliseconds.
pub fn show(ms: i64) -> String {
    let (date, seconds) = split(ms);
    format!(
        "{date} {:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `10:15` (UTC) for a Unix time in milliseconds.
pub fn clock(ms: i64) -> String {
    let (_, seconds) = split(ms);
    format!("{:02}:{:02}", seconds / 3600, seconds / 60 % 60)
}

/// `2026-12-03T10:15`, the value of a `datetime-local` input, for a Unix time in milliseconds.
pub fn input_value(ms: i64) -> String {
    let (date, seconds) = split(ms);
    format!("{date}T{:02}:{:02}", seconds / 3600, seconds / 60 % 60)
}

/// The Unix time in milliseconds of a `datetime-local` value (`YYYY-MM-DDTHH:MM`, optionally
/// `:SS`), read as UTC; `None` when it is not one.
pub fn parse_input(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once('T')?;
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    if date_parts.next().is_some()
        || !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
    {
        return None;
    }
    let mut time_parts = time.split(':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let second: i64 = match time_parts.next() {
        Some(second) => second.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if time_parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * MS_PER_DAY + (hour * 3600 + minute * 60 + second) * 1000)
}

/// `1 h 5 m`, `3 m 12 s`, `42 s`, `250 ms`: a duration in milliseconds, two units at most.
pub fn age(ms: i64) -> String {
    let ms = ms.max(0);
    let seconds = ms / 1000;
    match seconds {
        0 => format!("{ms} ms"),
        1..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} m {} s", seconds / 60, seconds % 60),
        3600..=86_399 => format!("{} h {} m", seconds / 3600, seconds / 60 % 60),
        _ => format!("{} d {} h", seconds / 86_400, seconds / 3600 % 24),
    }
}

/// `1.25 ms` or `830 µs`: an attempt's duration in microseconds.
pub fn duration_us(us: i64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else {
        format!("{:.2} ms", us as f64 / 1000.0)
    }
}

/// The date (`YYYY-MM-DD`) and the seconds into that day of a Unix time in milliseconds.
fn split(ms: i64) -> (String, i64) {
    let days = ms.div_euclid(MS_PER_DAY);
    let seconds = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (year, month, day) = civil_from_days(days);
    (format!("{year:04}-{month:02}-{day:02}"), seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(show(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(show(1_764_756_942_000), "2025-12-03 10:15:42 UTC");
        assert_eq!(show(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(clock(1_764_756_942_000), "10:15");
    }

    #[test]
    fn datetime_local_values_round_trip() {
        for ms in [0, 951_782_400_000, 1_764_756_900_000, 253_402_300_740_000] {
            assert_eq!(parse_input(&input_value(ms)), Some(ms), "{ms}");
        }
        assert_eq!(parse_input("2025-12-03T10:15:42"), Some(1_764_756_942_000));
        for bad in [
            "",
            "2025-12-03",
            "2025-13-01T00:00",
            "2025-02-29T00:00",
            "2025-12-03T24:00",
            "x-1-1T0:0",
        ] {
            assert_eq!(parse_input(bad), None, "{bad}");
        }
    }

    #[test]
    fn ages_use_two_units_at_most() {
        assert_eq!(age(250), "250 ms");
        assert_eq!(age(42_000), "42 s");
        assert_eq!(age(192_000), "3 m 12 s");
        assert_eq!(age(3_900_000), "1 h 5 m");
        assert_eq!(duration_us(830), "830 µs");
        assert_eq!(duration_us(1_250), "1.25 ms");
    }
}
