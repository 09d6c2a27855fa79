//! Breaker transitions, decided in one place. Whatever the news (a poll, a stream
//! message, the first sight of a breaker, a state that changed while the console was not
//! running, the effect of an action), [`BreakerBook`] compares it with the state it knows
//! and says which [`Transition`]s happened; the history only stores them. A service that
//! reports the change in its own log (Resilience4j events) is believed instead, with its
//! own timestamp.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::model::{Breaker, BreakerState, Observation, Transition, TransitionSource};

fn reported(observation: &Observation, now: &Breaker) -> bool {
    observation
        .transitions
        .iter()
        .any(|t| t.breaker == now.name && t.to == now.state)
}

fn poll_transition(
    from: Option<BreakerState>,
    now: &Breaker,
    observation: &Observation,
) -> Transition {
    Transition {
        breaker: now.name.clone(),
        from,
        to: now.state,
        at: observation.observed_at,
        source: TransitionSource::Poll,
        reason: from.is_none().then(|| FIRST_SEEN.to_string()),
    }
}

/// The reason a breaker's first transition carries.
pub const FIRST_SEEN: &str = "first seen";

/// An action on its way: the breaker is expected to reach `to` before `until`; the
/// transition that gets it there is the action's.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedChange {
    pub to: BreakerState,
    /// The engineer's reason, carried by the transition.
    pub reason: String,
    pub until: DateTime<Utc>,
}

/// The last known state of every breaker of every service, and what actions expect.
/// Starts from what the history stored when the console last ran, so a breaker that
/// changed in between gets its transition, and one never seen gets "first seen".
#[derive(Debug, Default)]
pub struct BreakerBook {
    known: HashMap<String, HashMap<String, BreakerState>>,
    expected: HashMap<(String, String), ExpectedChange>,
}

impl BreakerBook {
    /// A book that remembers `stored` (service, breaker, state) from the history.
    pub fn from_stored(stored: impl IntoIterator<Item = (String, String, BreakerState)>) -> Self {
        let mut book = BreakerBook::default();
        for (service, breaker, state) in stored {
            book.known
                .entry(service)
                .or_default()
                .insert(breaker, state);
        }
        book
    }

    /// The transitions a poll's observation makes: every breaker whose state differs
    /// from the known one, or that was never seen, unless the service reports the change.
    pub fn poll(&mut self, observation: &Observation) -> Vec<Transition> {
        let mut transitions = Vec::new();
        for now in &observation.breakers {
            let before = self.set(&observation.service, &now.name, now.state);
            if before == Some(now.state) || reported(observation, now) {
                continue;
            }
            let mut transition = poll_transition(before, now, observation);
            self.attribute(&observation.service, &mut transition);
            transitions.push(transition);
        }
        transitions
    }

    /// A stream's news about one breaker whose state before was `before` on screen. A
    /// breaker not seen by a poll yet gets its first transition from the poll that
    /// sees it, so the stream's word alone makes none.
    pub fn stream(
        &mut self,
        service: &str,
        breaker: &Breaker,
        before: Option<BreakerState>,
        at: DateTime<Utc>,
    ) -> Option<Transition> {
        let before = before?;
        self.set(service, &breaker.name, breaker.state);
        if before == breaker.state {
            return None;
        }
        let mut transition = Transition {
            breaker: breaker.name.clone(),
            from: Some(before),
            to: breaker.state,
            at,
            source: TransitionSource::Stream,
            reason: None,
        };
        self.attribute(service, &mut transition);
        Some(transition)
    }

    /// An action was sent: the next change of `breaker` to `change.to` before
    /// `change.until` is recorded as the action's.
    pub fn expect(&mut self, service: &str, breaker: &str, change: ExpectedChange) {
        self.expected
            .insert((service.to_string(), breaker.to_string()), change);
    }

    fn set(&mut self, service: &str, breaker: &str, state: BreakerState) -> Option<BreakerState> {
        let breakers = match self.known.get_mut(service) {
            Some(breakers) => breakers,
            None => self.known.entry(service.to_string()).or_default(),
        };
        match breakers.get_mut(breaker) {
            Some(known) => Some(std::mem::replace(known, state)),
            None => {
                breakers.insert(breaker.to_string(), state);
                None
            }
        }
    }

    fn attribute(&mut self, service: &str, transition: &mut Transition) {
        let key = (service.to_string(), transition.breaker.clone());
        let Some(expected) = self.expected.get(&key) else {
            return;
        };
        if transition.at > expected.until {
            self.expected.remove(&key);
        } else if expected.to == transition.to {
            transition.source = TransitionSource::Action;
            transition.reason = Some(expected.reason.clone());
            self.expected.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BreakerState, Reachability};
    use chrono::Utc;

    fn breaker(name: &str, state: BreakerState) -> Breaker {
        Breaker::new(name, state)
    }

    fn observation(breakers: Vec<Breaker>, transitions: Vec<Transition>) -> Observation {
        Observation {
            service: "s".into(),
            profile: "breaker-registry".into(),
            observed_at: Utc::now(),
            reachability: Reachability::Reachable { latency_ms: 1.0 },
            health: None,
            breakers,
            samples: vec![],
            actions: vec![],
            transitions,
            service_alerts: vec![],
            thresholds: vec![],
            problems: vec![],
        }
    }

    fn book_with(breakers: &[(&str, BreakerState)]) -> BreakerBook {
        BreakerBook::from_stored(
            breakers
                .iter()
                .map(|(name, state)| ("s".to_string(), name.to_string(), *state)),
        )
    }

    #[test]
    fn a_changed_state_is_a_transition_from_the_old_one() {
        let mut book = book_with(&[("a", BreakerState::Closed), ("b", BreakerState::Open)]);
        let now = observation(
            vec![
                breaker("a", BreakerState::Open),
                breaker("b", BreakerState::Open),
            ],
            vec![],
        );
        let derived = book.poll(&now);
        assert_eq!(derived.len(), 1);
        assert_eq!(
            (derived[0].from, derived[0].to),
            (Some(BreakerState::Closed), BreakerState::Open)
        );
        assert_eq!(derived[0].at, now.observed_at);
        assert_eq!(derived[0].reason, None);
        assert!(
            book.poll(&now).is_empty(),
            "the same state again is no change"
        );
    }

    #[test]
    fn a_reported_change_is_not_derived_again_and_a_new_breaker_is_first_seen() {
        let mut book = book_with(&[("a", BreakerState::Closed)]);
        let reported = Transition {
            breaker: "a".into(),
            from: Some(BreakerState::Closed),
            to: BreakerState::Open,
            at: Utc::now(),
            source: TransitionSource::Poll,
            reason: None,
        };
        let now = observation(
            vec![
                breaker("a", BreakerState::Open),
                breaker("new", BreakerState::Open),
            ],
            vec![reported],
        );
        let derived = book.poll(&now);
        assert_eq!(derived.len(), 1, "{derived:?}");
        assert_eq!(derived[0].breaker, "new");
        assert_eq!(derived[0].from, None);
        assert_eq!(derived[0].reason.as_deref(), Some(FIRST_SEEN));
    }

    #[test]
    fn a_stream_change_is_a_stream_transition_and_an_expected_one_is_the_actions() {
        let mut book = book_with(&[("a", BreakerState::Open)]);
        let at = Utc::now();
        let half_open = breaker("a", BreakerState::HalfOpen);
        let t = book
            .stream("s", &half_open, Some(BreakerState::Open), at)
            .unwrap();
        assert_eq!(t.source, TransitionSource::Stream);
        assert_eq!(t.from, Some(BreakerState::Open));
        assert!(
            book.stream("s", &breaker("b", BreakerState::Open), None, at)
                .is_none(),
            "news of a breaker no poll has seen makes no transition"
        );

        book.expect(
            "s",
            "a",
            ExpectedChange {
                to: BreakerState::Closed,
                reason: "exchange back (INC-1)".into(),
                until: at + chrono::Duration::seconds(10),
            },
        );
        let closed = observation(vec![breaker("a", BreakerState::Closed)], vec![]);
        let derived = book.poll(&closed);
        assert_eq!(derived[0].source, TransitionSource::Action);
        assert_eq!(derived[0].reason.as_deref(), Some("exchange back (INC-1)"));
        let opened = observation(vec![breaker("a", BreakerState::Open)], vec![]);
        assert_eq!(
            book.poll(&opened)[0].source,
            TransitionSource::Poll,
            "an expectation is used once"
        );
    }
}
