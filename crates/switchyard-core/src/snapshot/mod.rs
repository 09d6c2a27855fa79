//! Incident snapshots: one portable file that tells what happened in a window, for the
//! post-mortem. [`gather`] reads the history store into a [`Snapshot`] (summary,
//! timeline, the dashboard's own charts drawn in the light theme, breaker intervals, the
//! last observation of each service); [`render_html`], [`render_json`] and
//! [`write_zip`] write it out.
//!
//! - [`format`]: the types of the document, which are the JSON format (`schema_version`
//!   1) and from which its JSON Schema is generated;
//! - [`gather`] (here): the window's store reads, one service at a time;
//! - `timeline`: every event of the window, oldest first, each with one line of text;
//! - `service`: one service's charts, breaker intervals, last observation and worst state;
//! - `charts`: the dashboard's charts drawn for the page, and the breaker bands;
//! - `config_summary`: the configuration by reference, never a secret;
//! - [`schema`]: the JSON Schema generated from [`format`], committed as `schema.json`;
//! - [`redact`], `html`, `archive`: what leaves the machine, and how it is written.

mod archive;
mod charts;
mod config_summary;
pub mod format;
mod html;
mod queries;
pub mod redact;
pub mod schema;
mod service;
mod timeline;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::alerts::Rule;
use crate::config::Config;
use crate::store::{Store, StoreError, TimeRange};

pub use archive::{png_of_svg, write_zip, ZipReport};
pub use format::{
    BreakerHistory, ConfigSummary, DependencyDetail, EventKind, HeaderSummary, LastObservation,
    SeriesChart, SeriesValue, ServiceConfigSummary, ServiceSnapshot, Snapshot, StateInterval,
    Summary, ThresholdLine, TimelineEvent, Window, WorstState,
};
pub use html::render_html;
pub use redact::{Redactor, REDACTED};

/// The version of the JSON format written by this build.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of [`render_json`]'s output, generated from the types by [`schema`].
pub const JSON_SCHEMA: &str = include_str!("schema.json");

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
    Chart(#[from] crate::charts::ChartError),
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

    let timeline = timeline::timeline(store, range, &chosen).await?;
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
            service::service_snapshot(store, name, &tags, range, timeline, rules).await
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

    let breaker_timeline_svg = charts::breaker_timeline_svg(&gathered, request)?;
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
        config: config.map(|c| config_summary::config_summary(c, &chosen)),
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
        Ok(Some(saved)) => crate::alerts::rules_from_toml(&saved.rules_toml).ok(),
        _ => None,
    };
    let configured = saved.unwrap_or_else(|| config.map(|c| c.alerts.clone()).unwrap_or_default());
    crate::alerts::with_defaults(configured)
}

/// The snapshot as pretty JSON (see the module documentation for the schema).
pub fn render_json(snapshot: &Snapshot) -> Result<String, SnapshotError> {
    Ok(serde_json::to_string_pretty(snapshot)?)
}
