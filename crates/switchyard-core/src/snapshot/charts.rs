//! The snapshot's pictures: each series drawn by the dashboard's own chart code in the
//! light theme, with its alert thresholds and markers, and every breaker's states as one
//! band chart. Axes read UTC: a snapshot travels between time zones.

use chrono::{FixedOffset, Utc};

use super::{
    time, to_u32, SeriesChart, ServiceSnapshot, SnapshotError, SnapshotRequest, ThresholdLine,
};
use crate::alerts::Rule;
use crate::charts::{self, ChartSpec, Line, Marker, Theme, Threshold};
use crate::dashboard::unit_of;
use crate::profiles::words::breaker_state;
use crate::store::{Store, TimeRange};

/// Chart size in the snapshot: the width of a printed A4 page at 96 dpi, less margins.
const CHART_WIDTH: u32 = 960;
const CHART_HEIGHT: u32 = 260;

/// The lines a series' chart draws: the alert rules watching it on this service (as
/// [`crate::alerts::chart_thresholds`] picks them for the dashboard), and a queue's
/// capacity and backpressure level.
pub(super) fn thresholds(
    rules: &[Rule],
    service: &str,
    tags: &[String],
    series: &str,
    capacity: Option<f64>,
) -> Vec<Threshold> {
    let mut lines = crate::alerts::rule_thresholds(rules, service, tags, series);
    if series == "queue.depth" {
        lines.extend(
            capacity
                .map(crate::dashboard::queue_lines)
                .unwrap_or_default(),
        );
    }
    lines
}

/// One series over the window, drawn by the dashboard's chart code in the light theme;
/// `None` when the window holds no data of it.
pub(super) async fn series_chart(
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
    let min = finite_fold(result.points.iter().map(|p| p.min), f64::min);
    let max = finite_fold(result.points.iter().map(|p| p.max), f64::max);
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

/// The finite values folded with `fold` (`f64::min`, `f64::max`); `None` without one.
fn finite_fold(values: impl Iterator<Item = f64>, fold: fn(f64, f64) -> f64) -> Option<f64> {
    values.filter(|v| v.is_finite()).reduce(fold)
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| chrono::Offset::fix(&Utc))
}

/// Every breaker of the gathered services as one band chart.
pub(super) fn breaker_timeline_svg(
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
