//! `single-breaker` (docs/contracts.md): one breaker with a guarded reset, and a history of
//! activations and resets. The history is a log: each entry becomes a transition once.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};

use super::json::{object_body, Fields};
use super::words::{breaker_state, health_status};
use super::{unexpected_endpoint, Endpoint, ParseError, Profile, ProfileReader, Reading, Response};
use crate::model::{Breaker, BreakerState, Health, Transition, TransitionSource};

/// The breaker's name in the model: the contract has exactly one.
pub const BREAKER_NAME: &str = "circuit_breaker";
/// History entries remembered for de-duplication; the service keeps fewer than this.
const REMEMBERED: usize = 1000;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::primary("/api/circuit-breaker/status"),
        Endpoint::secondary("/api/circuit-breaker/history", 2),
    ]
}

#[derive(Default)]
pub struct Reader {
    seen: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
}

impl ProfileReader for Reader {
    fn read(&mut self, endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
        let map = object_body(response.body)?;
        let root = Fields::root(&map);
        let mut reading = Reading::default();
        match endpoint {
            "/api/circuit-breaker/status" => {
                reading.health = Some(Health {
                    status: health_status(root.required_str("status")?),
                    version: None,
                    uptime_seconds: None,
                    dependencies: Vec::new(),
                });
                if let Some(cb) = root.optional_object("circuit_breaker")? {
                    reading.breakers.push(breaker(&cb)?);
                }
            }
            "/api/circuit-breaker/history" => {
                for entry in root.optional_objects("history")?.unwrap_or_default() {
                    let event = entry.required_str("event")?.to_string();
                    let at = entry.optional_str("at")?.unwrap_or_default().to_string();
                    if !self.remember((event.clone(), at.clone())) {
                        continue;
                    }
                    let to = match super::words::fold(&event).as_str() {
                        "activated" => BreakerState::Open,
                        "reset" => BreakerState::Closed,
                        _ => continue, // an event kind we do not know moves no state
                    };
                    reading.transitions.push(Transition {
                        breaker: BREAKER_NAME.to_string(),
                        from: None,
                        to,
                        at: DateTime::parse_from_rfc3339(&at)
                            .map(|t| t.with_timezone(&Utc))
                            .unwrap_or(response.received_at),
                        source: TransitionSource::Poll,
                        reason: entry.optional_str("reason")?.map(str::to_string),
                    });
                }
            }
            other => return Err(unexpected_endpoint(Profile::SingleBreaker, other)),
        }
        Ok(reading)
    }
}

impl Reader {
    /// True the first time an entry is seen.
    fn remember(&mut self, key: (String, String)) -> bool {
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

fn breaker(cb: &Fields<'_>) -> Result<Breaker, ParseError> {
    let active = cb.optional_bool("active")?;
    let state = match cb.optional_str("state")? {
        Some(word) => breaker_state(word),
        None => match active {
            Some(true) => BreakerState::Open,
            Some(false) => BreakerState::Closed,
            None => BreakerState::Unknown,
        },
    };
    Ok(Breaker {
        name: BREAKER_NAME.to_string(),
        state,
        failure_count: cb.optional_f64("failure_count")?,
        success_count: None,
        failure_rate: None,
        backoff_seconds: None,
        health_score: None,
        call_count: None,
        since: cb.optional_str("activated_at")?.map(str::to_string),
        reason: cb.optional_str("reason")?.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HealthStatus;

    fn read_doc(reader: &mut Reader, endpoint: &str, body: &str) -> Result<Reading, ParseError> {
        reader.read(endpoint, &Response::of(body))
    }

    #[test]
    fn status_gives_health_and_the_breaker() {
        let body = r#"{"status": "ok", "circuit_breaker": {"active": true, "state": "OPEN", "failure_count": 5, "activated_at": "2026-11-23T09:00:00Z", "reason": "max drawdown"}}"#;
        let reading =
            read_doc(&mut Reader::default(), "/api/circuit-breaker/status", body).unwrap();
        assert_eq!(reading.health.unwrap().status, HealthStatus::Ok);
        let b = &reading.breakers[0];
        assert_eq!((b.state, b.failure_count), (BreakerState::Open, Some(5.0)));
        assert_eq!(b.reason.as_deref(), Some("max drawdown"));
    }

    #[test]
    fn without_a_state_word_active_means_open() {
        let reading = read_doc(
            &mut Reader::default(),
            "/api/circuit-breaker/status",
            r#"{"status": "ok", "circuit_breaker": {"active": false}}"#,
        )
        .unwrap();
        assert_eq!(reading.breakers[0].state, BreakerState::Closed);
    }

    #[test]
    fn history_entries_become_transitions_once() {
        let mut reader = Reader::default();
        let first = r#"{"history": [{"event": "activated", "at": "2026-11-23T09:00:00Z", "reason": "max drawdown", "override": false}]}"#;
        let second = r#"{"history": [{"event": "activated", "at": "2026-11-23T09:00:00Z", "reason": "max drawdown", "override": false},
                                     {"event": "reset", "at": "2026-11-23T09:30:00Z", "reason": "Testing", "override": true}]}"#;
        let a = read_doc(&mut reader, "/api/circuit-breaker/history", first).unwrap();
        assert_eq!(a.transitions.len(), 1);
        assert_eq!(a.transitions[0].to, BreakerState::Open);
        let b = read_doc(&mut reader, "/api/circuit-breaker/history", second).unwrap();
        assert_eq!(
            b.transitions.len(),
            1,
            "the activation is not recorded twice"
        );
        assert_eq!(b.transitions[0].to, BreakerState::Closed);
        assert_eq!(
            b.transitions[0].at.to_rfc3339(),
            "2026-11-23T09:30:00+00:00"
        );
    }
}
