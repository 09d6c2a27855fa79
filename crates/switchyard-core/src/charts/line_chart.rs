//! A time-series chart: lines, thresholds (dashed, the breached part of the first line
//! shaded), and markers for transitions, alerts and actions on the time axis.

use plotters::prelude::*;

use super::axis::{time_label, time_ticks, value_label};
use super::theme::Palette;
use super::{drawing, Breach, ChartError, ChartSpec, MarkerKind, Threshold, Unit};

const MIN_SIZE: u32 = 80;

/// Renders `spec` as an SVG document.
pub fn render_line_chart(spec: &ChartSpec) -> Result<String, ChartError> {
    let (from, until) = (spec.from.timestamp_millis(), spec.until.timestamp_millis());
    if until <= from {
        return Err(ChartError::EmptyRange);
    }
    if spec.width < MIN_SIZE || spec.height < MIN_SIZE {
        return Err(ChartError::TooSmall(spec.width, spec.height));
    }
    let palette = spec.theme.palette();
    let (y_min, y_max) = value_range(spec);
    let range_ms = until - from;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (spec.width, spec.height)).into_drawing_area();
        root.fill(&palette.background).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(22)
            .y_label_area_size(54)
            .build_cartesian_2d(
                (from..until).with_key_points(time_ticks(from, until, spec.local_offset, 7)),
                y_min..y_max,
            )
            .map_err(drawing)?;
        let label_style = ("sans-serif", 11).into_font().color(&palette.text);
        chart
            .configure_mesh()
            .light_line_style(palette.grid.mix(0.4))
            .bold_line_style(palette.grid)
            .axis_style(palette.grid)
            .label_style(label_style)
            .y_labels(5)
            .x_label_formatter(&|ms| time_label(*ms, range_ms, spec.local_offset))
            .y_label_formatter(&|v| value_label(*v, spec.unit))
            .draw()
            .map_err(drawing)?;

        if let Some(first) = spec.lines.first() {
            for threshold in spec.thresholds.iter().filter(|t| t.breach.is_some()) {
                for run in breached_runs(&first.points, threshold) {
                    let mut polygon: Vec<(i64, f64)> = run.to_vec();
                    polygon.push((run[run.len() - 1].0, threshold.value));
                    polygon.push((run[0].0, threshold.value));
                    chart
                        .draw_series(std::iter::once(Polygon::new(
                            polygon,
                            palette.bad.mix(0.25).filled(),
                        )))
                        .map_err(drawing)?;
                }
            }
        }
        for (index, line) in spec.lines.iter().enumerate() {
            let colour = palette.lines[index % palette.lines.len()];
            if line.envelope.len() >= 2 {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band_outline(&line.envelope),
                        colour.mix(0.22).filled(),
                    )))
                    .map_err(drawing)?;
            }
            let drawn = chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(drawing)?;
            // Several lines (one per instance) need names; one line is named by the
            // chart's caption.
            if spec.lines.len() > 1 {
                drawn.label(line.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                });
            }
        }
        if spec.lines.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(palette.background.mix(0.85))
                .border_style(palette.grid)
                .label_font(("sans-serif", 10).into_font().color(&palette.text))
                .draw()
                .map_err(drawing)?;
        }
        for threshold in &spec.thresholds {
            chart
                .draw_series(DashedLineSeries::new(
                    [(from, threshold.value), (until, threshold.value)],
                    6,
                    4,
                    palette.threshold.stroke_width(1),
                ))
                .map_err(drawing)?;
            let label = format!(
                "{} {}",
                threshold.label,
                value_label(threshold.value, spec.unit)
            );
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (from, threshold.value),
                    ("sans-serif", 10).into_font().color(&palette.threshold),
                )))
                .map_err(drawing)?;
        }
        for marker in spec
            .markers
            .iter()
            .filter(|m| (from..=until).contains(&m.at_ms))
        {
            let colour = marker_colour(&palette, marker.kind);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    [(marker.at_ms, y_min), (marker.at_ms, y_max)],
                    colour.mix(0.8).stroke_width(1),
                )))
                .map_err(drawing)?;
        }
        if spec.lines.iter().all(|l| l.points.is_empty()) {
            let middle = ((from + until) / 2, (y_min + y_max) / 2.0);
            chart
                .draw_series(std::iter::once(Text::new(
                    "no data in this range",
                    middle,
                    ("sans-serif", 13).into_font().color(&palette.text),
                )))
                .map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

fn marker_colour(palette: &Palette, kind: MarkerKind) -> RGBColor {
    match kind {
        MarkerKind::Transition => palette.warn,
        MarkerKind::Alert => palette.bad,
        MarkerKind::Action => palette.action,
    }
}

/// The value axis: the data and the thresholds, with some air; ratios and percentages
/// start at zero so a drop reads as a drop.
fn value_range(spec: &ChartSpec) -> (f64, f64) {
    let values = spec
        .lines
        .iter()
        .flat_map(|l| {
            l.points
                .iter()
                .map(|p| p.1)
                .chain(l.envelope.iter().flat_map(|e| [e.1, e.2]))
        })
        .chain(spec.thresholds.iter().map(|t| t.value))
        .filter(|v| v.is_finite());
    let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !low.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    if matches!(
        spec.unit,
        Unit::Ratio
            | Unit::Percent
            | Unit::Count
            | Unit::PerSecond
            | Unit::Megabytes
            | Unit::Milliseconds
    ) {
        low = low.min(0.0);
    }
    if spec.unit == Unit::Ratio {
        high = high.max(1.0);
    }
    if (high - low).abs() < f64::EPSILON {
        high = low + 1.0;
    }
    (low, high + (high - low) * 0.08)
}

/// The band's outline: along the maxima forwards, back along the minima.
fn band_outline(envelope: &[(i64, f64, f64)]) -> Vec<(i64, f64)> {
    envelope
        .iter()
        .map(|&(t, _, max)| (t, max))
        .chain(envelope.iter().rev().map(|&(t, min, _)| (t, min)))
        .filter(|p| p.1.is_finite())
        .collect()
}

/// Runs of consecutive points beyond the threshold (at least two, to have an area).
fn breached_runs<'a>(points: &'a [(i64, f64)], threshold: &Threshold) -> Vec<&'a [(i64, f64)]> {
    let beyond = |v: f64| match threshold.breach {
        Some(Breach::Above) => v > threshold.value,
        Some(Breach::Below) => v < threshold.value,
        None => false,
    };
    let mut runs = Vec::new();
    let mut start = None;
    for (index, point) in points.iter().enumerate() {
        match (beyond(point.1), start) {
            (true, None) => start = Some(index),
            (false, Some(s)) => {
                if index - s >= 2 {
                    runs.push(&points[s..index]);
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        if points.len() - s >= 2 {
            runs.push(&points[s..]);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{Line, Marker, Theme};
    use chrono::{DateTime, FixedOffset, Utc};

    fn spec(points: Vec<(i64, f64)>) -> ChartSpec {
        let from = DateTime::<Utc>::from_timestamp_millis(0).unwrap();
        ChartSpec {
            width: 600,
            height: 200,
            theme: Theme::Dark,
            unit: Unit::Count,
            from,
            until: from + chrono::Duration::minutes(15),
            local_offset: FixedOffset::east_opt(0).unwrap(),
            lines: vec![Line {
                label: "queue.depth".into(),
                points,
                envelope: Vec::new(),
            }],
            thresholds: vec![Threshold {
                label: "backpressure".into(),
                value: 800.0,
                breach: Some(Breach::Above),
            }],
            markers: vec![Marker {
                at_ms: 60_000,
                kind: MarkerKind::Alert,
                label: "fired".into(),
            }],
        }
    }

    fn queue() -> Vec<(i64, f64)> {
        (0..900)
            .map(|i| {
                (
                    i * 1000,
                    if (300..400).contains(&i) {
                        900.0
                    } else {
                        100.0
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_chart_is_an_svg_with_its_threshold_label_and_shaded_breach() {
        let svg = render_line_chart(&spec(queue())).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60]);
        assert!(
            svg.contains("backpressure 800"),
            "the threshold is labelled"
        );
        assert!(svg.contains("<polygon"), "the breach is shaded");
        assert!(
            svg.contains("00:05:00"),
            "the time axis reads on round local times"
        );
    }

    #[test]
    fn a_rolled_up_line_shows_its_spread_so_a_spike_is_not_averaged_away() {
        // Hour means near 100 hide a spike to 5,000 inside one hour.
        let points: Vec<(i64, f64)> = (0..15).map(|i| (i * 60_000, 100.0)).collect();
        let mut envelope: Vec<(i64, f64, f64)> = points
            .iter()
            .map(|&(t, v)| (t, v - 10.0, v + 10.0))
            .collect();
        envelope[7].2 = 5_000.0;
        let mut flat = spec(points.clone());
        flat.thresholds.clear();
        let without = render_line_chart(&flat).unwrap();
        flat.lines[0].envelope = envelope;
        let with = render_line_chart(&flat).unwrap();
        assert!(!without.contains("<polygon"), "no band without spread");
        assert!(with.contains("<polygon"), "the band is drawn");
        assert!(
            largest_value_label(&with) >= 4_000.0,
            "the value axis reaches the spike: {:?}",
            axis_labels(&with)
        );
        assert!(
            largest_value_label(&without) < 200.0,
            "{:?}",
            axis_labels(&without)
        );
    }

    /// The text of every label.
    fn axis_labels(svg: &str) -> Vec<&str> {
        svg.split('>')
            .filter_map(|part| part.split('<').next())
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .collect()
    }

    /// The largest value-axis label ("2.0k" is 2,000; times, with colons, are skipped).
    fn largest_value_label(svg: &str) -> f64 {
        axis_labels(svg)
            .into_iter()
            .filter(|l| !l.contains(':'))
            .filter_map(|l| match l.strip_suffix('k') {
                Some(thousands) => thousands.parse::<f64>().ok().map(|v| v * 1000.0),
                None => l.parse::<f64>().ok(),
            })
            .fold(f64::NEG_INFINITY, f64::max)
    }

    #[test]
    fn a_chart_without_data_says_so() {
        let svg = render_line_chart(&spec(vec![])).unwrap();
        assert!(svg.contains("no data in this range"));
    }

    #[test]
    fn bad_requests_are_errors_not_panics() {
        let mut backwards = spec(queue());
        backwards.until = backwards.from;
        assert_eq!(render_line_chart(&backwards), Err(ChartError::EmptyRange));
        let mut tiny = spec(queue());
        tiny.width = 10;
        assert_eq!(render_line_chart(&tiny), Err(ChartError::TooSmall(10, 200)));
    }

    #[test]
    fn only_runs_beyond_the_threshold_are_breaches() {
        let threshold = Threshold {
            label: "t".into(),
            value: 5.0,
            breach: Some(Breach::Above),
        };
        let points = [
            (0, 1.0),
            (1, 6.0),
            (2, 7.0),
            (3, 1.0),
            (4, 9.0),
            (5, 8.0),
            (6, 8.5),
        ];
        let runs = breached_runs(&points, &threshold);
        assert_eq!(runs, vec![&points[1..3], &points[4..7]]);
        let below = Threshold {
            breach: Some(Breach::Below),
            ..threshold
        };
        assert_eq!(breached_runs(&points, &below), vec![&points[0..1]; 0]);
    }
}
