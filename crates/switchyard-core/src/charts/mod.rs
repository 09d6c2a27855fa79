//! Charts as SVG, drawn by plotters: the same function serves the app (which shows the
//! string inline) and the incident snapshot. Inputs are already downsampled points; a
//! chart never reads the store itself.

mod axis;
mod line_chart;
mod sparkline;
mod theme;
mod timeline;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use line_chart::render_line_chart;
pub use sparkline::sparkline;
pub use theme::Theme;
pub use timeline::{render_state_timeline, StateBand, TimelineRow};

/// How values of a series read on an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A ratio 0..1 shown as a percentage.
    Ratio,
    Percent,
    Milliseconds,
    Count,
    PerSecond,
    Megabytes,
}

/// One line on a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    /// (milliseconds since the epoch, value), oldest first.
    pub points: Vec<(i64, f64)>,
    /// (milliseconds, min, max) behind each point when it stands for a group of samples
    /// (roll-ups): drawn as a band, so a spike averaged away by the mean stays in
    /// sight. Empty for raw samples.
    pub envelope: Vec<(i64, f64, f64)>,
}

/// Which side of a threshold is the bad one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    Above,
    Below,
}

/// A horizontal line (an alert threshold, a capacity, the backpressure level). With a
/// `breach`, the part of the first line beyond it is shaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub label: String,
    pub value: f64,
    pub breach: Option<Breach>,
}

/// What happened at a moment, marked on the time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    Transition,
    Alert,
    Action,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub at_ms: i64,
    pub kind: MarkerKind,
    pub label: String,
}

/// Everything a line chart needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
    pub unit: Unit,
    /// The time range shown, whatever the data covers.
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Axis labels are in this offset: the engineer's local time.
    pub local_offset: FixedOffset,
    pub lines: Vec<Line>,
    pub thresholds: Vec<Threshold>,
    pub markers: Vec<Marker>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChartError {
    #[error("a chart needs a time range that moves forward")]
    EmptyRange,
    #[error("a chart of {0}×{1} pixels is too small to draw")]
    TooSmall(u32, u32),
    #[error("drawing the chart failed: {0}")]
    Drawing(String),
}

/// plotters reports errors generically; keep its words.
pub(crate) fn drawing<E: std::fmt::Display>(error: E) -> ChartError {
    ChartError::Drawing(error.to_string())
}
