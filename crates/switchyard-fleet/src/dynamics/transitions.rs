//! Breaker transitions as the streams announce them. Each model with
//! breakers keeps a log that compares their states, after every simulated
//! second and every change, with what it saw last; so a stream reports each
//! transition once, including those that happened between two requests.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::breaker::{Breaker, BreakerState};

/// Transitions kept until drained. The service drains after every step and
/// change, so this only matters when a long pinned stretch is caught up at
/// once; then the oldest are forgotten rather than kept without bound.
const PENDING_LIMIT: usize = 1024;

/// One breaker entering a state.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Transition {
    pub(crate) name: String,
    pub(crate) state: BreakerState,
    pub(crate) failure_count: u32,
    /// When, as time since the service started.
    pub(crate) at: Duration,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct TransitionLog {
    /// The latest transition of every breaker seen (for a breaker that never
    /// changed, its state when first seen).
    latest: BTreeMap<String, Transition>,
    pending: VecDeque<Transition>,
}

impl TransitionLog {
    /// A log that knows `breakers` as they are, announcing nothing for them.
    pub(crate) fn baseline<'a>(
        breakers: impl IntoIterator<Item = (&'a String, &'a Breaker)>,
    ) -> Self {
        let mut log = TransitionLog::default();
        for (name, breaker) in breakers {
            log.observe(name, breaker, Duration::ZERO);
        }
        log.pending.clear();
        log
    }

    /// Notes `breaker` at `at`: a state other than the one seen last (or a
    /// breaker not seen before) is a transition.
    pub(crate) fn observe(&mut self, name: &str, breaker: &Breaker, at: Duration) {
        if self
            .latest
            .get(name)
            .is_some_and(|last| last.state == breaker.state)
        {
            return;
        }
        let transition = Transition {
            name: name.to_owned(),
            state: breaker.state,
            failure_count: breaker.failure_count,
            at,
        };
        self.latest.insert(name.to_owned(), transition.clone());
        if self.pending.len() == PENDING_LIMIT {
            self.pending.pop_front();
        }
        self.pending.push_back(transition);
    }

    /// The transitions noted since the last call, oldest first.
    pub(crate) fn take(&mut self) -> Vec<Transition> {
        self.pending.drain(..).collect()
    }

    /// The latest transition of every breaker, by name.
    pub(crate) fn latest(&self) -> Vec<Transition> {
        self.latest.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::breaker::{BreakerPolicy, Outcome};

    fn breaker() -> Breaker {
        Breaker::new(BreakerPolicy {
            failure_threshold: 1,
            timeout: Duration::from_secs(10),
            exponential: false,
        })
    }

    #[test]
    fn only_changes_of_state_are_transitions() {
        let name = "swap".to_owned();
        let mut one = breaker();
        let mut log = TransitionLog::baseline([(&name, &one)]);
        assert!(log.take().is_empty());
        log.observe(&name, &one, Duration::from_secs(1));
        assert!(log.take().is_empty());
        one.call(Duration::from_secs(2), Outcome::Failure);
        log.observe(&name, &one, Duration::from_secs(2));
        log.observe(&name, &one, Duration::from_secs(3));
        let taken = log.take();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].state, BreakerState::Open);
        assert_eq!(taken[0].failure_count, 1);
        assert_eq!(taken[0].at, Duration::from_secs(2));
        assert_eq!(log.latest(), taken);
        // A breaker seen for the first time is announced.
        log.observe("new", &breaker(), Duration::from_secs(4));
        assert_eq!(log.take().len(), 1);
    }

    #[test]
    fn pending_transitions_are_bounded() {
        let mut log = TransitionLog::default();
        let (mut open, closed) = (breaker(), breaker());
        open.call(Duration::ZERO, Outcome::Failure);
        for n in 0..PENDING_LIMIT + 5 {
            let which = if n % 2 == 0 { &open } else { &closed };
            log.observe("flapping", which, Duration::from_secs(n as u64));
        }
        let taken = log.take();
        assert_eq!(taken.len(), PENDING_LIMIT);
        assert_eq!(taken[0].at, Duration::from_secs(5));
    }
}
