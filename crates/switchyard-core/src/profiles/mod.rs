//! One module per contract in CONTRACTS.md: which endpoints a profile polls, how a
//! response becomes model values, and which actions it offers.

pub mod health_contract;
pub mod json;
pub mod words;

use crate::model::{ActionKind, Breaker, Health, Sample};

/// Profiles the console can speak. Only those implemented are listed; the rest of
/// CONTRACTS.md is named in [`Profile::from_name`]'s error so a user knows it is coming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    HealthContract,
}

/// Profiles defined in CONTRACTS.md that this build does not speak yet.
const PLANNED: &[&str] = &[
    "health-levels",
    "breaker-registry",
    "single-breaker",
    "emergency-controls",
    "spring-actuator",
    "prometheus",
    "json-mapping",
];

impl Profile {
    pub const ALL: &'static [Profile] = &[Profile::HealthContract];

    pub fn name(self) -> &'static str {
        match self {
            Profile::HealthContract => "health-contract",
        }
    }

    pub fn supported_names() -> Vec<&'static str> {
        Profile::ALL.iter().map(|p| p.name()).collect()
    }

    pub fn from_name(name: &str) -> Result<Profile, String> {
        let wanted = words::fold(name).replace('_', "-");
        if let Some(profile) = Profile::ALL.iter().find(|p| p.name() == wanted) {
            return Ok(*profile);
        }
        let supported = Profile::supported_names().join(", ");
        if PLANNED.contains(&wanted.as_str()) {
            Err(format!(
                "profile `{name}` is not supported by this build yet; supported: {supported}"
            ))
        } else {
            Err(format!("unknown profile `{name}`; supported: {supported}"))
        }
    }

    /// The endpoints this profile polls, relative to the service's base URL.
    pub fn endpoints(self) -> &'static [&'static str] {
        match self {
            Profile::HealthContract => &["/health"],
        }
    }

    /// Reads one endpoint's response body into model values.
    pub fn parse(self, endpoint: &str, body: &[u8]) -> Result<Reading, ParseError> {
        match self {
            Profile::HealthContract => {
                debug_assert_eq!(endpoint, "/health");
                health_contract::parse(body)
            }
        }
    }

    pub fn actions(self) -> Vec<ActionKind> {
        match self {
            Profile::HealthContract => Vec::new(),
        }
    }
}

/// What one endpoint's response says, before it is merged into an observation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub health: Option<Health>,
    pub breakers: Vec<Breaker>,
    pub samples: Vec<Sample>,
}

/// A response that could not be read; becomes `invalid_response` reachability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// A short machine word: `not_json`, `wrong_type`, `missing_field`.
    pub reason: String,
    /// What was wrong, naming the field.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::Profile;

    #[test]
    fn names_are_matched_tolerantly_and_planned_ones_say_so() {
        assert_eq!(
            Profile::from_name("Health_Contract"),
            Ok(Profile::HealthContract)
        );
        assert!(Profile::from_name("prometheus")
            .unwrap_err()
            .contains("not supported by this build yet"));
        assert!(Profile::from_name("nagios")
            .unwrap_err()
            .starts_with("unknown profile"));
    }
}
