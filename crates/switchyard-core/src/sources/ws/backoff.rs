//! Reconnect delays: exponential with full jitter above a floor, capped, and reset once a
//! connection has been healthy for a while. The floor is what keeps a refused stream
//! from ever reconnecting in a tight loop.

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

impl Backoff {
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
}
