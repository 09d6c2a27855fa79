//! How long to wait before trying again, for every source: one type, two schedules.
//!
//! - Streams reconnect with [`Backoff::delay`]: exponential with full jitter above a
//!   floor, capped, and reset once a connection has been healthy for a while. The floor
//!   is what keeps a refused stream from ever reconnecting in a tight loop; a refusal
//!   that will not lift soon ("channel full") waits on [`Backoff::slow_delay`].
//! - Polls use [`Backoff::poll_delay`]: the interval, stretched while failing up to
//!   four intervals (an engineer must see a recovered service within a few intervals),
//!   with a little jitter so many services do not fire in lockstep, and never sooner
//!   than the service asked with `Retry-After`.

use std::time::Duration;

/// How a stream waits between connection attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The shortest wait, and the first attempt's ceiling.
    pub min: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// A refusal such as "channel full" will not clear in a second: retry on this slower
/// path, never sooner than this many `min` steps.
const SLOW_PATH_FACTOR: u32 = 8;

/// Polling backoff never stretches an interval by more than this.
const MAX_POLL_STRETCH: u32 = 4;
/// Poll jitter: plus or minus this fraction of the interval.
const POLL_JITTER: f64 = 0.1;

impl Backoff {
    /// The schedule of a service polled every `interval`.
    pub fn for_polls(interval: Duration) -> Backoff {
        Backoff {
            min: interval,
            max: interval * MAX_POLL_STRETCH,
        }
    }

    /// The wait before the next poll after `consecutive_failures` failed rounds, given a
    /// uniform `jitter_unit` in 0..1; `retry_after` is a floor.
    pub fn poll_delay(
        &self,
        consecutive_failures: u32,
        retry_after: Option<Duration>,
        jitter_unit: f64,
    ) -> Duration {
        let stretched = self
            .min
            .saturating_mul(2u32.saturating_pow(consecutive_failures.min(8)))
            .min(self.max);
        let jitter = 1.0 - POLL_JITTER + 2.0 * POLL_JITTER * jitter_unit.clamp(0.0, 1.0);
        let jittered = stretched.mul_f64(jitter);
        retry_after.map_or(jittered, |wait| jittered.max(wait))
    }

    /// The wait before attempt number `failures` (1 for the first retry), given a
    /// uniform `jitter_unit` in 0..1.
    pub fn delay(&self, failures: u32, jitter_unit: f64) -> Duration {
        let ceiling = self.ceiling(failures);
        let spread = ceiling.saturating_sub(self.min);
        self.min + spread.mul_f64(jitter_unit.clamp(0.0, 1.0))
    }

    /// The wait after a refusal the server will not lift soon (close code 1008).
    pub fn slow_delay(&self, failures: u32, jitter_unit: f64) -> Duration {
        let floor = (self.min * SLOW_PATH_FACTOR).min(self.max);
        let ceiling = self.ceiling(failures.saturating_add(3)).max(floor);
        floor
            + ceiling
                .saturating_sub(floor)
                .mul_f64(jitter_unit.clamp(0.0, 1.0))
    }

    fn ceiling(&self, failures: u32) -> Duration {
        let doubled = self
            .min
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(20)));
        doubled.min(self.max).max(self.min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn backoff() -> Backoff {
        Backoff {
            min: 100 * MS,
            max: 2000 * MS,
        }
    }

    #[test]
    fn delays_grow_from_the_floor_to_the_cap() {
        let b = backoff();
        assert_eq!(b.delay(1, 1.0), 100 * MS);
        assert_eq!(b.delay(2, 1.0), 200 * MS);
        assert_eq!(b.delay(4, 1.0), 800 * MS);
        assert_eq!(b.delay(30, 1.0), 2000 * MS);
    }

    #[test]
    fn jitter_never_goes_below_the_floor() {
        let b = backoff();
        for failures in 1..10 {
            assert_eq!(b.delay(failures, 0.0), 100 * MS);
        }
        assert_eq!(b.delay(3, 0.5), 250 * MS);
    }

    #[test]
    fn refusals_wait_on_the_slow_path() {
        let b = backoff();
        assert!(b.slow_delay(1, 0.0) >= 800 * MS);
        assert!(b.slow_delay(1, 1.0) <= 2000 * MS);
        assert_eq!(b.slow_delay(10, 1.0), 2000 * MS);
    }

    mod polls {
        use super::*;

        fn next_delay(
            interval: Duration,
            failures: u32,
            retry_after: Option<Duration>,
            jitter: f64,
        ) -> Duration {
            Backoff::for_polls(interval).poll_delay(failures, retry_after, jitter)
        }

        const SECOND: Duration = Duration::from_secs(1);

        #[test]
        fn a_healthy_service_is_polled_at_its_interval_within_jitter() {
            assert_eq!(next_delay(2 * SECOND, 0, None, 0.5), 2 * SECOND);
            assert_eq!(
                next_delay(2 * SECOND, 0, None, 0.0),
                Duration::from_millis(1800)
            );
            assert_eq!(
                next_delay(2 * SECOND, 0, None, 1.0),
                Duration::from_millis(2200)
            );
        }

        #[test]
        fn failures_back_off_up_to_four_intervals() {
            assert_eq!(next_delay(2 * SECOND, 1, None, 0.5), 4 * SECOND);
            assert_eq!(next_delay(2 * SECOND, 2, None, 0.5), 8 * SECOND);
            assert_eq!(next_delay(2 * SECOND, 30, None, 0.5), 8 * SECOND);
        }

        #[test]
        fn retry_after_is_a_floor() {
            assert_eq!(
                next_delay(2 * SECOND, 1, Some(30 * SECOND), 0.5),
                30 * SECOND
            );
            assert_eq!(next_delay(2 * SECOND, 0, Some(SECOND), 0.5), 2 * SECOND);
        }
    }
}
