//! What the evaluator tells the rest of the console: alert events (pending, firing,
//! resolved), the alerts active now with their acknowledgement and silence, and the
//! silences themselves. These cross into the UI and the store.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::rule::Severity;

/// Which alert: a rule, on a service, about one subject (a breaker, a dependency, a
/// stream path, or the series, `health` or `staleness` for the one-per-service rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub struct AlertKey {
    pub rule: String,
    pub service: String,
    pub subject: String,
}

impl AlertKey {
    pub fn new(rule: &str, service: &str, subject: &str) -> AlertKey {
        AlertKey {
            rule: rule.to_string(),
            service: service.to_string(),
            subject: subject.to_string(),
        }
    }
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` on {} ({})", self.rule, self.service, self.subject)
    }
}

/// Where an alert is in its life, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AlertPhase {
    /// The condition holds, not yet for the rule's `for`.
    Pending,
    Firing,
    /// Recovered (for `keep_firing`), or a pending alert that cleared before firing.
    Resolved,
}

impl AlertPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertPhase::Pending => "pending",
            AlertPhase::Firing => "firing",
            AlertPhase::Resolved => "resolved",
        }
    }
}

/// An alert changed phase. Every event is to be recorded (unless `repeat`); `notify`
/// says whether the engineer should be told now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct AlertEvent {
    #[serde(flatten)]
    pub key: AlertKey,
    pub severity: Severity,
    pub phase: AlertPhase,
    /// The number that made the change (series value, ratio, latency, intervals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The state word(s) that made the change (`open`, `degraded, slow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub description: String,
    /// False while the alert is acknowledged or silenced, for pending events, and for
    /// the resolution of an alert whose firing was never announced.
    pub notify: bool,
    /// True for a firing alert announced again because the silence over it ended or
    /// was removed: notify, but the phase was already recorded.
    #[serde(default)]
    pub repeat: bool,
    /// The end of the silence over the alert when it changed phase, so the history
    /// says it happened while silenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    pub silenced_until: Option<DateTime<Utc>>,
}

/// An engineer took an alert in hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Acknowledgement {
    /// The OS user.
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// An alert that was pending or firing when the console last stopped, read back from
/// the history: the same episode goes on (its `for` counting from when it began, no
/// second page), acknowledged if it was.
#[derive(Debug, Clone, PartialEq)]
pub struct CarriedAlert {
    pub key: AlertKey,
    /// Pending or firing; a resolved alert is not carried.
    pub phase: AlertPhase,
    /// When it entered that phase.
    pub since: DateTime<Utc>,
    pub acknowledged: Option<Acknowledgement>,
}

/// A pending or firing alert, as the alerts panel lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ActiveAlert {
    #[serde(flatten)]
    pub key: AlertKey,
    pub severity: Severity,
    /// `pending` or `firing` (an alert holding through `keep_firing` is still firing).
    pub phase: AlertPhase,
    /// When it became pending, or when it fired.
    #[ts(type = "string")]
    pub since: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Acknowledgement>,
    pub silenced: bool,
    /// The latest end of the silences over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    pub silenced_until: Option<DateTime<Utc>>,
    /// Firing, but recovering: it resolves once recovery has held for `keep_firing`.
    pub resolving: bool,
}

/// A silence's number, unique within one evaluator (and kept when restored from the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct SilenceId(pub u64);

impl fmt::Display for SilenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "silence {}", self.0)
    }
}

/// What to silence: a rule (on every service), a service (every rule), or one rule on
/// one service.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SilenceTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl SilenceTarget {
    pub fn rule(name: &str) -> SilenceTarget {
        SilenceTarget {
            rule: Some(name.to_string()),
            service: None,
        }
    }

    pub fn service(name: &str) -> SilenceTarget {
        SilenceTarget {
            rule: None,
            service: Some(name.to_string()),
        }
    }

    pub fn matches(&self, rule: &str, service: &str) -> bool {
        self.rule.as_deref().is_none_or(|r| r == rule)
            && self.service.as_deref().is_none_or(|s| s == service)
    }
}

/// Alerts matching the target record as usual but do not notify until `until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Silence {
    pub id: SilenceId,
    pub target: SilenceTarget,
    #[ts(type = "string")]
    pub until: DateTime<Utc>,
    pub reason: String,
    /// The OS user.
    pub by: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
}

impl Silence {
    pub fn covers(&self, rule: &str, service: &str, now: DateTime<Utc>) -> bool {
        self.until > now && self.target.matches(rule, service)
    }
}

/// An acknowledge or silence request the evaluator refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlertError {
    #[error("no pending or firing alert {0}")]
    NotActive(AlertKey),
    #[error("a silence needs a rule, a service or both")]
    EmptyTarget,
    #[error("a silence must end in the future")]
    EndsInThePast,
    #[error("a silence needs a reason")]
    NoReason,
}

/// The longest silence the console accepts: past a week it is a rule to edit, not a
/// silence to forget about.
pub const LONGEST_SILENCE: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// When a silence asked for as a duration (`30m`, `2h`) ends.
pub fn silence_until(now: DateTime<Utc>, duration: &str) -> Result<DateTime<Utc>, String> {
    let length = crate::units::parse_duration(duration)?;
    if length.is_zero() {
        return Err("a silence must last some time, e.g. 30m or 2h".to_string());
    }
    if length > LONGEST_SILENCE {
        return Err(format!(
            "a silence lasts at most 7 days (asked: {}); edit the rule instead",
            duration.trim()
        ));
    }
    let length = chrono::Duration::from_std(length).map_err(|e| e.to_string())?;
    Ok(now + length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silences_are_asked_for_as_durations() {
        let now = chrono::Utc::now();
        assert_eq!(
            silence_until(now, "2h").unwrap(),
            now + chrono::Duration::hours(2)
        );
        assert!(silence_until(now, "30").unwrap_err().contains("no unit"));
        assert!(silence_until(now, "0s").is_err());
        assert!(silence_until(now, "8d").unwrap_err().contains("7 days"));
    }
}
