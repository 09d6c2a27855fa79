//! A circuit breaker as a state machine, and the scripted traffic that
//! drives it: CLOSED until enough consecutive failures trip it OPEN, OPEN
//! for its backoff, then HALF_OPEN until one probe call closes it again (or
//! fails and reopens it for longer).

use std::collections::VecDeque;
use std::time::Duration;

use serde::Deserialize;

use super::timeline::{round_to, Cycle};

/// How far the exponential backoff may grow: ten times the timeout.
const MAX_BACKOFF_FACTOR: u32 = 10;

/// Calls the success rate covers.
const RATE_WINDOW: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BreakerState {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerState {
    /// The contract's word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "CLOSED",
            BreakerState::HalfOpen => "HALF_OPEN",
            BreakerState::Open => "OPEN",
        }
    }

    /// Tolerant, as the contract asks of every enum word (`half-open`).
    pub(crate) fn parse(word: &str) -> Result<Self, String> {
        crate::words::pick(
            word,
            &[
                ("CLOSED", BreakerState::Closed),
                ("HALF_OPEN", BreakerState::HalfOpen),
                ("OPEN", BreakerState::Open),
            ],
            "breaker state",
        )
    }
}

/// When a breaker trips and how long it stays open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BreakerPolicy {
    /// Consecutive failures that trip a closed breaker.
    pub(crate) failure_threshold: u32,
    /// How long the first trip keeps it open.
    pub(crate) timeout: Duration,
    /// `breaker-registry` doubles the backoff for every failure past the
    /// threshold (`timeout × 2^(failures − threshold)`, at most 10 ×);
    /// `emergency-controls` always waits the plain timeout.
    pub(crate) exponential: bool,
}

/// One breaker's state.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Breaker {
    pub(crate) policy: BreakerPolicy,
    pub(crate) state: BreakerState,
    /// Consecutive failures: reset by a success while closed and when the
    /// breaker closes.
    pub(crate) failure_count: u32,
    /// Successful calls since start.
    pub(crate) success_count: u64,
    /// When it last opened; `None` unless OPEN or HALF_OPEN.
    opened_at: Option<Duration>,
    pub(crate) last_failure: Option<Duration>,
    /// The last calls, true for a success, for the success rate.
    recent: VecDeque<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Failure,
}

impl Breaker {
    /// A closed breaker with no history.
    pub(crate) fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            state: BreakerState::Closed,
            failure_count: 0,
            success_count: 0,
            opened_at: None,
            last_failure: None,
            recent: VecDeque::with_capacity(RATE_WINDOW),
        }
    }

    /// How long the breaker stays open after its latest trip.
    pub(crate) fn backoff(&self) -> Duration {
        if !self.policy.exponential {
            return self.policy.timeout;
        }
        let doublings = self
            .failure_count
            .saturating_sub(self.policy.failure_threshold);
        // 2^4 already passes the cap; stopping there avoids overflow.
        let factor = 2u32.pow(doublings.min(4)).min(MAX_BACKOFF_FACTOR);
        self.policy.timeout * factor
    }

    /// One call through the breaker at `now`; the upstream answers
    /// `outcome`. An open breaker rejects the call without reaching the
    /// upstream, so nothing is recorded.
    pub(crate) fn call(&mut self, now: Duration, outcome: Outcome) {
        match (self.state, outcome) {
            (BreakerState::Open, _) => {}
            (BreakerState::Closed, Outcome::Success) => {
                self.failure_count = 0;
                self.record(true);
            }
            (BreakerState::HalfOpen, Outcome::Success) => {
                self.record(true);
                self.close();
            }
            (BreakerState::Closed, Outcome::Failure) => {
                self.fail(now);
                if self.failure_count >= self.policy.failure_threshold {
                    self.open(now);
                }
            }
            (BreakerState::HalfOpen, Outcome::Failure) => {
                self.fail(now);
                self.open(now);
            }
        }
    }

    /// Moves an OPEN breaker whose backoff has run out to HALF_OPEN.
    pub(crate) fn expire(&mut self, now: Duration) {
        if let (BreakerState::Open, Some(opened_at)) = (self.state, self.opened_at) {
            if now >= opened_at + self.backoff() {
                self.state = BreakerState::HalfOpen;
            }
        }
    }

    /// Back to CLOSED with no failures, as a reset endpoint does.
    pub(crate) fn close(&mut self) {
        self.state = BreakerState::Closed;
        self.failure_count = 0;
        self.opened_at = None;
    }

    fn open(&mut self, now: Duration) {
        self.state = BreakerState::Open;
        self.opened_at = Some(now);
    }

    fn fail(&mut self, now: Duration) {
        self.failure_count = self.failure_count.saturating_add(1);
        self.last_failure = Some(now);
        self.record(false);
    }

    fn record(&mut self, success: bool) {
        if success {
            self.success_count += 1;
        }
        if self.recent.len() == RATE_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(success);
    }

    /// The backoff in force while OPEN or HALF_OPEN; zero while CLOSED.
    pub(crate) fn current_backoff_seconds(&self) -> f64 {
        match self.state {
            BreakerState::Closed => 0.0,
            _ => self.backoff().as_secs_f64(),
        }
    }

    /// Successes among the last 100 calls, in percent; 100 with no calls.
    pub(crate) fn success_rate_percent(&self) -> f64 {
        if self.recent.is_empty() {
            return 100.0;
        }
        let successes = self.recent.iter().filter(|success| **success).count();
        round_to(successes as f64 * 100.0 / self.recent.len() as f64, 1)
    }

    /// 0..100: the success rate, halved while OPEN and cut by a quarter
    /// while HALF_OPEN, so the score drops the moment a breaker trips.
    pub(crate) fn health_score(&self) -> u8 {
        let rate = self.success_rate_percent();
        let score = match self.state {
            BreakerState::Closed => rate,
            BreakerState::HalfOpen => rate * 0.75,
            BreakerState::Open => rate * 0.5,
        };
        score.round().clamp(0.0, 100.0) as u8
    }

    /// Applies a control-API change at `now`. Setting OPEN starts a fresh
    /// backoff from `now`.
    pub(crate) fn apply(&mut self, patch: &BreakerPatch, now: Duration) -> Result<(), String> {
        let state = patch
            .state
            .as_deref()
            .map(BreakerState::parse)
            .transpose()?;
        if let Some(count) = patch.failure_count {
            self.failure_count = count;
            if count > 0 && self.last_failure.is_none() {
                self.last_failure = Some(now);
            }
        }
        if let Some(count) = patch.success_count {
            self.success_count = count;
        }
        match state {
            Some(BreakerState::Open) => self.open(now),
            Some(BreakerState::HalfOpen) => {
                self.state = BreakerState::HalfOpen;
                self.opened_at.get_or_insert(now);
            }
            Some(BreakerState::Closed) => {
                self.state = BreakerState::Closed;
                self.opened_at = None;
            }
            None => {}
        }
        Ok(())
    }
}

/// The control API's change to one breaker; a name the service lacks is
/// added with the service's policy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BreakerPatch {
    /// `CLOSED`, `HALF_OPEN` or `OPEN`, tolerantly.
    state: Option<String>,
    /// `failures` is the `emergency-controls` spelling.
    #[serde(alias = "failures")]
    failure_count: Option<u32>,
    success_count: Option<u64>,
}

impl BreakerPatch {
    /// The state word asked for, as written.
    pub(crate) fn state_word(&self) -> Option<&str> {
        self.state.as_deref()
    }
}

/// The scripted calls through one breaker: one every `call_every` seconds,
/// failing while the upstream is inside a `failing` window.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Traffic {
    pub(crate) failing: Cycle,
    pub(crate) call_every: u64,
}

impl Traffic {
    /// Calls that always succeed.
    pub(crate) fn healthy(call_every: u64) -> Self {
        Traffic {
            failing: Cycle::never(),
            call_every,
        }
    }

    /// Steps `breaker` through `second`: the call due then (if any), then
    /// the backoff check. Checking after the call lets HALF_OPEN last until
    /// the next call, so a poller can see it.
    pub(crate) fn step(&self, breaker: &mut Breaker, second: u64) {
        let now = Duration::from_secs(second);
        if second % self.call_every.max(1) == 0 {
            let outcome = if self.failing.contains(second) {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            breaker.call(now, outcome);
        }
        breaker.expire(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry_policy() -> BreakerPolicy {
        BreakerPolicy {
            failure_threshold: 5,
            timeout: Duration::from_secs(60),
            exponential: true,
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn backoff_doubles_past_the_threshold_and_caps_at_ten_times() {
        let mut breaker = Breaker::new(registry_policy());
        for (failures, backoff) in [(5, 60), (6, 120), (7, 240), (8, 480), (9, 600), (40, 600)] {
            breaker.failure_count = failures;
            assert_eq!(breaker.backoff(), secs(backoff), "{failures} failures");
        }
        let fixed = Breaker::new(BreakerPolicy {
            exponential: false,
            ..registry_policy()
        });
        assert_eq!(fixed.backoff(), secs(60));
    }

    #[test]
    fn five_failures_trip_then_half_open_then_a_success_closes() {
        let mut breaker = Breaker::new(registry_policy());
        for second in 1..=4 {
            breaker.call(secs(second), Outcome::Failure);
            assert_eq!(breaker.state, BreakerState::Closed);
        }
        breaker.call(secs(5), Outcome::Failure);
        assert_eq!(breaker.state, BreakerState::Open);
        assert_eq!(breaker.current_backoff_seconds(), 60.0);
        // Rejected calls change nothing.
        breaker.call(secs(6), Outcome::Success);
        assert_eq!((breaker.failure_count, breaker.success_count), (5, 0));
        breaker.expire(secs(64));
        assert_eq!(breaker.state, BreakerState::Open);
        breaker.expire(secs(65));
        assert_eq!(breaker.state, BreakerState::HalfOpen);
        breaker.call(secs(66), Outcome::Success);
        assert_eq!(breaker.state, BreakerState::Closed);
        assert_eq!(breaker.failure_count, 0);
        assert_eq!(breaker.success_rate_percent(), round_to(100.0 / 6.0, 1));
    }

    #[test]
    fn a_failed_probe_reopens_for_twice_as_long() {
        let mut breaker = Breaker::new(registry_policy());
        for second in 1..=5 {
            breaker.call(secs(second), Outcome::Failure);
        }
        breaker.expire(secs(65));
        breaker.call(secs(65), Outcome::Failure);
        assert_eq!(breaker.state, BreakerState::Open);
        assert_eq!(breaker.failure_count, 6);
        breaker.expire(secs(65 + 119));
        assert_eq!(breaker.state, BreakerState::Open);
        breaker.expire(secs(65 + 120));
        assert_eq!(breaker.state, BreakerState::HalfOpen);
    }

    #[test]
    fn a_success_while_closed_forgets_earlier_failures() {
        let mut breaker = Breaker::new(registry_policy());
        for second in 0..20 {
            let outcome = if second % 4 == 3 {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            breaker.call(secs(second), outcome);
        }
        assert_eq!(breaker.state, BreakerState::Closed);
    }

    /// The registry's `exchange_api` script: calls every 3 s, failing from
    /// 20 s to 100 s, timeout 30 s.
    #[test]
    fn scripted_traffic_trips_probes_and_recovers() {
        let traffic = Traffic {
            failing: Cycle::new(300, &[(20, 100)]),
            call_every: 3,
        };
        let mut breaker = Breaker::new(BreakerPolicy {
            timeout: secs(30),
            ..registry_policy()
        });
        let mut states = Vec::new();
        for second in 1..=140 {
            traffic.step(&mut breaker, second);
            states.push((second, breaker.state, breaker.failure_count));
        }
        let at = |second: u64| states[second as usize - 1];
        assert_eq!(at(32), (32, BreakerState::Closed, 4));
        assert_eq!(at(33), (33, BreakerState::Open, 5));
        assert_eq!(at(62).1, BreakerState::Open);
        assert_eq!(at(63).1, BreakerState::HalfOpen);
        // The probe at 66 s fails: open again, for 60 s.
        assert_eq!(at(66), (66, BreakerState::Open, 6));
        assert_eq!(at(125).1, BreakerState::Open);
        assert_eq!(at(126).1, BreakerState::HalfOpen);
        // The failure burst ended at 100 s: the probe at 129 s succeeds.
        assert_eq!(at(129), (129, BreakerState::Closed, 0));
    }

    #[test]
    fn patches_set_state_and_counts() {
        let mut breaker = Breaker::new(registry_policy());
        let patch: BreakerPatch =
            serde_json::from_str(r#"{"state": "open", "failure_count": 7}"#).unwrap_or_default();
        assert!(breaker.apply(&patch, secs(10)).is_ok());
        assert_eq!(breaker.state, BreakerState::Open);
        assert_eq!(breaker.current_backoff_seconds(), 240.0);
        assert_eq!(breaker.last_failure, Some(secs(10)));
        let bad: BreakerPatch = serde_json::from_str(r#"{"state": "ajar"}"#).unwrap_or_default();
        assert!(breaker.apply(&bad, secs(11)).is_err());
        let alias: Result<BreakerPatch, _> = serde_json::from_str(r#"{"failures": 5}"#);
        assert!(alias.is_ok());
    }
}
