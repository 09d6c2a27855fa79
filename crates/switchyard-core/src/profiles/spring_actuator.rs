//! `spring-actuator` (CONTRACTS.md §6): Actuator health and Resilience4j breakers.
//! PLACEHOLDER: the reader is being written.

use super::{Endpoint, ParseError, ProfileReader, Reading, Response};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::primary("/actuator/health"),
        Endpoint::secondary("/actuator/circuitbreakers", 1),
        Endpoint::secondary("/actuator/circuitbreakerevents", 1),
    ]
}

#[derive(Default)]
pub struct Reader;

impl ProfileReader for Reader {
    fn read(&mut self, _endpoint: &str, _response: &Response<'_>) -> Result<Reading, ParseError> {
        Err(ParseError::new(
            "unsupported",
            "the spring-actuator profile is not implemented yet",
        ))
    }
}
