//! Breaker resets and cache clears, made safe for 3 a.m.: [`plan`] checks that the action
//! may and can be done and says in words what it will do (the confirmation dialog shows
//! that text); [`execute`] writes the audit intent, sends exactly one request and records
//! the outcome; [`verify`] re-polls the service until the breaker shows the expected
//! state or a deadline passes, and records what it saw.
//!
//! Nothing here is ever retried: a request whose answer did not arrive may have been
//! carried out, so a timeout is reported as "outcome unknown" and left to the engineer.
//! The engineer's reason travels with every request in the `X-Switchyard-Reason` header
//! (docs/contracts.md, "Actions"), percent-encoded where it is not printable ASCII, and in the
//! contract's own query parameter where it has one (`single-breaker`'s override).

pub mod batch;
mod execute;
mod in_flight;
mod plan;
mod verify;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{ActionKind, Breaker, BreakerState};

pub use execute::execute;
pub use in_flight::{InFlight, InFlightGuard};
pub use plan::{plan, plan_observed};
pub use verify::{verify, VerifyOptions};

/// The header every action request carries the engineer's reason in.
pub const REASON_HEADER: &str = "X-Switchyard-Reason";

/// Longer reasons are refused: the audit row is for a sentence, not a post-mortem.
pub const MAX_REASON_CHARS: usize = 1000;

/// What the engineer asked for, as the UI or the CLI sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ActionRequest {
    /// The service's name from the configuration.
    pub service: String,
    pub kind: ActionKind,
    /// The breaker (reset, force open, disable), the cache (Spring's named caches) or the
    /// pattern (invalidate by pattern). `single-breaker` needs none: it has one breaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Why; required, kept in the audit log and sent to the service.
    pub reason: String,
    /// Send it even though a safety check says it is pointless (the breaker is already in
    /// the state asked for) or the service refused it (`single-breaker`'s 409).
    #[serde(default)]
    pub override_checks: bool,
    /// One instance (`host:port`) of a service of several. Without it, the action goes
    /// to every instance it concerns (each where the breaker is open; every one for a
    /// cache action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// What will happen, in words and as the request that will be sent. Made only by
/// [`plan`]; a plan that came back from the UI carries no request and is refused by
/// [`execute`], so the console never sends what a web view composed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ActionPlan {
    /// The request, with the reason and target trimmed (and the target filled in when the
    /// profile has only one breaker).
    pub request: ActionRequest,
    /// The service's profile (docs/contracts.md), e.g. `breaker-registry`.
    pub profile: String,
    /// `POST` or `DELETE`.
    pub method: String,
    /// `host:port`, never credentials.
    pub place: String,
    /// The path and query that will be requested, e.g. `/api/circuit-breakers/exchange_api/reset`.
    pub path: String,
    /// The JSON body, when one is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// What the action does, in a sentence.
    pub effect: String,
    /// The request and its effect in one line, for a confirmation or a terminal.
    pub description: String,
    /// The breaker as last seen, when the action is about one and the console has seen it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<Breaker>,
    /// The state verification waits for; `None` for cache actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<BreakerState>,
    /// Checks that were overridden, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub overridden: Vec<String>,
    /// For a service of several instances: one plan per instance the action goes to,
    /// each sent, audited and verified alone (see [`batch`]); this plan then sends
    /// nothing itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<ActionPlan>>", optional)]
    pub instances: Vec<ActionPlan>,
    /// The request itself; never leaves the process.
    #[serde(skip)]
    #[ts(skip)]
    call: Option<plan::Call>,
}

/// Why an action will not be sent. `code` is what the UI branches on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
    /// Whether asking again with `override_checks` would send it (the UI's "do it anyway").
    #[serde(default)]
    pub overridable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The request names a service the configuration does not have.
    UnknownService,
    /// `allow_actions = false` in the service's configuration.
    ActionsNotAllowed,
    /// The profile is not known yet (still being detected).
    ProfileUnknown,
    /// `emergency-controls`: the service has no reset endpoint.
    ReadOnly,
    /// The profile does not offer this action.
    NotOffered,
    ReasonRequired,
    ReasonTooLong,
    /// The action needs a breaker name or a pattern.
    TargetRequired,
    /// The action takes no target (or not this one).
    TargetNotAccepted,
    /// The service has no breaker of that name (as last seen).
    UnknownBreaker,
    /// The breaker is already in the state asked for; overridable.
    AlreadyInState,
    /// The same action is already on its way.
    InFlight,
    /// The request names an instance the service does not have (now).
    UnknownInstance,
    /// The plan did not come from [`plan`] (it came back through IPC).
    NotPlanned,
}

/// How an action ended, as far as the console can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// The service answered 2xx.
    Done,
    /// The service refused (409): nothing changed.
    Refused,
    /// The service answered an error, or the request could not be delivered.
    Failed,
    /// No answer in time, or the connection broke: the action may or may not have
    /// happened. Never retried.
    Unknown,
    /// Nothing was sent (a secret could not be resolved, the audit log could not be
    /// written).
    NotSent,
    /// Sent to several instances: done on some, not on others (each one's outcome says).
    Partial,
}

impl OutcomeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Done => "done",
            OutcomeStatus::Refused => "refused",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Unknown => "outcome unknown",
            OutcomeStatus::NotSent => "not sent",
            OutcomeStatus::Partial => "partly done",
        }
    }
}

/// What became of an executed plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ActionOutcome {
    pub request: ActionRequest,
    /// The OS user who asked.
    pub operator: String,
    /// When the intent was recorded (just before the request went out).
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    /// When the answer (or the timeout) came.
    #[ts(type = "string")]
    pub finished_at: DateTime<Utc>,
    pub status: OutcomeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The service's own message when it sent one, else the console's.
    pub message: String,
    pub duration_ms: f64,
    /// A `single-breaker` 409 without override: the UI offers "reset anyway", which plans
    /// the same request with `override_checks`.
    #[serde(default)]
    pub override_available: bool,
    /// The audit row's id, when a store was given and the intent was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<i64>,
    /// Set by [`verify`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// For a service of several instances: each instance's own outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<ActionOutcome>>", optional)]
    pub instances: Vec<ActionOutcome>,
}

/// What the re-poll after an action showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verification {
    /// The breaker showed the expected state.
    Verified { state: BreakerState, after_ms: f64 },
    /// The deadline passed first; `state` is the last one seen (absent when the service
    /// could not be read or no longer lists the breaker).
    NotVerified {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        state: Option<BreakerState>,
        after_ms: f64,
        message: String,
    },
    /// Nothing to check: a cache action has no state to re-read, or the service refused.
    NotChecked { message: String },
}

impl Verification {
    /// The audit log's `verified_state`: the state word when verified, else what was seen.
    pub fn audit_word(&self) -> Option<String> {
        match self {
            Verification::Verified { state, .. } => Some(state.as_str().to_string()),
            Verification::NotVerified {
                state, after_ms, ..
            } => Some(format!(
                "not verified: {} after {}",
                state.map_or("unknown", BreakerState::as_str),
                seconds(*after_ms)
            )),
            Verification::NotChecked { .. } => None,
        }
    }

    /// One line for a terminal or a toast: "verified: closed", "not verified: still open
    /// after 10 s".
    pub fn line(&self) -> String {
        match self {
            Verification::Verified { state, .. } => format!("verified: {}", state.as_str()),
            Verification::NotVerified { message, .. } => format!("not verified: {message}"),
            Verification::NotChecked { message } => format!("not checked: {message}"),
        }
    }
}

/// `10 s`, `1.5 s`.
fn seconds(ms: f64) -> String {
    let s = (ms / 100.0).round() / 10.0;
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

impl ActionKind {
    /// The snake_case word, as stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::ResetBreaker => "reset_breaker",
            ActionKind::ForceOpenBreaker => "force_open_breaker",
            ActionKind::DisableBreaker => "disable_breaker",
            ActionKind::ClearCache => "clear_cache",
            ActionKind::InvalidateCachePattern => "invalidate_cache_pattern",
        }
    }

    /// Whether the action is about one breaker.
    pub fn is_breaker_action(self) -> bool {
        matches!(
            self,
            ActionKind::ResetBreaker | ActionKind::ForceOpenBreaker | ActionKind::DisableBreaker
        )
    }
}

#[cfg(test)]
mod tests;
