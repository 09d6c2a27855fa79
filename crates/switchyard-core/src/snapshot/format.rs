//! The incident snapshot as a document: the types [`gather`](super::gather) fills and
//! serde writes. They are the JSON format.
//!
//! # The JSON format (`schema_version` 1)
//!
//! The JSON is the [`Snapshot`] as serde writes it; its JSON Schema (draft 2020-12) is
//! generated from these types ([`schema`](super::schema)), committed as `schema.json`
//! and available as [`JSON_SCHEMA`](super::JSON_SCHEMA). In short:
//!
//! - `schema_version` (integer, `1`): bumped on any incompatible change;
//! - `generated_at`, `window.since`, `window.until`: RFC 3339 times in UTC;
//! - `summary`: the services, their worst states seen (`worst[]`), counts of alerts
//!   fired and acknowledged and of actions taken;
//! - `timeline[]`: every event with `since <= at <= until`, oldest first; `kind` is
//!   `transition`, `alert`, `acknowledgement`, `silence`, `silence_removed`, `action`
//!   or `stream`; `service` is null for a silence that covers every service;
//! - `services[]`: per service its `charts[]` (one per stored series with data in the
//!   window: unit, resolution, points, last/min/max value and the chart as SVG),
//!   `breakers[]` with their state `intervals[]`, and `last_observation`;
//! - `breaker_timeline_svg`: every breaker's states as one band chart, or null;
//! - `config`: the configuration as references (`env:NAME`), never secret values, or
//!   null when exported without one.
//!
//! Absent values are `null`, never missing. Every string has been through the
//! [`Redactor`](super::Redactor): secrets read `[redacted]`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Everything an incident snapshot holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "Switchyard incident snapshot",
    description = "What happened in a window of time: summary, timeline, charts, breaker intervals and the last observation of each service. All times are RFC 3339 in UTC; absent values are null. Secrets read [redacted].",
    deny_unknown_fields,
    extend("$id" = "https://switchyard.invalid/schemas/snapshot-1.json")
)]
pub struct Snapshot {
    /// Bumped on any incompatible change.
    #[schemars(extend("const" = super::SCHEMA_VERSION))]
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    /// `switchyard <version>`.
    pub generator: String,
    pub window: Window,
    pub summary: Summary,
    /// Every event with since <= at <= until, oldest first.
    pub timeline: Vec<TimelineEvent>,
    pub services: Vec<ServiceSnapshot>,
    /// Every breaker of the chosen services as coloured bands; null when there are none.
    pub breaker_timeline_svg: Option<String>,
    /// The configuration as references; null when exported without one.
    pub config: Option<ConfigSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Window {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The first screen of a snapshot; also what the UI shows when an export is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Summary {
    pub window: Window,
    pub services: Vec<String>,
    pub worst: Vec<WorstState>,
    /// Alert events that went to `firing` in the window.
    pub alerts_fired: u32,
    /// Acknowledgements made in the window.
    pub alerts_acknowledged: u32,
    /// Actions started in the window, and how many of them failed or never finished.
    pub actions_taken: u32,
    pub actions_failed: u32,
    pub events: u32,
}

/// The worst a service was seen in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WorstState {
    pub service: String,
    /// `ok`, `degraded`, `down` or `unknown`; null without a readable health round.
    #[schemars(extend("enum" = ["ok", "degraded", "down", "unknown", null]))]
    pub health: Option<String>,
    /// Poll rounds that did not reach the service, of `rounds`.
    pub unreachable_rounds: u32,
    pub rounds: u32,
    /// The worst breaker state any breaker was in, and which breaker.
    pub breaker: Option<String>,
    pub breaker_name: Option<String>,
    /// The highest severity of an alert that fired.
    pub alert_severity: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Transition,
    Alert,
    Acknowledgement,
    Silence,
    SilenceRemoved,
    Action,
    Stream,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Transition => "transition",
            EventKind::Alert => "alert",
            EventKind::Acknowledgement => "acknowledgement",
            EventKind::Silence => "silence",
            EventKind::SilenceRemoved => "silence_removed",
            EventKind::Action => "action",
            EventKind::Stream => "stream",
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// Null for a silence of every service.
    pub service: Option<String>,
    /// The breaker, rule, stream or action target the event is about.
    pub subject: Option<String>,
    /// The new state: a breaker state, `firing`, a stream state, an action's outcome.
    pub state: Option<String>,
    /// One line that says what happened.
    pub text: String,
    /// Who did it, for acknowledgements, silences and actions.
    pub by: Option<String>,
    /// The alert's severity, for alerts.
    pub severity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ServiceSnapshot {
    pub name: String,
    pub charts: Vec<SeriesChart>,
    /// Series with data in the window that were not charted (past the per-service limit).
    pub omitted_series: Vec<String>,
    pub breakers: Vec<BreakerHistory>,
    pub last_observation: Option<LastObservation>,
    /// A service of several instances: each instance with values in the window (its own
    /// series are `series@host:port`), in natural order. Empty for a service of one.
    #[serde(default)]
    pub instances: Vec<String>,
}

/// One series drawn as on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SeriesChart {
    pub series: String,
    /// `ratio`, `percent`, `milliseconds`, `count`, `per_second` or `megabytes`.
    #[schemars(with = "crate::charts::Unit")]
    pub unit: String,
    /// `raw`, `minute` or `hour`: which table answered.
    #[schemars(with = "crate::store::Resolution")]
    pub resolution: String,
    pub points: u32,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub last: Option<f64>,
    /// The threshold lines drawn.
    pub thresholds: Vec<ThresholdLine>,
    /// The chart as an SVG document.
    #[schemars(regex(pattern = "^<svg"))]
    pub svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ThresholdLine {
    pub label: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BreakerHistory {
    pub name: String,
    pub intervals: Vec<StateInterval>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StateInterval {
    pub state: String,
    pub from: DateTime<Utc>,
    /// The next transition, or the end of the window.
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LastObservation {
    pub observed_at: DateTime<Utc>,
    /// `reachable`, `timeout`, `refused`, …
    pub reachability: String,
    pub status: Option<String>,
    pub latency_ms: Option<f64>,
    pub message: Option<String>,
    /// The version the service reported in that round, when it reports one.
    #[serde(default)]
    pub version: Option<String>,
    /// Each dependency as the service reported it in that round: which one was down
    /// and what it said.
    #[serde(default)]
    pub dependencies: Vec<DependencyDetail>,
    /// Each series' last sample in the window.
    pub values: Vec<SeriesValue>,
}

/// One dependency of a service's last observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DependencyDetail {
    pub name: String,
    /// `ok`, `degraded`, `down` or `unknown`.
    pub status: String,
    pub latency_ms: Option<f64>,
    /// Latency above the slow threshold for its kind (docs/contracts.md).
    pub slow: bool,
    /// What the service said about it, when it said anything.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SeriesValue {
    pub series: String,
    pub value: f64,
    pub at: DateTime<Utc>,
}

/// The configuration of the exported services, with references in place of secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConfigSummary {
    pub services: Vec<ServiceConfigSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ServiceConfigSummary {
    pub name: String,
    pub base_url: String,
    pub profile: Option<String>,
    pub tags: Vec<String>,
    pub poll_interval_ms: u64,
    /// Header name and reference (`env:NAME`, `keyring:S/A`), or `[redacted]`.
    pub headers: Vec<HeaderSummary>,
    pub streams: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HeaderSummary {
    pub name: String,
    /// A reference such as env:NAME, a harmless literal, or [redacted].
    pub value: String,
}
