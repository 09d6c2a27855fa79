//! Messages per second of one stream: the rate shown in the UI, and the cap above which a
//! stream is flooding and its excess is dropped (and counted) instead of processed.

use std::time::Duration;

use tokio::time::Instant;

/// Counts messages in one-second windows.
#[derive(Debug)]
pub struct RateMeter {
    limit: u32,
    window_start: Instant,
    in_window: u32,
    /// The rate of the last complete window.
    last_rate: u32,
}

/// What to do with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Process,
    /// Over the cap this second: drop it.
    Drop,
}

impl RateMeter {
    pub fn new(limit: u32, now: Instant) -> Self {
        RateMeter {
            limit,
            window_start: now,
            in_window: 0,
            last_rate: 0,
        }
    }

    pub fn admit(&mut self, now: Instant) -> Admit {
        self.roll(now);
        self.in_window = self.in_window.saturating_add(1);
        if self.in_window > self.limit {
            Admit::Drop
        } else {
            Admit::Process
        }
    }

    /// Messages per second: the last complete window, or the current one if higher.
    pub fn rate(&mut self, now: Instant) -> u32 {
        self.roll(now);
        self.last_rate.max(self.in_window)
    }

    /// True while the current or the last window went over the cap.
    pub fn flooding(&mut self, now: Instant) -> bool {
        self.rate(now) > self.limit
    }

    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= Duration::from_secs(2) {
            self.last_rate = 0;
            self.in_window = 0;
            self.window_start = now;
        } else if elapsed >= Duration::from_secs(1) {
            self.last_rate = self.in_window;
            self.in_window = 0;
            self.window_start += Duration::from_secs(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excess_over_the_cap_is_dropped_and_the_rate_shown() {
        let start = Instant::now();
        let mut meter = RateMeter::new(3, start);
        let verdicts: Vec<Admit> = (0..5).map(|_| meter.admit(start)).collect();
        assert_eq!(
            verdicts,
            [
                Admit::Process,
                Admit::Process,
                Admit::Process,
                Admit::Drop,
                Admit::Drop
            ]
        );
        assert!(meter.flooding(start));
        let next_second = start + Duration::from_millis(1100);
        assert_eq!(meter.admit(next_second), Admit::Process);
        assert_eq!(meter.rate(next_second), 5, "the last full second had five");
        let quiet = start + Duration::from_secs(4);
        assert_eq!(meter.rate(quiet), 0);
        assert!(!meter.flooding(quiet));
    }
}
