//! A sparkline: one polyline, no axes, in the current text colour, so a tile shows the
//! last minutes' shape at a glance. Drawn as a few hundred bytes of SVG by hand: plotters'
//! axes and margins are all a sparkline does not want.

use std::fmt::Write;

/// Draws `points` (ms, value) across `from_ms..to_ms` in a `width`×`height` box.
pub fn sparkline(
    points: &[(i64, f64)],
    from_ms: i64,
    to_ms: i64,
    width: u32,
    height: u32,
) -> String {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#
    );
    let finite: Vec<(i64, f64)> = points.iter().copied().filter(|p| p.1.is_finite()).collect();
    if finite.len() >= 2 && to_ms > from_ms {
        let low = finite.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let high = finite.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let span = if high > low { high - low } else { 1.0 };
        let mut path = String::new();
        for (index, (t, v)) in finite.iter().enumerate() {
            let x = (t - from_ms) as f64 / (to_ms - from_ms) as f64 * w;
            // A flat line sits in the middle; otherwise keep a pixel clear of the edges.
            let y = if high > low {
                1.0 + (1.0 - (v - low) / span) * (h - 2.0)
            } else {
                h / 2.0
            };
            let _ = write!(path, "{}{x:.1},{y:.1}", if index == 0 { "M" } else { " L" });
        }
        let _ = write!(
            svg,
            r#"<path d="{path}" fill="none" stroke="currentColor" stroke-width="1.5"/>"#
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_spans_the_box_and_keeps_extremes_inside() {
        let svg = sparkline(&[(0, 1.0), (50, 3.0), (100, 2.0)], 0, 100, 100, 20);
        assert!(
            svg.contains(r#"d="M0.0,19.0 L50.0,1.0 L100.0,10.0""#),
            "{svg}"
        );
    }

    #[test]
    fn too_few_points_draw_an_empty_box() {
        assert!(!sparkline(&[(0, 1.0)], 0, 100, 100, 20).contains("<path"));
        assert!(
            sparkline(&[(0, 2.0), (10, 2.0)], 0, 100, 100, 20).contains(",10.0"),
            "a flat line in the middle"
        );
    }
}
