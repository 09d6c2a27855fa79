//! The normalised model every other module speaks (docs/contracts.md, "The
//! normalised observation"). A poll and a stream message end as the same [`Observation`], so the
//! engine, the store and the UI never need to know which profile produced it.
//!
//! These types cross the IPC boundary: `ts-rs` generates their TypeScript twins in
//! `ui/src/bindings/`, and a test fails when that generated file is stale.

pub mod aggregate;
mod from_engine;
mod natural;
mod replicas;
mod service_state;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use from_engine::{EngineStatus, EngineView, InstanceView, Staleness};
pub use natural::natural_cmp;
pub use replicas::{instance_of_series, instance_series, Replica, Replicas};
pub use service_state::ServiceState;

/// One round of polls of one service, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Observation {
    /// The service's name from the configuration.
    pub service: String,
    /// The profile (docs/contracts.md) that produced this observation.
    pub profile: String,
    /// When the console made the observation (its own clock, not the service's).
    #[ts(type = "string")]
    pub observed_at: DateTime<Utc>,
    /// Whether the console could get a usable answer, and if not, why.
    pub reachability: Reachability,
    /// What the service says about its own health; absent when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Breaker>>", optional)]
    pub breakers: Vec<Breaker>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Sample>>", optional)]
    pub samples: Vec<Sample>,
    /// The actions this service offers through its profile (used by the actions issue).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<ActionKind>>", optional)]
    pub actions: Vec<ActionKind>,
    /// Breaker state changes the service itself reported (event logs, histories).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Transition>>", optional)]
    pub transitions: Vec<Transition>,
    /// Alerts the service raises about itself, as it words them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<ServiceAlert>>", optional)]
    pub service_alerts: Vec<ServiceAlert>,
    /// Alert thresholds the service declares; imported as its own alert rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<ServiceThreshold>>", optional)]
    pub thresholds: Vec<ServiceThreshold>,
    /// Endpoints besides the primary one that could not be read this round. The
    /// service is still reachable; these say which part of the picture is missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<EndpointProblem>>", optional)]
    pub problems: Vec<EndpointProblem>,
}

impl Observation {
    pub fn is_reachable(&self) -> bool {
        matches!(self.reachability, Reachability::Reachable { .. })
    }
}

/// The console's own view of whether a service answered usefully.
/// Every kind but `reachable` carries a human message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reachability {
    Reachable {
        latency_ms: f64,
    },
    Timeout {
        message: String,
    },
    Refused {
        message: String,
    },
    Dns {
        message: String,
    },
    Tls {
        message: String,
    },
    HttpError {
        code: u16,
        message: String,
    },
    InvalidResponse {
        reason: String,
        message: String,
    },
    TooLarge {
        message: String,
    },
    RateLimited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        retry_after_seconds: Option<f64>,
        message: String,
    },
    Unauthorized {
        message: String,
    },
}

/// The `reason` of an `invalid_response` whose connection broke off mid-answer (reset,
/// closed early): the transport failed, not the document.
pub const BROKEN_OFF: &str = "transport";

impl Reachability {
    /// A connection that broke off mid-answer, with what broke it.
    pub fn broken_off(message: String) -> Reachability {
        Reachability::InvalidResponse {
            reason: BROKEN_OFF.into(),
            message,
        }
    }

    /// Whether this is a connection broken off mid-answer (see [`BROKEN_OFF`]).
    pub fn is_broken_off(&self) -> bool {
        matches!(self, Reachability::InvalidResponse { reason, .. } if reason == BROKEN_OFF)
    }

    /// The snake_case word for this kind, as stored and shown.
    pub fn kind(&self) -> &'static str {
        match self {
            Reachability::Reachable { .. } => "reachable",
            Reachability::Timeout { .. } => "timeout",
            Reachability::Refused { .. } => "refused",
            Reachability::Dns { .. } => "dns",
            Reachability::Tls { .. } => "tls",
            Reachability::HttpError { .. } => "http_error",
            Reachability::InvalidResponse { .. } => "invalid_response",
            Reachability::TooLarge { .. } => "too_large",
            Reachability::RateLimited { .. } => "rate_limited",
            Reachability::Unauthorized { .. } => "unauthorized",
        }
    }

    /// The human message, if this is not `reachable`.
    pub fn message(&self) -> Option<&str> {
        match self {
            Reachability::Reachable { .. } => None,
            Reachability::Timeout { message }
            | Reachability::Refused { message }
            | Reachability::Dns { message }
            | Reachability::Tls { message }
            | Reachability::HttpError { message, .. }
            | Reachability::InvalidResponse { message, .. }
            | Reachability::TooLarge { message }
            | Reachability::RateLimited { message, .. }
            | Reachability::Unauthorized { message } => Some(message),
        }
    }

    pub fn latency_ms(&self) -> Option<f64> {
        match self {
            Reachability::Reachable { latency_ms } => Some(*latency_ms),
            _ => None,
        }
    }
}

/// Health as the service reports it, normalised to four words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
    Down,
    Unknown,
}

impl Breaker {
    /// A breaker known only by its name and state (an engine's series, an instance's
    /// summary): every count and time unknown.
    pub fn new(name: &str, state: BreakerState) -> Breaker {
        Breaker {
            name: name.to_string(),
            state,
            failure_count: None,
            success_count: None,
            failure_rate: None,
            backoff_seconds: None,
            health_score: None,
            call_count: None,
            since: None,
            reason: None,
        }
    }
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::ForcedOpen => "forced_open",
            BreakerState::Disabled => "disabled",
            BreakerState::MetricsOnly => "metrics_only",
            BreakerState::Unknown => "unknown",
        }
    }

    /// The state [`BreakerState::as_str`] wrote, as the history stores it.
    pub fn parse(word: &str) -> Option<BreakerState> {
        [
            BreakerState::Closed,
            BreakerState::Open,
            BreakerState::HalfOpen,
            BreakerState::ForcedOpen,
            BreakerState::Disabled,
            BreakerState::MetricsOnly,
            BreakerState::Unknown,
        ]
        .into_iter()
        .find(|state| state.as_str() == word)
    }
}

impl TransitionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionSource::Poll => "poll",
            TransitionSource::Stream => "stream",
            TransitionSource::Action => "action",
        }
    }
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Ok => "ok",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Down => "down",
            HealthStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Health {
    pub status: HealthStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Dependency>>", optional)]
    pub dependencies: Vec<Dependency>,
}

/// One of a service's dependencies (database, cache, another API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Dependency {
    pub name: String,
    pub status: HealthStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Latency above the slow threshold for this kind of dependency
    /// (docs/contracts.md, "health-contract").
    #[serde(default)]
    pub slow: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
    ForcedOpen,
    Disabled,
    MetricsOnly,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Breaker {
    pub name: String,
    pub state: BreakerState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_count: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_count: Option<f64>,
    /// A ratio 0..1, whatever the service sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_score: Option<f64>,
    /// Calls refused while open (Resilience4j's not-permitted calls), or buffered calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_count: Option<f64>,
    /// Since when the breaker is in this state, or when it last failed, as the service said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Why, when the service says (for example "max drawdown").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a transition was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TransitionSource {
    Poll,
    Stream,
    Action,
}

/// A breaker's change of state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Transition {
    pub breaker: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<BreakerState>,
    pub to: BreakerState,
    /// When it happened, by the service's clock when it says, else the console's.
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub source: TransitionSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An alert the service raises itself (`breaker-registry`'s `/api/metrics/alerts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ServiceAlert {
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// A threshold the service declares for one of its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ServiceThreshold {
    pub metric: String,
    /// `>`, `>=`, `<`, `<=` or `==`.
    pub operator: String,
    pub value: f64,
    pub severity: String,
}

/// One endpoint of a reachable service that failed this round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EndpointProblem {
    pub endpoint: String,
    pub reachability: Reachability,
}

/// One value of a named series at the observation's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Sample {
    pub series: String,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Close a named breaker.
    ResetBreaker,
    /// Force a named breaker open (Resilience4j `FORCE_OPEN`).
    ForceOpenBreaker,
    /// Disable a named breaker (Resilience4j `DISABLE`).
    DisableBreaker,
    /// Evict every cache entry.
    ClearCache,
    /// Evict the entries matching a pattern.
    InvalidateCachePattern,
}

/// Where a stream session stands, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StreamState {
    Connecting,
    Live,
    /// No message for twice the heartbeat: reconnecting.
    Stale,
    /// Refused with close code 1008: retried on the slow path.
    ChannelFull,
    /// Over its message-rate cap: the excess is dropped and counted.
    Flooding,
    /// Waiting before the next connection attempt.
    BackingOff,
}

/// One stream session's state and counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct StreamStatus {
    /// The stream's path, e.g. `/api/ws/breakers`.
    pub path: String,
    pub state: StreamState,
    #[ts(type = "string")]
    pub since: DateTime<Utc>,
    pub messages_per_second: u32,
    pub received: u64,
    /// Not JSON, binary, or no `type`.
    pub invalid: u64,
    /// JSON of a type this console does not know.
    pub unknown: u64,
    /// Frames over the size cap (the connection is then dropped and re-made).
    pub oversized: u64,
    /// Messages dropped over the rate cap.
    pub dropped: u64,
    /// `{"type": "error"}` messages from the server.
    pub server_errors: u64,
    pub connection_attempts: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When backing off: when the next attempt is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    pub retry_at: Option<DateTime<Utc>>,
}

impl StreamState {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Connecting => "connecting",
            StreamState::Live => "live",
            StreamState::Stale => "stale",
            StreamState::ChannelFull => "channel_full",
            StreamState::Flooding => "flooding",
            StreamState::BackingOff => "backing_off",
        }
    }
}

impl StreamStatus {
    pub fn new(path: &str, now: DateTime<Utc>) -> Self {
        StreamStatus {
            path: path.to_string(),
            state: StreamState::Connecting,
            since: now,
            messages_per_second: 0,
            received: 0,
            invalid: 0,
            unknown: 0,
            oversized: 0,
            dropped: 0,
            server_errors: 0,
            connection_attempts: 0,
            last_error: None,
            retry_at: None,
        }
    }
}
