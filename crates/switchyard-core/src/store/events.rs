//! What the store keeps besides observations: alert events, the action audit log and
//! stream state changes. The alerts, actions and stream modules hand these to the
//! writer ([`super::WriterHandle`]); the queries return them as the `*Record` types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The condition holds but not yet for the rule's for-duration.
    Pending,
    Firing,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

/// An alert changed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub rule: String,
    pub service: String,
    pub severity: String,
    pub state: AlertState,
    /// The value that made the rule change state, when there is one.
    pub value: Option<f64>,
    pub at: DateTime<Utc>,
    /// Which breaker, dependency, stream or series of the service the alert is about
    /// (one rule can raise several alerts on one service).
    pub subject: Option<String>,
    /// The state words that made the change (`open`, `degraded, slow`).
    pub detail: Option<String>,
    /// When the change happened under a silence: when that silence ends.
    pub silenced_until: Option<DateTime<Utc>>,
}

/// An engineer acknowledged the latest event of a rule on a service (and subject).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertAcknowledgement {
    pub rule: String,
    pub service: String,
    /// When given, only the events of this subject count as "the latest".
    pub subject: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
    pub comment: Option<String>,
}

/// An engineer silenced a rule on a service until a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSilence {
    pub rule: String,
    pub service: String,
    pub until: DateTime<Utc>,
}

/// A silence was set: alerts it covers are recorded but do not notify until `until`.
/// Covers a rule on every service, every rule of a service, or one rule on one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceSet {
    /// The evaluator's silence number, kept across restarts.
    pub id: u64,
    pub rule: Option<String>,
    pub service: Option<String>,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A silence was removed before it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceRemoved {
    pub id: u64,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The alert rules as saved from the UI, as `[[alert]]` TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRulesSaved {
    pub rules_toml: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// An action about to be sent: written and committed before the request goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionIntent {
    pub at: DateTime<Utc>,
    /// The OS user who pressed the button.
    pub operator: String,
    pub service: String,
    /// The breaker, cache or pattern; `None` when the action concerns the whole service.
    pub target: Option<String>,
    /// `reset_breaker`, `clear_cache`, … (see [`crate::model::ActionKind`]).
    pub action: String,
    pub reason: Option<String>,
    /// A safety check was overridden.
    pub override_checks: bool,
    /// The instance (`host:port`) it went to, for a service of several.
    pub instance: Option<String>,
}

/// What became of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub message: Option<String>,
    pub duration_ms: f64,
    /// The state the re-poll showed afterwards (for a breaker reset: `closed`, …).
    pub verified_state: Option<String>,
}

/// A stream session changed state (connecting, connected, stale, disconnected, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamStateChange {
    pub service: String,
    pub stream: String,
    pub at: DateTime<Utc>,
    pub state: String,
    pub detail: Option<String>,
}
