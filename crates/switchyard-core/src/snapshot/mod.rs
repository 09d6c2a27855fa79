//! Incident snapshots: one portable file that tells what happened in a window, for the
//! post-mortem. [`gather`] reads the history store into a [`Snapshot`] (summary,
//! timeline, the dashboard's own charts drawn in the light theme, breaker intervals, the
//! last observation of each service); [`render_html`], [`render_json`] and
//! [`write_zip`] write it out.
//!
//! # The JSON format (`schema_version` 1)
//!
//! The JSON is the [`Snapshot`] as serde writes it; its JSON Schema (draft 2020-12) is
//! `schema.json` beside this file, also available as [`JSON_SCHEMA`]. In short:
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
//! [`Redactor`]: secrets read `[redacted]`.

mod archive;
mod html;
mod queries;
pub mod redact;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::alerts::Rule;
use crate::charts::{self, ChartSpec, Line, Marker, MarkerKind, Theme, Threshold};
use crate::config::Config;
use crate::profiles::words::breaker_state;
use crate::secrets::HeaderSource;
use crate::store::{Store, StoreError, TimeRange};
use crate::views::unit_of;

pub use archive::{png_of_svg, write_zip, ZipReport};
pub use html::render_html;
pub use redact::{Redactor, REDACTED};

/// The version of the JSON format written by this build.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of [`render_json`]'s output.
pub const JSON_SCHEMA: &str = include_str!("schema.json");

/// Chart size in the snapshot: the width of a printed A4 page at 96 dpi, less margins.
const CHART_WIDTH: u32 = 960;
const CHART_HEIGHT: u32 = 260;
/// At most this many series are charted per service; the rest are named in
/// `omitted_series` so the reader knows they exist.
const MAX_CHARTS_PER_SERVICE: usize = 24;
/// Services gathered at once: their store reads overlap with drawing.
const CONCURRENT_SERVICES: usize = 4;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRequest {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Only these services; all that the history knows when `None`.
    pub services: Option<Vec<String>>,
}

impl SnapshotRequest {
    /// The default window: from 15 minutes before the first alert that fired in the
    /// last 24 hours until `now`; the last hour when none fired.
    pub async fn default_window(
        store: &Store,
        now: DateTime<Utc>,
        services: Option<Vec<String>>,
    ) -> Result<SnapshotRequest, SnapshotError> {
        let day = TimeRange::new(now - Duration::hours(24), now);
        let first = queries::first_firing(store, day, services.as_deref()).await?;
        let since = first
            .and_then(DateTime::from_timestamp_millis)
            .map_or(now - Duration::hours(1), |t| t - Duration::minutes(15));
        Ok(SnapshotRequest {
            since,
            until: now,
            services,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the window must end after it starts (from {since} until {until})")]
    EmptyWindow {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    #[error("no service `{0}` in the history")]
    UnknownService(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the zip {path}: {message}")]
    Zip {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("the snapshot does not serialise: {0}")]
    Json(#[from] serde_json::Error),
}

/// Everything an incident snapshot holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    /// `switchyard <version>`.
    pub generator: String,
    pub window: Window,
    pub summary: Summary,
    pub timeline: Vec<TimelineEvent>,
    pub services: Vec<ServiceSnapshot>,
    /// Every breaker of the chosen services as coloured bands; null when there are none.
    pub breaker_timeline_svg: Option<String>,
    /// The configuration as references; null when exported without one.
    pub config: Option<ConfigSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Window {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The first screen of a snapshot; also what the UI shows when an export is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WorstState {
    pub service: String,
    /// `ok`, `degraded`, `down` or `unknown`; null without a readable health round.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    pub name: String,
    pub charts: Vec<SeriesChart>,
    /// Series with data in the window that were not charted (past the per-service limit).
    pub omitted_series: Vec<String>,
    pub breakers: Vec<BreakerHistory>,
    pub last_observation: Option<LastObservation>,
}

/// One series drawn as on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesChart {
    pub series: String,
    /// `ratio`, `percent`, `milliseconds`, `count`, `per_second` or `megabytes`.
    pub unit: String,
    /// `raw`, `minute` or `hour`: which table answered.
    pub resolution: String,
    pub points: u32,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub last: Option<f64>,
    /// The threshold lines drawn.
    pub thresholds: Vec<ThresholdLine>,
    pub svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdLine {
    pub label: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerHistory {
    pub name: String,
    pub intervals: Vec<StateInterval>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateInterval {
    pub state: String,
    pub from: DateTime<Utc>,
    /// The next transition, or the end of the window.
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastObservation {
    pub observed_at: DateTime<Utc>,
    /// `reachable`, `timeout`, `refused`, …
    pub reachability: String,
    pub status: Option<String>,
    pub latency_ms: Option<f64>,
    pub message: Option<String>,
    /// Each series' last sample in the window.
    pub values: Vec<SeriesValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesValue {
    pub series: String,
    pub value: f64,
    pub at: DateTime<Utc>,
}

/// The configuration of the exported services, with references in place of secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub services: Vec<ServiceConfigSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderSummary {
    pub name: String,
    pub value: String,
}

/// An export's progress as the window receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ExportProgress {
    pub done: u32,
    pub total: u32,
    pub service: String,
}

/// What an export from the window wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ExportResult {
    pub html: String,
    pub json: String,
    pub events: u32,
    pub services: u32,
}

/// How far an export has got, for progress lines and bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub service: &'a str,
}

/// [`gather_with`] with the redactor built from `config` and no progress reports.
pub async fn gather(
    store: &Store,
    config: Option<&Config>,
    request: &SnapshotRequest,
    now: DateTime<Utc>,
) -> Result<Snapshot, SnapshotError> {
    let redactor = Redactor::from_config(config);
    gather_with(store, config, request, now, &redactor, &|_| {}).await
}

/// Reads the window from the store into a snapshot; `progress` is called after each
/// service. Every string of the result has been through `redactor`.
pub async fn gather_with(
    store: &Store,
    config: Option<&Config>,
    request: &SnapshotRequest,
    now: DateTime<Utc>,
    redactor: &Redactor,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Snapshot, SnapshotError> {
    if request.until <= request.since {
        return Err(SnapshotError::EmptyWindow {
            since: request.since,
            until: request.until,
        });
    }
    let range = TimeRange::new(request.since, request.until);
    let known = store.service_names().await?;
    let services: Vec<String> = match &request.services {
        Some(only) => {
            if let Some(missing) = only.iter().find(|s| !known.contains(s)) {
                return Err(SnapshotError::UnknownService(missing.clone()));
            }
            known.iter().filter(|s| only.contains(s)).cloned().collect()
        }
        None => known,
    };
    let chosen: BTreeSet<&str> = services.iter().map(String::as_str).collect();

    let timeline = timeline(store, range, &chosen).await?;
    let rules = rules(store, config).await;

    let total = services.len();
    let mut done = 0usize;
    let mut gathered = Vec::with_capacity(total);
    let mut worst = Vec::with_capacity(total);
    {
        let timeline = &timeline;
        let rules = &rules;
        let mut per_service = futures::stream::iter(services.iter().map(|name| async move {
            let tags = config
                .and_then(|c| c.services.iter().find(|s| &s.name == name))
                .map(|s| s.tags.clone())
                .unwrap_or_default();
            service_snapshot(store, name, &tags, range, timeline, rules).await
        }))
        .buffered(CONCURRENT_SERVICES);
        while let Some(result) = per_service.next().await {
            let (service, worst_state) = result?;
            done += 1;
            progress(Progress {
                done,
                total,
                service: &service.name,
            });
            gathered.push(service);
            worst.push(worst_state);
        }
    }

    let breaker_timeline_svg = breaker_timeline_svg(&gathered, request)?;
    let count = |kind: EventKind, state: Option<&str>| {
        timeline
            .iter()
            .filter(|e| e.kind == kind && state.is_none_or(|s| e.state.as_deref() == Some(s)))
            .count()
    };
    let actions_failed = timeline
        .iter()
        .filter(|e| e.kind == EventKind::Action)
        .filter(|e| e.state.as_deref() != Some("succeeded"))
        .count();
    let window = Window {
        since: request.since,
        until: request.until,
    };
    let summary = Summary {
        window: window.clone(),
        services: services.clone(),
        worst,
        alerts_fired: to_u32(count(EventKind::Alert, Some("firing"))),
        alerts_acknowledged: to_u32(count(EventKind::Acknowledgement, None)),
        actions_taken: to_u32(count(EventKind::Action, None)),
        actions_failed: to_u32(actions_failed),
        events: to_u32(timeline.len()),
    };
    let snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        generated_at: now,
        generator: format!("switchyard {}", env!("CARGO_PKG_VERSION")),
        window,
        summary,
        timeline,
        services: gathered,
        breaker_timeline_svg,
        config: config.map(|c| config_summary(c, &chosen)),
    };
    redact_snapshot(redactor, snapshot)
}

/// Every string of the snapshot through the redactor, by way of its JSON form, so no
/// field added later can be forgotten.
fn redact_snapshot(redactor: &Redactor, snapshot: Snapshot) -> Result<Snapshot, SnapshotError> {
    let mut value = serde_json::to_value(&snapshot)?;
    redact::redact_value(redactor, &mut value);
    Ok(serde_json::from_value(value)?)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The rules whose thresholds the charts draw: the set last saved from the UI when
/// there is one (it replaces the file's), else the configured ones, with the defaults.
async fn rules(store: &Store, config: Option<&Config>) -> Vec<Rule> {
    let saved = match store.latest_alert_rules().await {
        Ok(Some(saved)) => crate::alerting::rules_from_toml(&saved.rules_toml).ok(),
        _ => None,
    };
    let configured = saved.unwrap_or_else(|| config.map(|c| c.alerts.clone()).unwrap_or_default());
    crate::alerts::with_defaults(configured)
}

/// Every event of the chosen services in the window, oldest first.
async fn timeline(
    store: &Store,
    range: TimeRange,
    chosen: &BTreeSet<&str>,
) -> Result<Vec<TimelineEvent>, SnapshotError> {
    let wanted = |service: &str| chosen.contains(service);
    // (ms, order of kind, sequence) keeps events at the same millisecond in the order
    // they were stored within each kind.
    let mut events: Vec<(i64, usize, TimelineEvent)> = Vec::new();
    let mut push = |ms: i64, event: TimelineEvent| {
        let n = events.len();
        events.push((ms, n, event));
    };

    for t in store.transitions_between(None, range).await? {
        if !wanted(&t.service) {
            continue;
        }
        let from = t.from_state.as_deref().unwrap_or("unknown");
        let reason = t
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        push(
            t.at_ms,
            TimelineEvent {
                at: time(t.at_ms),
                kind: EventKind::Transition,
                service: Some(t.service.clone()),
                subject: Some(t.breaker.clone()),
                state: Some(t.to_state.clone()),
                text: format!(
                    "breaker {} {from} → {} ({}){reason}",
                    t.breaker, t.to_state, t.source
                ),
                by: None,
                severity: None,
            },
        );
    }
    for a in store.alerts_between(None, range).await? {
        if !wanted(&a.service) {
            continue;
        }
        let about = a
            .subject
            .as_deref()
            .map(|s| format!(" on {s}"))
            .unwrap_or_default();
        let value = a.value.map(|v| format!(" (value {v})")).unwrap_or_default();
        let detail = a
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        push(
            a.at_ms,
            TimelineEvent {
                at: time(a.at_ms),
                kind: EventKind::Alert,
                service: Some(a.service.clone()),
                subject: Some(a.subject.clone().unwrap_or_else(|| a.rule.clone())),
                state: Some(a.state.clone()),
                text: format!("alert {} {}{about}{value}{detail}", a.rule, a.state),
                by: None,
                severity: Some(a.severity.clone()),
            },
        );
    }
    for ack in queries::acknowledgements_between(store, range).await? {
        if !wanted(&ack.service) {
            continue;
        }
        let comment = ack
            .ack_comment
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        let by = ack.acknowledged_by.clone();
        push(
            ack.acknowledged_at_ms,
            TimelineEvent {
                at: time(ack.acknowledged_at_ms),
                kind: EventKind::Acknowledgement,
                service: Some(ack.service.clone()),
                subject: Some(ack.subject.clone().unwrap_or_else(|| ack.rule.clone())),
                state: Some("acknowledged".into()),
                text: format!(
                    "alert {} acknowledged by {}{comment}",
                    ack.rule,
                    by.as_deref().unwrap_or("someone")
                ),
                by,
                severity: None,
            },
        );
    }
    for s in store.silences_between(range).await? {
        if s.service.as_deref().is_some_and(|name| !wanted(name)) {
            continue;
        }
        let what = s.rule.as_deref().unwrap_or("every rule");
        let whom = s.service.as_deref().unwrap_or("every service");
        push(
            s.created_at_ms,
            TimelineEvent {
                at: time(s.created_at_ms),
                kind: EventKind::Silence,
                service: s.service.clone(),
                subject: s.rule.clone(),
                state: Some("silenced".into()),
                text: format!(
                    "silence #{} of {what} on {whom} until {} by {}: {}",
                    s.id,
                    time(s.until_ms).to_rfc3339(),
                    s.created_by,
                    s.reason
                ),
                by: Some(s.created_by.clone()),
                severity: None,
            },
        );
    }
    for s in queries::silences_removed_between(store, range).await? {
        if s.service.as_deref().is_some_and(|name| !wanted(name)) {
            continue;
        }
        push(
            s.removed_at_ms,
            TimelineEvent {
                at: time(s.removed_at_ms),
                kind: EventKind::SilenceRemoved,
                service: s.service.clone(),
                subject: s.rule.clone(),
                state: Some("removed".into()),
                text: format!(
                    "silence #{} removed by {}",
                    s.id,
                    s.removed_by.as_deref().unwrap_or("someone")
                ),
                by: s.removed_by.clone(),
                severity: None,
            },
        );
    }
    for a in store.actions_between(None, range).await? {
        if !wanted(&a.service) {
            continue;
        }
        let outcome = action_outcome(&a);
        let target = a
            .target
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        let reason = a
            .reason
            .as_deref()
            .map(|r| format!(" because {r}"))
            .unwrap_or_default();
        let override_note = if a.override_checks {
            " (safety check overridden)"
        } else {
            ""
        };
        let mut details = Vec::new();
        if let Some(status) = a.http_status {
            details.push(format!("HTTP {status}"));
        }
        if let Some(verified) = &a.verified_state {
            details.push(format!("verified {verified}"));
        }
        if let Some(message) = &a.message {
            details.push(message.clone());
        }
        let details = if details.is_empty() {
            String::new()
        } else {
            format!(" [{}]", details.join("; "))
        };
        push(
            a.at_ms,
            TimelineEvent {
                at: time(a.at_ms),
                kind: EventKind::Action,
                service: Some(a.service.clone()),
                subject: a.target.clone(),
                state: Some(outcome.to_string()),
                text: format!(
                    "{}{target} by {}{reason}{override_note}: {outcome}{details}",
                    a.action, a.operator
                ),
                by: Some(a.operator.clone()),
                severity: None,
            },
        );
    }
    for s in store.stream_states_between(None, range).await? {
        if !wanted(&s.service) {
            continue;
        }
        let detail = s
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        push(
            s.at_ms,
            TimelineEvent {
                at: time(s.at_ms),
                kind: EventKind::Stream,
                service: Some(s.service.clone()),
                subject: Some(s.stream.clone()),
                state: Some(s.state.clone()),
                text: format!("stream {} {}{detail}", s.stream, s.state),
                by: None,
                severity: None,
            },
        );
    }
    events.sort_by_key(|(ms, n, _)| (*ms, *n));
    Ok(events.into_iter().map(|(_, _, e)| e).collect())
}

/// `succeeded`, `failed` or `unfinished` (the console stopped before the outcome).
fn action_outcome(a: &crate::store::ActionRecord) -> &'static str {
    if a.outcome_at_ms.is_none() {
        "unfinished"
    } else if a.http_status.is_some_and(|s| (200..300).contains(&s)) {
        "succeeded"
    } else {
        "failed"
    }
}

/// One service's part of the snapshot, and the worst it was seen.
async fn service_snapshot(
    store: &Store,
    name: &str,
    tags: &[String],
    range: TimeRange,
    timeline: &[TimelineEvent],
    rules: &[Rule],
) -> Result<(ServiceSnapshot, WorstState), SnapshotError> {
    let mine: Vec<&TimelineEvent> = timeline
        .iter()
        .filter(|e| e.service.as_deref() == Some(name))
        .collect();
    let markers: Vec<Marker> = mine
        .iter()
        .filter_map(|e| {
            let kind = match e.kind {
                EventKind::Transition => MarkerKind::Transition,
                EventKind::Alert => MarkerKind::Alert,
                EventKind::Action => MarkerKind::Action,
                _ => return None,
            };
            let label = match e.kind {
                EventKind::Transition => format!(
                    "{} → {}",
                    e.subject.as_deref().unwrap_or_default(),
                    e.state.as_deref().unwrap_or_default()
                ),
                _ => format!(
                    "{} {}",
                    e.subject.as_deref().unwrap_or_default(),
                    e.state.as_deref().unwrap_or_default()
                ),
            };
            Some(Marker {
                at_ms: e.at.timestamp_millis(),
                kind,
                label,
            })
        })
        .collect();

    let series_names = store.series_names(name).await?;
    let mut charts = Vec::new();
    let mut omitted = Vec::new();
    let mut values = Vec::new();
    let capacity = last_value(store, name, "queue.capacity", range).await?;
    for series in &series_names {
        let Some(series_id) = store.series_id(name, series).await? else {
            continue;
        };
        if let Some((t_ms, value)) = queries::last_sample(store, series_id, range).await? {
            if value.is_finite() {
                values.push(SeriesValue {
                    series: series.clone(),
                    value,
                    at: time(t_ms),
                });
            }
        }
        if charts.len() >= MAX_CHARTS_PER_SERVICE {
            omitted.push(series.clone());
            continue;
        }
        let thresholds = thresholds(rules, name, tags, series, capacity.map(|(_, v)| v));
        if let Some(chart) =
            series_chart(store, series_id, series, range, &markers, thresholds).await?
        {
            charts.push(chart);
        }
    }

    let intervals = store.breaker_intervals(name, range).await?;
    let mut breakers: BTreeMap<String, Vec<StateInterval>> = BTreeMap::new();
    for i in intervals {
        breakers
            .entry(i.breaker.clone())
            .or_default()
            .push(StateInterval {
                state: i.state,
                from: time(i.start_ms),
                until: time(i.end_ms),
            });
    }
    let breakers: Vec<BreakerHistory> = breakers
        .into_iter()
        .map(|(name, intervals)| BreakerHistory { name, intervals })
        .collect();

    let last_observation =
        queries::last_health(store, name, range)
            .await?
            .map(|h| LastObservation {
                observed_at: time(h.observed_at_ms),
                reachability: h.reachability,
                status: h.status,
                latency_ms: h.latency_ms.filter(|v| v.is_finite()),
                message: h.message,
                values,
            });

    let health = queries::health_counts(store, name, range).await?;
    let rounds: i64 = health.iter().map(|(_, _, n)| *n).sum();
    let unreachable: i64 = health
        .iter()
        .filter(|(r, _, _)| r != "reachable")
        .map(|(_, _, n)| *n)
        .sum();
    let worst_health = health
        .iter()
        .filter_map(|(_, status, _)| status.as_deref())
        .max_by_key(|s| health_rank(s))
        .map(str::to_string);
    let worst_breaker = breakers
        .iter()
        .flat_map(|b| {
            b.intervals
                .iter()
                .map(move |i| (b.name.as_str(), i.state.as_str()))
        })
        .max_by_key(|(_, state)| breaker_rank(state));
    let alert_severity = mine
        .iter()
        .filter(|e| e.kind == EventKind::Alert && e.state.as_deref() == Some("firing"))
        .filter_map(|e| e.severity.as_deref())
        .max_by_key(|s| severity_rank(s))
        .map(str::to_string);
    let worst = WorstState {
        service: name.to_string(),
        health: worst_health,
        unreachable_rounds: u32::try_from(unreachable).unwrap_or(u32::MAX),
        rounds: u32::try_from(rounds).unwrap_or(u32::MAX),
        breaker: worst_breaker.map(|(_, s)| s.to_string()),
        breaker_name: worst_breaker.map(|(b, _)| b.to_string()),
        alert_severity,
    };
    Ok((
        ServiceSnapshot {
            name: name.to_string(),
            charts,
            omitted_series: omitted,
            breakers,
            last_observation,
        },
        worst,
    ))
}

async fn last_value(
    store: &Store,
    service: &str,
    series: &str,
    range: TimeRange,
) -> Result<Option<(i64, f64)>, StoreError> {
    match store.series_id(service, series).await? {
        Some(id) => queries::last_sample(store, id, range).await,
        None => Ok(None),
    }
}

fn health_rank(status: &str) -> u8 {
    match status {
        "down" => 3,
        "degraded" => 2,
        "unknown" => 1,
        _ => 0,
    }
}

fn breaker_rank(state: &str) -> u8 {
    use crate::model::BreakerState as B;
    match breaker_state(state) {
        B::Open | B::ForcedOpen => 4,
        B::HalfOpen => 3,
        B::Disabled | B::MetricsOnly => 2,
        B::Unknown => 1,
        B::Closed => 0,
    }
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 4,
        "high" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

/// The lines a series' chart draws: the alert rules watching it on this service (as
/// [`crate::alerting::chart_thresholds`] picks them for the dashboard), and a queue's
/// capacity and backpressure level.
fn thresholds(
    rules: &[Rule],
    service: &str,
    tags: &[String],
    series: &str,
    capacity: Option<f64>,
) -> Vec<Threshold> {
    let mut lines = crate::alerting::rule_thresholds(rules, service, tags, series);
    if series == "queue.depth" {
        lines.extend(capacity.map(crate::views::queue_lines).unwrap_or_default());
    }
    lines
}

/// One series over the window, drawn by the dashboard's chart code in the light theme;
/// `None` when the window holds no data of it.
async fn series_chart(
    store: &Store,
    series_id: i64,
    series: &str,
    range: TimeRange,
    markers: &[Marker],
    thresholds: Vec<Threshold>,
) -> Result<Option<SeriesChart>, SnapshotError> {
    let result = store
        .range_of(series_id, range, CHART_WIDTH as usize)
        .await?;
    let points = result.line();
    if points.is_empty() {
        return Ok(None);
    }
    let min = result
        .points
        .iter()
        .map(|p| p.min)
        .filter(|v| v.is_finite())
        .reduce(f64::min);
    let max = result
        .points
        .iter()
        .map(|p| p.max)
        .filter(|v| v.is_finite())
        .reduce(f64::max);
    let unit = unit_of(series);
    let spec = ChartSpec {
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        theme: Theme::Light,
        unit,
        from: time(range.from_ms),
        until: time(range.to_ms),
        // A snapshot travels between time zones: its axes read UTC, as its text does.
        local_offset: utc(),
        lines: vec![Line {
            label: series.to_string(),
            points: points.clone(),
            envelope: result.envelope(),
        }],
        thresholds: thresholds.clone(),
        markers: markers.to_vec(),
    };
    let svg = charts::render_line_chart(&spec)?;
    Ok(Some(SeriesChart {
        series: series.to_string(),
        unit: serde_json::to_value(unit)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        resolution: format!("{:?}", result.resolution).to_lowercase(),
        points: to_u32(points.len()),
        min,
        max,
        last: points.last().map(|p| p.1),
        thresholds: thresholds
            .into_iter()
            .map(|t| ThresholdLine {
                label: t.label,
                value: t.value,
            })
            .collect(),
        svg,
    }))
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| chrono::Offset::fix(&Utc))
}

/// Every breaker of the gathered services as one band chart.
fn breaker_timeline_svg(
    services: &[ServiceSnapshot],
    request: &SnapshotRequest,
) -> Result<Option<String>, SnapshotError> {
    let rows: Vec<charts::TimelineRow> = services
        .iter()
        .flat_map(|s| {
            s.breakers.iter().map(move |b| charts::TimelineRow {
                label: format!("{} / {}", s.name, b.name),
                bands: b
                    .intervals
                    .iter()
                    .map(|i| charts::StateBand {
                        from_ms: i.from.timestamp_millis(),
                        until_ms: Some(i.until.timestamp_millis()),
                        state: breaker_state(&i.state),
                    })
                    .collect(),
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(charts::render_state_timeline(
        &rows,
        request.since,
        request.until,
        CHART_WIDTH,
        Theme::Light,
        utc(),
    )?))
}

/// The configuration of the chosen services, secrets shown by reference only.
fn config_summary(config: &Config, chosen: &BTreeSet<&str>) -> ConfigSummary {
    let redactor = Redactor::from_config(Some(config));
    ConfigSummary {
        services: config
            .services
            .iter()
            .filter(|s| chosen.contains(s.name.as_str()))
            .map(|s| ServiceConfigSummary {
                name: s.name.clone(),
                base_url: redactor.redact(&s.base_url),
                profile: s.profile.map(|p| p.name().to_string()),
                tags: s.tags.clone(),
                poll_interval_ms: u64::try_from(s.poll_interval.as_millis()).unwrap_or(u64::MAX),
                headers: s
                    .headers
                    .iter()
                    .map(|(name, source)| HeaderSummary {
                        name: name.clone(),
                        value: header_reference(name, source),
                    })
                    .collect(),
                streams: s.streams.iter().map(|st| st.path.clone()).collect(),
            })
            .collect(),
    }
}

/// A header's reference; a literal only for the harmless headers the configuration
/// accepts literally (anything else built by hand is assumed secret).
fn header_reference(name: &str, source: &HeaderSource) -> String {
    match source {
        HeaderSource::Secret(_) => source.describe(),
        HeaderSource::Literal(value) => {
            let harmless = ["accept", "accept-language", "user-agent", "content-type"]
                .contains(&name.to_ascii_lowercase().as_str());
            if harmless {
                value.clone()
            } else {
                REDACTED.to_string()
            }
        }
    }
}

/// The snapshot as pretty JSON (see the module documentation for the schema).
pub fn render_json(snapshot: &Snapshot) -> Result<String, SnapshotError> {
    Ok(serde_json::to_string_pretty(snapshot)?)
}
