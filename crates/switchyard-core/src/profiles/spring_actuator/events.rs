//! `/actuator/circuitbreakerevents` turned into transitions: each event once (the log
//! is re-read every round), `RESET` as a transition to closed, Java's timestamps read.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};

use super::Reader;
use crate::model::{BreakerState, Transition, TransitionSource};
use crate::profiles::json::Fields;
use crate::profiles::words::{breaker_state, fold};
use crate::profiles::{ParseError, Reading};

/// Event keys remembered per breaker: twice what Resilience4j keeps by default.
pub(super) const REMEMBERED_PER_BREAKER: usize = 200;
/// One identity of an event in the log: creation time, type and transition.
type EventKey = (String, String, String);

/// The keys seen for one breaker, oldest first, bounded.
#[derive(Default)]
pub(super) struct SeenEvents {
    pub(super) keys: HashSet<EventKey>,
    pub(super) order: VecDeque<EventKey>,
}

impl SeenEvents {
    /// True the first time `key` is seen.
    pub(super) fn remember(&mut self, key: EventKey) -> bool {
        if self.keys.contains(&key) {
            return false;
        }
        self.keys.insert(key.clone());
        self.order.push_back(key);
        if self.order.len() > REMEMBERED_PER_BREAKER {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
        true
    }
}
impl Reader {
    pub(super) fn read_events(
        &mut self,
        root: &Fields<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<Reading, ParseError> {
        let mut reading = Reading::default();
        for event in root
            .optional_objects("circuitBreakerEvents")?
            .unwrap_or_default()
        {
            let kind = fold(event.required_str("type")?);
            let transition = event.optional_str("stateTransition")?;
            let (from, to) = match (kind.as_str(), transition) {
                ("state_transition", Some(words)) => match parse_transition(words) {
                    Some((from, to)) => (Some(from), to),
                    None => continue, // a transition word we cannot read moves no state
                },
                ("reset", _) => (None, BreakerState::Closed),
                _ => continue,
            };
            let name = event.required_str("circuitBreakerName")?;
            let created = event.optional_str("creationTime")?.unwrap_or_default();
            let key = (
                created.to_string(),
                kind.clone(),
                transition.map(fold).unwrap_or_default(),
            );
            if !self.seen.entry(name.to_string()).or_default().remember(key) {
                continue;
            }
            reading.transitions.push(Transition {
                breaker: name.to_string(),
                from,
                to,
                at: parse_creation_time(created).unwrap_or(received_at),
                source: TransitionSource::Poll,
                reason: (kind == "reset").then(|| "reset".to_string()),
            });
        }
        Ok(reading)
    }
}

/// `CLOSED_TO_OPEN`, `HALF_OPEN_TO_CLOSED`, … as (from, to). No state word contains
/// `_to_`, so the first occurrence splits it.
pub fn parse_transition(words: &str) -> Option<(BreakerState, BreakerState)> {
    let folded = fold(words);
    let (from, to) = folded.split_once("_to_")?;
    Some((breaker_state(from), breaker_state(to)))
}

/// Java's `ZonedDateTime.toString()`: RFC 3339 with a `[Region/City]` suffix, and the
/// seconds left out when they are zero (`2017-01-10T15:39+01:00[Europe/Berlin]`).
pub fn parse_creation_time(text: &str) -> Option<DateTime<Utc>> {
    let without_zone = text.split('[').next().unwrap_or(text).trim();
    let offset_fixed = match without_zone.strip_suffix('Z') {
        Some(local) => format!("{local}+00:00"),
        None => without_zone.to_string(),
    };
    DateTime::parse_from_rfc3339(&offset_fixed)
        .or_else(|_| DateTime::parse_from_str(&offset_fixed, "%Y-%m-%dT%H:%M%:z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
