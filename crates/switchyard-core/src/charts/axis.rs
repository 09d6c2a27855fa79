//! Axis labels: local time at a resolution that suits the range, and values in their
//! unit, so a chart reads without a legend.

use chrono::{DateTime, FixedOffset};

use super::Unit;

/// A time label for `ms`: `14:05` within a day or two, `Nov 23 14:00` beyond.
pub fn time_label(ms: i64, range_ms: i64, offset: FixedOffset) -> String {
    let Some(at) = DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    let local = at.with_timezone(&offset);
    if range_ms <= 2 * 60 * 60 * 1000 {
        local.format("%H:%M:%S").to_string()
    } else if range_ms <= 2 * 24 * 60 * 60 * 1000 {
        local.format("%H:%M").to_string()
    } else {
        local.format("%b %d").to_string()
    }
}

/// Tick steps a person reads easily, in milliseconds.
const STEPS_MS: &[i64] = &[
    10_000,
    30_000,
    60_000,
    2 * 60_000,
    5 * 60_000,
    10 * 60_000,
    15 * 60_000,
    30 * 60_000,
    3_600_000,
    2 * 3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
    2 * 86_400_000,
    7 * 86_400_000,
];

/// Ticks on round local times (every 5 minutes, every hour, every day…), at most
/// `max_ticks` of them within `from..=until`.
pub fn time_ticks(from: i64, until: i64, offset: FixedOffset, max_ticks: i64) -> Vec<i64> {
    let span = (until - from).max(1);
    let step = STEPS_MS
        .iter()
        .copied()
        .find(|step| span / step < max_ticks)
        .unwrap_or(30 * 86_400_000);
    // Align to the local clock: shift into local time, round up, shift back.
    let shift = i64::from(offset.local_minus_utc()) * 1000;
    let first = ((from + shift + step - 1).div_euclid(step)) * step - shift;
    (0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= until)
        .collect()
}

/// A value label in its unit.
pub fn value_label(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.0} %", value * 100.0),
        Unit::Percent => format!("{value:.0} %"),
        Unit::Milliseconds if value >= 1000.0 => format!("{:.1} s", value / 1000.0),
        Unit::Milliseconds => format!("{value:.0} ms"),
        Unit::PerSecond => format!("{}/s", compact(value)),
        Unit::Megabytes => format!("{} MB", compact(value)),
        Unit::Count => compact(value),
    }
}

/// 950, 1.2k, 3.4M: short enough for an axis.
fn compact(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1_000_000.0 {
        format!("{:.1}M", value / 1_000_000.0)
    } else if magnitude >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if magnitude >= 1000.0 {
        format!("{:.1}k", value / 1000.0)
    } else if magnitude >= 10.0 || value == value.trunc() {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_labels_follow_the_range_in_local_time() {
        let plus_one = FixedOffset::east_opt(3600).unwrap();
        let ms = DateTime::parse_from_rfc3339("2026-11-23T13:05:07Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(time_label(ms, 15 * 60 * 1000, plus_one), "14:05:07");
        assert_eq!(time_label(ms, 24 * 3600 * 1000, plus_one), "14:05");
        assert_eq!(time_label(ms, 30 * 24 * 3600 * 1000, plus_one), "Nov 23");
    }

    #[test]
    fn ticks_fall_on_round_local_times() {
        let plus_one = FixedOffset::east_opt(3600).unwrap();
        let from = DateTime::parse_from_rfc3339("2026-11-23T13:02:10Z")
            .unwrap()
            .timestamp_millis();
        let ticks = time_ticks(from, from + 15 * 60_000, plus_one, 7);
        let labels: Vec<String> = ticks
            .iter()
            .map(|t| time_label(*t, 15 * 60_000, plus_one))
            .collect();
        assert_eq!(labels, ["14:05:00", "14:10:00", "14:15:00"]);
        let day = time_ticks(from, from + 86_400_000, plus_one, 7);
        assert_eq!(day.len(), 4, "every 6 hours across a day");
        assert!(
            day.iter().all(|t| (t + 3_600_000) % (6 * 3_600_000) == 0),
            "on local 6-hour marks"
        );
    }

    #[test]
    fn values_carry_their_units() {
        assert_eq!(value_label(0.85, Unit::Ratio), "85 %");
        assert_eq!(value_label(250.3, Unit::Milliseconds), "250 ms");
        assert_eq!(value_label(1520.0, Unit::Milliseconds), "1.5 s");
        assert_eq!(value_label(12_500.0, Unit::Count), "12k");
        assert_eq!(value_label(0.5, Unit::Count), "0.50");
        assert_eq!(value_label(100.0, Unit::PerSecond), "100/s");
    }
}
