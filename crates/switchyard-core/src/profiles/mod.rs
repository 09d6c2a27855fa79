//! One module per contract of docs/contracts.md: which endpoints a profile polls and how
//! often, how a response becomes model values, and which actions the profile offers.
//!
//! A profile is read through a [`ProfileReader`], one per watched service, because some
//! contracts are logs (Resilience4j events, a breaker's history) that must be
//! de-duplicated across polls so each transition is recorded once.

pub mod breaker_registry;
pub mod emergency_controls;
pub mod health_contract;
pub mod health_levels;
pub mod json;
pub mod json_mapping;
pub mod prometheus;
pub mod single_breaker;
pub mod spring_actuator;
pub mod words;

use chrono::{DateTime, Utc};

use crate::model::{
    ActionKind, Breaker, Health, Sample, ServiceAlert, ServiceThreshold, Transition,
};

/// The contracts of docs/contracts.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    HealthContract,
    HealthLevels,
    BreakerRegistry,
    SingleBreaker,
    EmergencyControls,
    SpringActuator,
    Prometheus,
    JsonMapping,
}

impl Profile {
    pub const ALL: &'static [Profile] = &[
        Profile::HealthContract,
        Profile::HealthLevels,
        Profile::BreakerRegistry,
        Profile::SingleBreaker,
        Profile::EmergencyControls,
        Profile::SpringActuator,
        Profile::Prometheus,
        Profile::JsonMapping,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::HealthContract => "health-contract",
            Profile::HealthLevels => "health-levels",
            Profile::BreakerRegistry => "breaker-registry",
            Profile::SingleBreaker => "single-breaker",
            Profile::EmergencyControls => "emergency-controls",
            Profile::SpringActuator => "spring-actuator",
            Profile::Prometheus => "prometheus",
            Profile::JsonMapping => "json-mapping",
        }
    }

    pub fn supported_names() -> Vec<&'static str> {
        Profile::ALL.iter().map(|p| p.name()).collect()
    }

    pub fn from_name(name: &str) -> Result<Profile, String> {
        let wanted = words::fold(name).replace('_', "-");
        Profile::ALL
            .iter()
            .find(|p| p.name() == wanted)
            .copied()
            .ok_or_else(|| {
                format!(
                    "unknown profile `{name}`; known: {}",
                    Profile::supported_names().join(", ")
                )
            })
    }

    /// The endpoints this profile polls for a service with `settings`, primary first.
    pub fn endpoints(self, settings: &ProfileSettings) -> Vec<Endpoint> {
        match self {
            Profile::HealthContract => vec![Endpoint::primary("/health")],
            Profile::HealthLevels => health_levels::endpoints(),
            Profile::BreakerRegistry => breaker_registry::endpoints(),
            Profile::SingleBreaker => single_breaker::endpoints(),
            Profile::EmergencyControls => emergency_controls::endpoints(),
            Profile::SpringActuator => spring_actuator::endpoints(),
            Profile::Prometheus => prometheus::endpoints(settings.prometheus()),
            Profile::JsonMapping => json_mapping::endpoints(settings.mapping()),
        }
    }

    /// A fresh reader for one service with `settings`.
    pub fn reader(self, settings: &ProfileSettings) -> Box<dyn ProfileReader> {
        match self {
            Profile::HealthContract => Box::new(Stateless(health_contract::read)),
            Profile::HealthLevels => Box::new(Stateless(health_levels::read)),
            Profile::BreakerRegistry => Box::new(Stateless(breaker_registry::read)),
            Profile::SingleBreaker => Box::new(single_breaker::Reader::default()),
            Profile::EmergencyControls => Box::new(Stateless(emergency_controls::read)),
            Profile::SpringActuator => Box::new(spring_actuator::Reader::default()),
            Profile::Prometheus => Box::new(prometheus::Reader::new(
                settings.prometheus().cloned().unwrap_or_default(),
            )),
            Profile::JsonMapping => {
                Box::new(json_mapping::Reader::new(settings.mapping().cloned()))
            }
        }
    }

    /// Where a service of this profile lists the endpoints it has, if it does.
    pub fn index(self) -> Option<&'static str> {
        match self {
            Profile::SpringActuator => Some(spring_actuator::INDEX),
            _ => None,
        }
    }

    /// The paths an index answer lists, or none when it lists nothing readable.
    pub fn listed_paths(self, body: &[u8]) -> Option<Vec<String>> {
        match self {
            Profile::SpringActuator => spring_actuator::listed_paths(body),
            _ => None,
        }
    }

    /// The actions a service of this profile offers (the actions issue acts on them).
    pub fn actions(self) -> Vec<ActionKind> {
        match self {
            Profile::BreakerRegistry => vec![
                ActionKind::ResetBreaker,
                ActionKind::ClearCache,
                ActionKind::InvalidateCachePattern,
            ],
            Profile::SingleBreaker => vec![ActionKind::ResetBreaker],
            Profile::SpringActuator => vec![
                ActionKind::ResetBreaker,
                ActionKind::ForceOpenBreaker,
                ActionKind::DisableBreaker,
                ActionKind::ClearCache,
            ],
            Profile::HealthContract
            | Profile::HealthLevels
            | Profile::EmergencyControls
            | Profile::Prometheus
            | Profile::JsonMapping => Vec::new(),
        }
    }
}

/// One endpoint a profile polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Path relative to the service's base URL.
    pub path: String,
    /// Polled every `every`-th round of the service's interval: a liveness check every
    /// round, a detailed report or a slow-changing list less often.
    pub every: u32,
    /// The primary endpoint decides reachability; when it fails, the round stops there
    /// (polling the rest of a dead service only multiplies timeouts).
    pub primary: bool,
}

impl Endpoint {
    pub fn primary(path: &str) -> Endpoint {
        Endpoint {
            path: path.to_string(),
            every: 1,
            primary: true,
        }
    }

    pub fn secondary(path: &str, every: u32) -> Endpoint {
        Endpoint {
            path: path.to_string(),
            every: every.max(1),
            primary: false,
        }
    }

    /// Whether this endpoint is polled in round `round` (counting from 0).
    pub fn is_due(&self, round: u64) -> bool {
        round % u64::from(self.every) == 0
    }
}

/// One HTTP answer, as a profile reads it.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    pub body: &'a [u8],
    pub content_type: Option<&'a str>,
    /// When the console received it: the time of readings that carry none of their own.
    pub received_at: DateTime<Utc>,
}

/// What a profile takes from its service's section of the configuration: the
/// `prometheus` profile its `[service.prometheus]`, `json-mapping` its
/// `[service.mapping]`; the others nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ProfileSettings {
    #[default]
    None,
    Prometheus(prometheus::PrometheusSettings),
    // Boxed: a mapping is a dozen paths, the other settings a few words.
    JsonMapping(Box<json_mapping::MappingSettings>),
}

impl ProfileSettings {
    pub fn prometheus(&self) -> Option<&prometheus::PrometheusSettings> {
        match self {
            ProfileSettings::Prometheus(settings) => Some(settings),
            _ => None,
        }
    }

    pub fn mapping(&self) -> Option<&json_mapping::MappingSettings> {
        match self {
            ProfileSettings::JsonMapping(settings) => Some(settings),
            _ => None,
        }
    }
}

#[cfg(test)]
impl<'a> Response<'a> {
    /// A body as a test hands it to a reader, received now.
    pub(crate) fn of(body: &'a str) -> Response<'a> {
        Response {
            body: body.as_bytes(),
            content_type: None,
            received_at: chrono::Utc::now(),
        }
    }
}

/// Reads one service's responses, remembering what it must across polls.
pub trait ProfileReader: Send {
    fn read(&mut self, endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError>;
}

/// A reader for profiles whose documents stand alone.
struct Stateless<F>(F);

impl<F> ProfileReader for Stateless<F>
where
    F: Fn(&str, &Response<'_>) -> Result<Reading, ParseError> + Send,
{
    fn read(&mut self, endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
        (self.0)(endpoint, response)
    }
}

/// What one endpoint's response says, before it is merged into an observation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub health: Option<Health>,
    pub breakers: Vec<Breaker>,
    pub samples: Vec<Sample>,
    pub transitions: Vec<Transition>,
    pub service_alerts: Vec<ServiceAlert>,
    pub thresholds: Vec<ServiceThreshold>,
}

impl Reading {
    /// Adds `from` to this reading; later health replaces earlier health.
    pub fn merge(&mut self, from: Reading) {
        if from.health.is_some() {
            self.health = from.health;
        }
        self.breakers.extend(from.breakers);
        self.samples.extend(from.samples);
        self.transitions.extend(from.transitions);
        self.service_alerts.extend(from.service_alerts);
        self.thresholds.extend(from.thresholds);
    }

    pub fn sample(&mut self, series: &str, value: Option<f64>) {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            self.samples.push(Sample {
                series: series.to_string(),
                value,
            });
        }
    }
}

/// A response that could not be read; becomes `invalid_response` reachability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// A short machine word: `not_json`, `wrong_type`, `missing_field`, `not_text`.
    pub reason: String,
    /// What was wrong, naming the field.
    pub message: String,
}

impl ParseError {
    pub fn new(reason: &str, message: impl Into<String>) -> ParseError {
        ParseError {
            reason: reason.to_string(),
            message: message.into(),
        }
    }
}

/// An endpoint a reader was not written for: a programming error, reported, not a panic.
pub(crate) fn unexpected_endpoint(profile: Profile, endpoint: &str) -> ParseError {
    ParseError::new(
        "unexpected_endpoint",
        format!("the {} profile does not read {endpoint}", profile.name()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_tolerantly() {
        assert_eq!(
            Profile::from_name("Health_Contract"),
            Ok(Profile::HealthContract)
        );
        assert_eq!(
            Profile::from_name("spring actuator"),
            Ok(Profile::SpringActuator)
        );
        assert!(Profile::from_name("nagios")
            .unwrap_err()
            .starts_with("unknown profile"));
    }

    #[test]
    fn endpoints_are_due_on_their_cadence() {
        let every_third = Endpoint::secondary("/x", 3);
        let due: Vec<u64> = (0..7).filter(|r| every_third.is_due(*r)).collect();
        assert_eq!(due, [0, 3, 6]);
        assert!(Endpoint::primary("/health").is_due(5));
    }
}
