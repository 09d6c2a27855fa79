//! What a rule watches: which services (by name and tags) and which of their values (a
//! series, a ratio, an increase, breakers, health, dependencies, streams, staleness),
//! with the state words each subject can be matched against.

use std::time::Duration;

use crate::model::{BreakerState, HealthStatus, StreamState};

/// Which services a rule applies to: all of them, one by name, those carrying tags, or
/// one by name that also carries the tags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceSelector {
    pub service: Option<String>,
    /// A service must carry every one of these.
    pub tags: Vec<String>,
    /// `per = "instance"`: on a service of several instances, one alert per instance
    /// (read from that instance's own polls) instead of one for the combination.
    pub per_instance: bool,
}

impl ServiceSelector {
    pub fn all() -> ServiceSelector {
        ServiceSelector::default()
    }

    pub fn service(name: &str) -> ServiceSelector {
        ServiceSelector {
            service: Some(name.to_string()),
            tags: Vec::new(),
            per_instance: false,
        }
    }

    pub fn matches(&self, name: &str, tags: &[String]) -> bool {
        self.service.as_deref().is_none_or(|s| s == name)
            && self.tags.iter().all(|t| tags.iter().any(|have| have == t))
    }

    /// Whether the rule reads what is evaluated: a service's combination
    /// (`instance_of` none; `several`: the service has instances of its own) or one
    /// instance of the service `instance_of` names. A per-instance rule reads a service
    /// of one address as it is: it is its only instance.
    pub fn reads(&self, instance_of: Option<&str>, several: bool) -> bool {
        match instance_of {
            Some(_) => self.per_instance,
            None => !self.per_instance || !several,
        }
    }
}

/// What a rule watches on each selected service. Some subjects are one value per
/// service (a series, the health status); others are one per breaker, dependency or
/// stream, each with its own alert.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A sample series' latest value (`cache.hit_rate`, `system.cpu_percent`, …).
    Series(String),
    /// One series divided by another (`queue.depth` / `queue.capacity`); no value while
    /// either is missing or the denominator is not positive.
    Ratio {
        numerator: String,
        denominator: String,
    },
    /// How much a counter series grew over the window (resets count from zero, as
    /// Prometheus' `increase` does, without extrapolation).
    Increase { series: String, window: Duration },
    /// Each breaker's state (or only the named one). A breaker that disappears resolves.
    Breaker(Option<String>),
    /// The service's reported health status.
    Health,
    /// Each dependency (or only the named one): its states are its health status and,
    /// when its latency is over the contract's threshold, `slow`; its number is its
    /// latency in milliseconds.
    Dependency(Option<String>),
    /// Each stream session's state (or only the one with this path).
    Stream(Option<String>),
    /// Poll intervals since the last fresh (reachable) observation.
    Staleness,
}

/// Whether a subject is compared with numbers, matched against state words, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Number,
    State(&'static [&'static str]),
    Both(&'static [&'static str]),
}

const BREAKER_WORDS: &[&str] = &[
    "closed",
    "open",
    "half_open",
    "forced_open",
    "disabled",
    "metrics_only",
    "unknown",
];
const HEALTH_WORDS: &[&str] = &["ok", "degraded", "down", "unknown"];
const DEPENDENCY_WORDS: &[&str] = &["ok", "degraded", "down", "unknown", "slow"];
const STREAM_WORDS: &[&str] = &[
    "connecting",
    "live",
    "stale",
    "channel_full",
    "flooding",
    "backing_off",
];

pub(crate) fn breaker_word(state: BreakerState) -> &'static str {
    state.as_str()
}

pub(crate) fn health_word(status: HealthStatus) -> &'static str {
    status.as_str()
}

pub(crate) fn stream_word(state: StreamState) -> &'static str {
    state.as_str()
}

impl Subject {
    pub fn kind(&self) -> SubjectKind {
        match self {
            Subject::Series(_) | Subject::Ratio { .. } | Subject::Increase { .. } => {
                SubjectKind::Number
            }
            Subject::Staleness => SubjectKind::Number,
            Subject::Breaker(_) => SubjectKind::State(BREAKER_WORDS),
            Subject::Health => SubjectKind::State(HEALTH_WORDS),
            Subject::Stream(_) => SubjectKind::State(STREAM_WORDS),
            Subject::Dependency(_) => SubjectKind::Both(DEPENDENCY_WORDS),
        }
    }

    /// The series this subject reads, if it reads exactly one.
    pub fn series(&self) -> Option<&str> {
        match self {
            Subject::Series(s) | Subject::Increase { series: s, .. } => Some(s),
            _ => None,
        }
    }

    /// A short human form: `cache.hit_rate`, `queue.depth / queue.capacity`, `breaker state`.
    pub fn describe(&self) -> String {
        let named = |what: &str, name: &Option<String>| match name {
            Some(n) => format!("{what} {n}"),
            None => what.to_string(),
        };
        match self {
            Subject::Series(s) => s.clone(),
            Subject::Ratio {
                numerator,
                denominator,
            } => format!("{numerator} / {denominator}"),
            Subject::Increase { series, window } => format!(
                "increase of {series} over {}",
                humantime::format_duration(*window)
            ),
            Subject::Breaker(name) => named("breaker state", name),
            Subject::Health => "health status".into(),
            Subject::Dependency(name) => named("dependency", name),
            Subject::Stream(path) => named("stream state", path),
            Subject::Staleness => "poll intervals since the last fresh observation".into(),
        }
    }
}

/// Which services × which subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub services: ServiceSelector,
    pub subject: Subject,
}
