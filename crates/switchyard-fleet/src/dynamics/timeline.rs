//! Timeline helpers shared by the models: windows in a repeating cycle,
//! a stepper that hands out each elapsed second once, and a smooth wobble.

use std::ops::RangeInclusive;
use std::time::Duration;

/// Windows of whole seconds within a cycle that repeats forever, e.g. "a
/// failure burst from 20 s to 100 s of every 300 s".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cycle {
    /// Never zero (see [`Cycle::new`]).
    length: u64,
    /// Half-open `[start, end)` second ranges within the cycle.
    windows: Vec<(u64, u64)>,
    /// Shifts where in the cycle second 0 falls, so similar services do not
    /// all change at once.
    offset: u64,
}

impl Cycle {
    /// A cycle with no windows: nothing ever happens.
    pub(crate) fn never() -> Self {
        Cycle {
            length: 1,
            windows: Vec::new(),
            offset: 0,
        }
    }

    /// `windows` within a cycle of `length` seconds (zero counts as one).
    pub(crate) fn new(length: u64, windows: &[(u64, u64)]) -> Self {
        Cycle {
            length: length.max(1),
            windows: windows.to_vec(),
            offset: 0,
        }
    }

    pub(crate) fn with_offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    fn position(&self, second: u64) -> u64 {
        (second % self.length + self.offset % self.length) % self.length
    }

    /// Whether `second` falls inside a window.
    pub(crate) fn contains(&self, second: u64) -> bool {
        let position = self.position(second);
        self.windows
            .iter()
            .any(|&(start, end)| start <= position && position < end)
    }

    /// Whether a window opens at `second`.
    pub(crate) fn starts_at(&self, second: u64) -> bool {
        let position = self.position(second);
        self.windows.iter().any(|&(start, _)| start == position)
    }
}

/// Hands out each whole second since start exactly once, so a model stepped
/// at irregular moments (whenever a request arrives) still sees every
/// second of its timeline, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stepper {
    /// The last second handed out; second 0 is the starting state.
    done: u64,
}

impl Stepper {
    /// The seconds after the last call up to and including `now`.
    pub(crate) fn until(&mut self, now: Duration) -> RangeInclusive<u64> {
        let now = now.as_secs();
        let next = self.done + 1;
        self.done = self.done.max(now);
        // An empty range when `now` has not passed the last second.
        next..=now
    }
}

/// A smooth periodic wobble of `amplitude` around zero, `period` seconds
/// long: metrics that breathe instead of sitting still.
pub(crate) fn wave(second: u64, period: u64, amplitude: f64) -> f64 {
    let phase = (second % period.max(1)) as f64 / period.max(1) as f64;
    amplitude * (phase * std::f64::consts::TAU).sin()
}

/// `value` rounded to `decimals` places, as a service would print it.
pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_repeat_with_half_open_bounds() {
        let cycle = Cycle::new(100, &[(20, 30)]);
        assert!(!cycle.contains(19));
        assert!(cycle.contains(20));
        assert!(cycle.contains(29));
        assert!(!cycle.contains(30));
        assert!(cycle.contains(125));
        assert!(cycle.starts_at(220));
        assert!(!cycle.starts_at(221));
    }

    #[test]
    fn offsets_shift_the_cycle() {
        let cycle = Cycle::new(100, &[(20, 30)]).with_offset(15);
        assert!(cycle.contains(5));
        assert!(!cycle.contains(15));
        assert!(!Cycle::never().contains(0));
    }

    #[test]
    fn the_stepper_hands_out_each_second_once() {
        let mut stepper = Stepper::default();
        assert!(stepper.until(Duration::from_millis(900)).is_empty());
        assert_eq!(stepper.until(Duration::from_secs(3)), 1..=3);
        assert!(stepper.until(Duration::from_millis(3500)).is_empty());
        assert_eq!(stepper.until(Duration::from_secs(4)), 4..=4);
    }

    #[test]
    fn waves_stay_within_their_amplitude() {
        for second in 0..200 {
            assert!(wave(second, 60, 2.0).abs() <= 2.0);
        }
        assert_eq!(round_to(wave(0, 60, 2.0), 6), 0.0);
        assert_eq!(round_to(41.256, 1), 41.3);
    }
}
