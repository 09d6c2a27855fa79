//! What the dashboard (and the snapshot) shows, assembled from the store and the live
//! state: a series chart with its capacity and threshold lines and the service's events
//! marked, and the breaker state timeline. Tauri-free, so the shell's commands are
//! one-liners and the snapshot draws the very same charts.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::charts::{
    self, Breach, ChartError, ChartSpec, Line, Marker, MarkerKind, Theme, Threshold, TimelineRow,
    Unit,
};
use crate::engines::history::EngineHistory;
use crate::model::BreakerState;
use crate::model::ServiceState;
use crate::profiles::words::breaker_state;
use crate::store::{Store, StoreError, TimeRange};

/// Backpressure turns on at this fill of a queue (docs/contracts.md, "health-levels").
const BACKPRESSURE_FILL: f64 = 0.8;

/// Which stretch of time to show: the last `minutes` before `until` (now when absent).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, TS)]
#[ts(optional_fields)]
pub struct RangeRequest {
    pub minutes: u32,
    /// Milliseconds since the epoch; absent means "live": up to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<f64>,
}

impl RangeRequest {
    fn resolve(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let until = self
            .until_ms
            .and_then(|ms| DateTime::from_timestamp_millis(ms as i64))
            .unwrap_or(now);
        (
            until - chrono::Duration::minutes(i64::from(self.minutes.max(1))),
            until,
        )
    }
}

/// How the chart should look where it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, TS)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
    /// The engineer's offset from UTC, for axis labels in local time.
    pub utc_offset_minutes: i32,
}

impl Canvas {
    fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes.saturating_mul(60))
            .unwrap_or_else(|| Utc.fix())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
pub struct ChartRequest {
    pub service: String,
    pub series: String,
    pub range: RangeRequest,
    pub canvas: Canvas,
    /// For a service of several instances: one line per instance (its own values, kept
    /// as `series@instance`) instead of the service's combination.
    #[serde(default)]
    #[ts(as = "Option<bool>", optional)]
    pub per_instance: bool,
}

/// A drawn chart and what it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ChartView {
    pub service: String,
    pub series: String,
    pub unit: Unit,
    pub svg: String,
    /// `raw`, `minute` or `hour`: which table answered.
    pub resolution: String,
    pub points: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, TS)]
#[ts(optional_fields)]
pub struct TimelineRequest {
    pub range: RangeRequest,
    pub canvas: Canvas,
    /// Only these services; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimelineView {
    pub svg: String,
    pub rows: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// The unit a series is drawn in, from its name.
pub fn unit_of(series: &str) -> Unit {
    if series.ends_with("hit_rate")
        || series.ends_with("utilization")
        || series.ends_with("failure_rate")
    {
        Unit::Ratio
    } else if series.ends_with("_percent") {
        Unit::Percent
    } else if series.ends_with("_ms") || series.contains("latency") {
        Unit::Milliseconds
    } else if series.ends_with("per_second") {
        Unit::PerSecond
    } else if series.ends_with("_mb") {
        Unit::Megabytes
    } else {
        Unit::Count
    }
}

/// Lines drawn on a series' chart besides its own values: the facts of the service, such
/// as a queue's capacity and where backpressure starts.
fn reference_lines(series: &str, state: Option<&ServiceState>) -> Vec<Threshold> {
    let latest_sample = |name: &str| {
        state
            .and_then(|s| s.last_good.as_ref())
            .and_then(|o| o.samples.iter().find(|x| x.series == name))
            .map(|x| x.value)
    };
    match series {
        "queue.depth" => latest_sample("queue.capacity")
            .map(queue_lines)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A queue's capacity and the fill at which backpressure starts; none for no capacity.
pub fn queue_lines(capacity: f64) -> Vec<Threshold> {
    if capacity <= 0.0 {
        return Vec::new();
    }
    vec![
        Threshold {
            label: "capacity".into(),
            value: capacity,
            breach: None,
        },
        Threshold {
            label: "backpressure".into(),
            value: capacity * BACKPRESSURE_FILL,
            breach: Some(Breach::Above),
        },
    ]
}

/// One series of one service over a range, drawn.
pub async fn series_chart(
    store: &Store,
    now: DateTime<Utc>,
    state: Option<&ServiceState>,
    request: &ChartRequest,
    extra_thresholds: Vec<Threshold>,
) -> Result<ChartView, ViewError> {
    series_chart_reaching(store, now, state, request, extra_thresholds, None).await
}

/// [`series_chart`] for a service read from a team's engine (`engine`, the one that
/// reports it): when the range reaches past the local history, the points come from
/// the engine (`resolution` then names it, with its warnings).
pub async fn series_chart_reaching(
    store: &Store,
    now: DateTime<Utc>,
    state: Option<&ServiceState>,
    request: &ChartRequest,
    extra_thresholds: Vec<Threshold>,
    engine: Option<&EngineHistory>,
) -> Result<ChartView, ViewError> {
    let (from, until) = request.range.resolve(now);
    let range = TimeRange::new(from, until);
    let max_points = request.canvas.width.clamp(50, 2000) as usize;
    let result = store
        .range(&request.service, &request.series, range, max_points)
        .await?;
    let (mut points, mut envelope, mut resolution) = match &result {
        Some(r) => (
            r.line(),
            r.envelope(),
            format!("{:?}", r.resolution).to_lowercase(),
        ),
        None => (Vec::new(), Vec::new(), "raw".to_string()),
    };
    let reported = state
        .and_then(|s| s.engine.as_ref())
        .map(|v| v.engine.as_str());
    if let Some(engine) = engine.filter(|e| reported == Some(e.name())) {
        // Past the local history: the first local point is well after the range's start.
        let slack = (until - from) / 20;
        let local_from = points.first().map(|p| p.0);
        if local_from.is_none_or(|first| first > (from + slack).timestamp_millis()) {
            let pixels = request.canvas.width.clamp(50, 2000);
            match engine
                .points(&request.service, &request.series, from, until, pixels)
                .await
            {
                Ok(Some(read)) if !read.points.is_empty() => {
                    points = read.points;
                    envelope = Vec::new();
                    resolution = format!("engine {}", engine.name());
                    for warning in read.warnings {
                        resolution.push_str(&format!(" · warning: {warning}"));
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(engine = engine.name(), %error, "chart history from the engine failed");
                    resolution.push_str(&format!(" · engine {}: {error}", engine.name()));
                }
            }
        }
    }
    let markers = markers(store, &request.service, range).await?;
    let mut thresholds = reference_lines(&request.series, state);
    thresholds.extend(extra_thresholds);
    let unit = unit_of(&request.series);
    let spec = ChartSpec {
        width: request.canvas.width,
        height: request.canvas.height,
        theme: request.canvas.theme,
        unit,
        from,
        until,
        local_offset: request.canvas.offset(),
        lines: match instance_lines(store, state, request, range, max_points).await? {
            Some(lines) => lines,
            None => vec![Line {
                label: request.series.clone(),
                points: points.clone(),
                envelope,
            }],
        },
        thresholds,
        markers,
    };
    let drawn: usize = spec.lines.iter().map(|l| l.points.len()).sum();
    Ok(ChartView {
        service: request.service.clone(),
        series: request.series.clone(),
        unit,
        svg: charts::render_line_chart(&spec)?,
        resolution,
        points: u32::try_from(drawn).unwrap_or(u32::MAX),
        last_value: points.last().map(|p| p.1),
    })
}

/// One line per present instance of the service, when the request asks for them and
/// the service has several.
async fn instance_lines(
    store: &Store,
    state: Option<&ServiceState>,
    request: &ChartRequest,
    range: TimeRange,
    max_points: usize,
) -> Result<Option<Vec<Line>>, StoreError> {
    let Some(replicas) = state
        .and_then(|s| s.replicas.as_ref())
        .filter(|_| request.per_instance)
    else {
        return Ok(None);
    };
    let mut lines = Vec::new();
    for instance in replicas.instances.iter().filter(|i| i.gone_since.is_none()) {
        let series = crate::model::instance_series(&request.series, &instance.id);
        let read = store
            .range(&request.service, &series, range, max_points)
            .await?;
        lines.push(Line {
            label: instance.id.clone(),
            points: read.as_ref().map(|r| r.line()).unwrap_or_default(),
            envelope: read.as_ref().map(|r| r.envelope()).unwrap_or_default(),
        });
    }
    Ok(Some(lines))
}

/// Transitions, alerts and actions of a service in a range, as chart markers.
async fn markers(
    store: &Store,
    service: &str,
    range: TimeRange,
) -> Result<Vec<Marker>, StoreError> {
    let mut markers: Vec<Marker> = store
        .transitions_between(Some(service), range)
        .await?
        .into_iter()
        .map(|t| Marker {
            at_ms: t.at_ms,
            kind: MarkerKind::Transition,
            label: format!("{} → {}", t.breaker, t.to_state),
        })
        .collect();
    markers.extend(
        store
            .alerts_between(Some(service), range)
            .await?
            .into_iter()
            .map(|a| Marker {
                at_ms: a.at_ms,
                kind: MarkerKind::Alert,
                label: format!("{} {}", a.rule, a.state),
            }),
    );
    markers.extend(
        store
            .actions_between(Some(service), range)
            .await?
            .into_iter()
            .map(|a| Marker {
                at_ms: a.at_ms,
                kind: MarkerKind::Action,
                label: a.action,
            }),
    );
    Ok(markers)
}

/// Every breaker of the chosen services over a range, as coloured bands.
pub async fn breaker_timeline(
    store: &Store,
    now: DateTime<Utc>,
    services: &[ServiceState],
    request: &TimelineRequest,
) -> Result<TimelineView, ViewError> {
    let (from, until) = request.range.resolve(now);
    let range = TimeRange::new(from, until);
    let mut rows = Vec::new();
    for service in services {
        if request
            .services
            .as_ref()
            .is_some_and(|only| !only.contains(&service.name))
        {
            continue;
        }
        let intervals = store.breaker_intervals(&service.name, range).await?;
        let mut names: Vec<String> = intervals.iter().map(|i| i.breaker.clone()).collect();
        // Breakers with no transition yet still get a row, in their current state.
        let current = service
            .last_good
            .as_ref()
            .map(|o| o.breakers.as_slice())
            .unwrap_or_default();
        for breaker in current {
            if !names.contains(&breaker.name) {
                names.push(breaker.name.clone());
            }
        }
        names.dedup();
        for name in names {
            let mut bands: Vec<charts::StateBand> = intervals
                .iter()
                .filter(|i| i.breaker == name)
                .map(|i| charts::StateBand {
                    from_ms: i.start_ms,
                    until_ms: Some(i.end_ms),
                    state: breaker_state(&i.state),
                })
                .collect();
            if bands.is_empty() {
                let state = current
                    .iter()
                    .find(|b| b.name == name)
                    .map_or(BreakerState::Unknown, |b| b.state);
                bands.push(charts::StateBand {
                    from_ms: range.from_ms,
                    until_ms: None,
                    state,
                });
            }
            rows.push(TimelineRow {
                label: format!("{} / {name}", service.name),
                bands,
            });
        }
    }
    let svg = charts::render_state_timeline(
        &rows,
        from,
        until,
        request.canvas.width,
        request.canvas.theme,
        request.canvas.offset(),
    )?;
    Ok(TimelineView {
        svg,
        rows: u32::try_from(rows.len()).unwrap_or(u32::MAX),
    })
}

/// A service's last minutes at a glance, for its overview tile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Sparkline {
    pub service: String,
    /// What is drawn: a headline series, or `latency` (the poll latency).
    pub series: String,
    pub svg: String,
}

/// Series that say most about a service in one line, best first.
const SPARKLINE_SERIES: &[&str] = &[
    "cache.hit_rate",
    "queue.depth",
    "health.score",
    "system.cpu_percent",
];

/// One sparkline per service over the last `minutes`: of every service, or, with `only`,
/// of those named (the window asks for the tiles on screen: at 1,000 services, drawing
/// them all every few seconds read the history of every one of them).
pub async fn sparklines(
    store: &Store,
    now: DateTime<Utc>,
    services: &[ServiceState],
    only: Option<&[String]>,
    minutes: u32,
    (width, height): (u32, u32),
) -> Result<Vec<Sparkline>, ViewError> {
    let from = now - chrono::Duration::minutes(i64::from(minutes.max(1)));
    let range = TimeRange::new(from, now);
    let mut lines = Vec::with_capacity(only.map_or(services.len(), <[String]>::len));
    for service in services {
        if only.is_some_and(|names| !names.contains(&service.name)) {
            continue;
        }
        let samples = service
            .last_good
            .as_ref()
            .map(|o| o.samples.as_slice())
            .unwrap_or_default();
        let headline = SPARKLINE_SERIES
            .iter()
            .find(|name| samples.iter().any(|s| s.series == **name));
        let (series, points): (String, Vec<(i64, f64)>) = match headline {
            Some(name) => {
                let result = store
                    .range(&service.name, name, range, width as usize)
                    .await?;
                let points = result
                    .map(|r| r.points.iter().map(|p| (p.t_ms, p.value)).collect())
                    .unwrap_or_default();
                (name.to_string(), points)
            }
            None => {
                let rows = store.health_history(&service.name, from).await?;
                let points = rows
                    .iter()
                    .filter_map(|r| Some((r.observed_at_ms, r.latency_ms?)))
                    .collect();
                ("latency".to_string(), points)
            }
        };
        lines.push(Sparkline {
            service: service.name.clone(),
            series,
            svg: charts::sparkline(&points, range.from_ms, range.to_ms, width, height),
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_series_names() {
        assert_eq!(unit_of("cache.hit_rate"), Unit::Ratio);
        assert_eq!(unit_of("system.cpu_percent"), Unit::Percent);
        assert_eq!(unit_of("metrics.response_time_ms"), Unit::Milliseconds);
        assert_eq!(unit_of("queue.throughput_per_second"), Unit::PerSecond);
        assert_eq!(unit_of("queue.depth"), Unit::Count);
    }
}
