//! `spring-actuator` (docs/contracts.md): Spring Boot Actuator health and Resilience4j's
//! breakers and event log.
//!
//! Choices the contract leaves open, made here:
//! - Health components nest to any depth; they are flattened into dependencies named by
//!   their path (`broker/us1`). Only leaves are listed: a composite's status is the
//!   aggregate of its children, which are listed themselves. Spring Boot 2.0/2.1 nested
//!   components under `details` instead of `components`; those are read too.
//! - A breaker's `call_count` is `notPermittedCalls` (calls refused while open), the same
//!   meaning the `prometheus` profile gives it; `success_count` is
//!   `bufferedCalls - failedCalls`.
//! - The event log is de-duplicated per breaker (Resilience4j keeps about 100 events per
//!   breaker, so remembering twice that many keys per breaker keeps every event still
//!   shown in memory). `STATE_TRANSITION` events become transitions; a `RESET` event
//!   becomes a transition to closed, because Resilience4j's reset closes the breaker
//!   without writing a `STATE_TRANSITION`. Other event kinds are ignored.
//!
//! - The actuator's index (`GET /actuator`) says which endpoints the service has; the
//!   poller polls only those (`index`). A service with no index is polled as before.
//!
//! The parts, by job: `health` reads `/actuator/health` into dependencies;
//! `breakers` reads `/actuator/circuitbreakers`; `events` turns the event log into
//! transitions, each once. This file holds the endpoints and the reader that routes
//! each answer to its part.

mod breakers;
mod events;
mod health;
mod index;

use std::collections::HashMap;

use super::json::{object_body, Fields};
use super::{unexpected_endpoint, Endpoint, ParseError, Profile, ProfileReader, Reading, Response};
pub use breakers::rate;
use breakers::read_breakers;
use events::SeenEvents;
pub use events::{parse_creation_time, parse_transition};
use health::read_health;
pub use health::spring_status;
pub use index::{listed_paths, INDEX};

pub const HEALTH: &str = "/actuator/health";
pub const BREAKERS: &str = "/actuator/circuitbreakers";
pub const EVENTS: &str = "/actuator/circuitbreakerevents";
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::primary(HEALTH),
        Endpoint::secondary(BREAKERS, 1),
        // Every round: the service forgets events, and a missed one is a lost transition.
        Endpoint::secondary(EVENTS, 1),
    ]
}

/// Reads one Spring Boot service; remembers which events it has already turned into
/// transitions.
#[derive(Default)]
pub struct Reader {
    seen: HashMap<String, SeenEvents>,
}

impl ProfileReader for Reader {
    fn read(&mut self, endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
        let map = object_body(response.body)?;
        let root = Fields::root(&map);
        match endpoint {
            HEALTH => read_health(&root),
            BREAKERS => read_breakers(&root),
            EVENTS => self.read_events(&root, response.received_at),
            other => Err(unexpected_endpoint(Profile::SpringActuator, other)),
        }
    }
}

#[cfg(test)]
mod tests;
