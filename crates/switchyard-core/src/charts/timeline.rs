//! The breaker state timeline: one row per breaker, coloured bands of closed, half-open
//! and open over the range, the way an engineer asks "when was it open?".

use plotters::prelude::*;

use super::axis::{time_label, time_ticks};
use super::{drawing, ChartError, Theme};
use crate::model::BreakerState;
use chrono::{DateTime, FixedOffset, Utc};

/// A stretch of time in one state; `until` of `None` means "still".
#[derive(Debug, Clone, PartialEq)]
pub struct StateBand {
    pub from_ms: i64,
    pub until_ms: Option<i64>,
    pub state: BreakerState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub label: String,
    pub bands: Vec<StateBand>,
}

const ROW_HEIGHT: u32 = 22;
const AXIS_HEIGHT: u32 = 24;
const LABEL_WIDTH: u32 = 160;

/// Renders one band row per breaker over `from..until`.
pub fn render_state_timeline(
    rows: &[TimelineRow],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    width: u32,
    theme: Theme,
    offset: FixedOffset,
) -> Result<String, ChartError> {
    let (start, end) = (from.timestamp_millis(), until.timestamp_millis());
    if end <= start {
        return Err(ChartError::EmptyRange);
    }
    if width < LABEL_WIDTH + 80 {
        return Err(ChartError::TooSmall(width, 0));
    }
    let palette = theme.palette();
    let height = AXIS_HEIGHT + ROW_HEIGHT * rows.len().max(1) as u32 + 8;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&palette.background).map_err(drawing)?;
        // Rows are 10 units tall on an integer axis (plotters formats integer key points).
        let count = i32::try_from(rows.len().max(1)).unwrap_or(i32::MAX / 10);
        let mut chart = ChartBuilder::on(&root)
            .margin(4)
            .x_label_area_size(AXIS_HEIGHT)
            .y_label_area_size(LABEL_WIDTH)
            .build_cartesian_2d(
                (start..end).with_key_points(time_ticks(start, end, offset, 7)),
                (0..count * 10).with_key_points((0..count).map(|i| i * 10 + 5).collect::<Vec<_>>()),
            )
            .map_err(drawing)?;
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        let range = end - start;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(palette.grid.mix(0.3))
            .axis_style(palette.grid)
            .label_style(("sans-serif", 11).into_font().color(&palette.text))
            .x_label_formatter(&|ms| time_label(*ms, range, offset))
            .y_label_formatter(&|y| {
                let index = count - 1 - (y - 5) / 10;
                usize::try_from(index)
                    .ok()
                    .and_then(|i| labels.get(i))
                    .map(|l| l.to_string())
                    .unwrap_or_default()
            })
            .draw()
            .map_err(drawing)?;
        for (index, row) in rows.iter().enumerate() {
            let top = (count - i32::try_from(index).unwrap_or(0)) * 10;
            for band in &row.bands {
                let left = band.from_ms.max(start);
                let right = band.until_ms.unwrap_or(end).min(end);
                if right <= left {
                    continue;
                }
                let colour = match band.state {
                    BreakerState::Closed => palette.ok,
                    BreakerState::HalfOpen => palette.warn,
                    BreakerState::Open | BreakerState::ForcedOpen => palette.bad,
                    BreakerState::Disabled | BreakerState::MetricsOnly | BreakerState::Unknown => {
                        palette.neutral
                    }
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(left, top - 2), (right, top - 8)],
                        colour.mix(0.85).filled(),
                    )))
                    .map_err(drawing)?;
            }
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_bands_are_drawn_in_the_open_colour() {
        let from = DateTime::<Utc>::from_timestamp_millis(0).unwrap();
        let until = from + chrono::Duration::hours(1);
        let rows = [TimelineRow {
            label: "orders / exchange_api".into(),
            bands: vec![
                StateBand {
                    from_ms: 0,
                    until_ms: Some(600_000),
                    state: BreakerState::Closed,
                },
                StateBand {
                    from_ms: 600_000,
                    until_ms: Some(900_000),
                    state: BreakerState::Open,
                },
                StateBand {
                    from_ms: 900_000,
                    until_ms: None,
                    state: BreakerState::Closed,
                },
            ],
        }];
        let svg = render_state_timeline(
            &rows,
            from,
            until,
            800,
            Theme::Light,
            FixedOffset::east_opt(0).unwrap(),
        )
        .unwrap();
        assert!(svg.contains("orders / exchange_api"));
        assert_eq!(
            svg.matches("<rect").count() - 1,
            3,
            "three bands besides the background"
        );
        assert!(
            svg.to_lowercase().contains("#c92a22"),
            "the open band is red"
        );
    }
}
