//! A service's clock: time since start on the tokio clock (so paused-time
//! tests drive every dynamic), and the wall-clock moment it started, to
//! print event times as the RFC 3339 timestamps the contracts show.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    started: Instant,
    started_wall: DateTime<Utc>,
}

impl Clock {
    /// A clock starting now.
    pub(crate) fn start() -> Self {
        Clock {
            started: Instant::now(),
            started_wall: Utc::now(),
        }
    }

    /// Time since start, on the tokio clock.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The wall-clock time `at` after start, e.g. `2025-11-13T10:00:00Z`.
    /// Derived from the tokio clock, so under paused time it moves with
    /// `advance()` rather than with the real world.
    pub(crate) fn timestamp(&self, at: Duration) -> String {
        let at = chrono::Duration::from_std(at).unwrap_or(chrono::Duration::zero());
        (self.started_wall + at).to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The wall-clock time `at` after start in milliseconds since the Unix
    /// epoch, as stream messages carry it (`changed_at_ms`). Moves with the
    /// tokio clock like [`Clock::timestamp`]; in real time it stays within
    /// the drift between the monotonic and the system clock of `Utc::now()`.
    pub(crate) fn wall_ms(&self, at: Duration) -> i64 {
        let at = chrono::Duration::from_std(at).unwrap_or(chrono::Duration::zero());
        (self.started_wall + at).timestamp_millis()
    }

    /// As [`Clock::wall_ms`], in seconds with a fraction (`12345.6`).
    pub(crate) fn wall_seconds(&self, at: Duration) -> f64 {
        self.wall_ms(at) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn timestamps_follow_the_tokio_clock() {
        let clock = Clock::start();
        let first = clock.timestamp(clock.elapsed());
        tokio::time::advance(Duration::from_secs(3600)).await;
        let later = clock.timestamp(clock.elapsed());
        let parse = |text: &str| DateTime::parse_from_rfc3339(text).map(|t| t.timestamp());
        assert_eq!(
            parse(&later).unwrap_or_default() - parse(&first).unwrap_or_default(),
            3600
        );
        assert!(later.ends_with('Z'));
        let ms = clock.wall_ms(clock.elapsed());
        assert_eq!(ms - clock.wall_ms(Duration::ZERO), 3_600_000);
        assert_eq!(clock.wall_seconds(clock.elapsed()), ms as f64 / 1000.0);
    }
}
