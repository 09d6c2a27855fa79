//! Breaker transitions the console sees for itself: a breaker whose state differs from
//! the last good observation's changed in between. A service that reports the change in
//! its own log (Resilience4j events) is believed instead, with its own timestamp.

use crate::model::{Breaker, Observation, Transition, TransitionSource};

/// The transitions between `previous` breakers and `observation`'s, minus those the
/// observation already reports.
pub fn derive(previous: &[Breaker], observation: &Observation) -> Vec<Transition> {
    observation
        .breakers
        .iter()
        .filter_map(|now| {
            let before = previous.iter().find(|b| b.name == now.name)?;
            if before.state == now.state {
                return None;
            }
            let reported = observation
                .transitions
                .iter()
                .any(|t| t.breaker == now.name && t.to == now.state);
            (!reported).then(|| Transition {
                breaker: now.name.clone(),
                from: Some(before.state),
                to: now.state,
                at: observation.observed_at,
                source: TransitionSource::Poll,
                reason: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BreakerState, Reachability};
    use chrono::Utc;

    fn breaker(name: &str, state: BreakerState) -> Breaker {
        Breaker {
            name: name.into(),
            state,
            failure_count: None,
            success_count: None,
            failure_rate: None,
            backoff_seconds: None,
            health_score: None,
            call_count: None,
            since: None,
            reason: None,
        }
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

    #[test]
    fn a_changed_state_is_a_transition_from_the_old_one() {
        let previous = [
            breaker("a", BreakerState::Closed),
            breaker("b", BreakerState::Open),
        ];
        let now = observation(
            vec![
                breaker("a", BreakerState::Open),
                breaker("b", BreakerState::Open),
            ],
            vec![],
        );
        let derived = derive(&previous, &now);
        assert_eq!(derived.len(), 1);
        assert_eq!(
            (derived[0].from, derived[0].to),
            (Some(BreakerState::Closed), BreakerState::Open)
        );
        assert_eq!(derived[0].at, now.observed_at);
    }

    #[test]
    fn a_new_breaker_or_a_reported_change_is_not_derived_again() {
        let previous = [breaker("a", BreakerState::Closed)];
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
        assert!(derive(&previous, &now).is_empty());
    }
}
