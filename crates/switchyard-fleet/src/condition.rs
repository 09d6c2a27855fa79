//! What a simulated service reports about itself at one moment: its overall
//! status and the status, latency and error of each dependency.
//!
//! These are the values a script phase holds and the control endpoint pins;
//! the `health-contract` handler turns them into the document.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Overall or per-dependency status, spelled as the contract spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE", try_from = "String")]
pub enum Status {
    /// All dependencies healthy.
    Ok,
    /// Some dependency slow or down, but the service works.
    Degraded,
    /// A critical dependency (redis, eventbus) is down.
    Down,
}

impl Status {
    /// The word the contract uses for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Degraded => "DEGRADED",
            Status::Down => "DOWN",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    /// Case-insensitive, as the contract asks of every enum word.
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        let word = word.trim();
        [Status::Ok, Status::Degraded, Status::Down]
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(word))
            .ok_or_else(|| format!("unknown status {word:?}; expected OK, DEGRADED or DOWN"))
    }
}

impl TryFrom<String> for Status {
    type Error = String;

    fn try_from(word: String) -> Result<Self, Self::Error> {
        word.parse()
    }
}

/// One dependency as the service reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DependencyCondition {
    pub status: Status,
    pub latency_ms: f64,
    /// Absent from the document when `None`, as the contract shows for healthy dependencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DependencyCondition {
    /// A healthy dependency answering in `latency_ms`.
    pub fn ok(latency_ms: f64) -> Self {
        DependencyCondition {
            status: Status::Ok,
            latency_ms,
            error: None,
        }
    }

    /// A dependency in `status` with an error message.
    pub fn failing(status: Status, latency_ms: f64, error: impl Into<String>) -> Self {
        DependencyCondition {
            status,
            latency_ms,
            error: Some(error.into()),
        }
    }
}

/// Everything the health document says that is not a clock or a counter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceCondition {
    pub status: Status,
    /// Keyed by dependency name; a map so the document and the control
    /// endpoint address a dependency the same way.
    pub dependencies: BTreeMap<String, DependencyCondition>,
}

impl ServiceCondition {
    /// Status OK with redis, postgres and one HTTP dependency (`exchange_api`)
    /// healthy, each well under the contract's "slow" threshold.
    pub fn healthy() -> Self {
        let dependencies = [
            ("redis", DependencyCondition::ok(1.5)),
            ("postgres", DependencyCondition::ok(3.2)),
            ("exchange_api", DependencyCondition::ok(45.2)),
        ]
        .into_iter()
        .map(|(name, dependency)| (name.to_owned(), dependency))
        .collect();
        ServiceCondition {
            status: Status::Ok,
            dependencies,
        }
    }

    /// This condition with `status` instead.
    pub fn with_status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// This condition with `name` replaced (or added) as `dependency`.
    pub fn with_dependency(
        mut self,
        name: impl Into<String>,
        dependency: DependencyCondition,
    ) -> Self {
        self.dependencies.insert(name.into(), dependency);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_parse_case_insensitively() {
        assert_eq!("ok".parse(), Ok(Status::Ok));
        assert_eq!(" Degraded ".parse(), Ok(Status::Degraded));
        assert_eq!("DOWN".parse(), Ok(Status::Down));
        assert!("up".parse::<Status>().is_err());
    }

    #[test]
    fn status_serialises_as_the_contract_word() {
        let json = serde_json::to_string(&Status::Degraded).ok();
        assert_eq!(json.as_deref(), Some("\"DEGRADED\""));
        let parsed: Result<Status, _> = serde_json::from_str("\"down\"");
        assert_eq!(parsed.ok(), Some(Status::Down));
    }

    #[test]
    fn healthy_dependencies_omit_the_error_field() {
        let value = serde_json::to_value(ServiceCondition::healthy()).unwrap_or_default();
        assert_eq!(value["status"], "OK");
        assert_eq!(value["dependencies"]["redis"]["latency_ms"], 1.5);
        assert!(value["dependencies"]["redis"].get("error").is_none());
    }
}
