//! `json-mapping` (CONTRACTS.md §8): any JSON, described in the configuration with
//! RFC 9535 JSONPath expressions per normalised field.
//! PLACEHOLDER: the reader is being written; settings are final.

use std::collections::BTreeMap;

use super::{Endpoint, ParseError, ProfileReader, Reading, Response};

/// `[service.mapping]` in the configuration. Every path is a JSONPath (RFC 9535).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingSettings {
    /// The endpoint to poll, e.g. `/status`.
    pub endpoint: String,
    /// Where the status word is.
    pub status: Option<String>,
    /// Which words mean ok, degraded and down (`ok`, `degraded`, `down` keys).
    pub status_words: BTreeMap<String, Vec<String>>,
    /// Where the breakers are (a path selecting objects), and within each breaker
    /// object the paths of its name and state.
    pub breakers: Option<String>,
    pub breaker_name: Option<String>,
    pub breaker_state: Option<String>,
    pub queue_depth: Option<String>,
    pub queue_capacity: Option<String>,
    pub cache_hit_rate: Option<String>,
    pub cache_hits: Option<String>,
    pub cache_misses: Option<String>,
}

/// Checks every expression compiles, naming the field of the first that does not.
pub fn validate(_settings: &MappingSettings) -> Result<(), String> {
    Ok(())
}

pub fn endpoints(settings: Option<&MappingSettings>) -> Vec<Endpoint> {
    vec![Endpoint::primary(
        settings.map_or("/", |s| s.endpoint.as_str()),
    )]
}

pub struct Reader {
    #[allow(dead_code)]
    settings: Option<MappingSettings>,
}

impl Reader {
    pub fn new(settings: Option<MappingSettings>) -> Reader {
        Reader { settings }
    }
}

impl ProfileReader for Reader {
    fn read(&mut self, _endpoint: &str, _response: &Response<'_>) -> Result<Reading, ParseError> {
        Err(ParseError::new(
            "unsupported",
            "the json-mapping profile is not implemented yet",
        ))
    }
}
