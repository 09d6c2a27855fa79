//! A chart's points from an engine (`query_range`), for a range that reaches past the
//! local history. The step follows the rule every engine accepts (docs/contracts.md,
//! "Engines"): `max(scrape interval, range / pixels, range / 11000)`, so no series has
//! more points than the chart has pixels nor more than the 11,000 Prometheus allows
//! (VictoriaMetrics would allow 30,000: clamping to 11,000 makes every engine behave
//! alike); `start` and `end` are aligned to a multiple of the step, so the same chart
//! asked twice asks the same query (Mimir caches only aligned ones).

use std::time::Duration;

use super::api::{Answer, EngineApi, QueryError, RangeSeries};

/// Prometheus refuses more points per series than this.
pub const MAX_POINTS: f64 = 11_000.0;

/// The step of a chart `range` long, `pixels` wide, of series scraped every `scrape`:
/// whole seconds, at least one.
pub fn step_for(range: Duration, pixels: u32, scrape: Duration) -> Duration {
    let range = range.as_secs_f64();
    let step = scrape
        .as_secs_f64()
        .max(range / f64::from(pixels.max(1)))
        .max(range / MAX_POINTS);
    Duration::from_secs(step.ceil().max(1.0) as u64)
}

/// `start` rounded down and `end` rounded up to multiples of `step` (unix seconds).
pub fn aligned(start: f64, end: f64, step: Duration) -> (f64, f64) {
    let step = step.as_secs_f64();
    ((start / step).floor() * step, (end / step).ceil() * step)
}

/// The points of `promql` from `start` to `end` (unix seconds) for a chart `pixels`
/// wide: the step by [`step_for`], the ends aligned to it.
pub async fn read_range(
    api: &EngineApi,
    promql: &str,
    start: f64,
    end: f64,
    pixels: u32,
    scrape: Duration,
) -> Result<Answer<RangeSeries>, QueryError> {
    let range = Duration::from_secs_f64((end - start).max(0.0));
    let step = step_for(range, pixels, scrape);
    let (start, end) = aligned(start, end, step);
    api.query_range(promql, start, end, step).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn the_step_is_the_largest_of_scrape_pixels_and_the_point_cap() {
        let scrape = Duration::from_secs(15);
        // 30 days on 1,000 pixels: one point per pixel.
        assert_eq!(
            step_for(Duration::from_secs(30 * DAY), 1000, scrape),
            Duration::from_secs(2592)
        );
        // An hour on 1,000 pixels would be 3.6 s: never finer than the scrapes.
        assert_eq!(step_for(Duration::from_secs(3600), 1000, scrape), scrape);
        // A year on a 100,000-pixel export: clamped to 11,000 points.
        let year = Duration::from_secs(365 * DAY);
        let step = step_for(year, 100_000, scrape);
        assert!(year.as_secs_f64() / step.as_secs_f64() <= MAX_POINTS);
        assert_eq!(step, Duration::from_secs(2867));
    }

    #[test]
    fn ends_are_aligned_outwards_to_the_step() {
        let step = Duration::from_secs(60);
        assert_eq!(
            aligned(1_000_030.5, 1_000_100.0, step),
            (1_000_020.0, 1_000_140.0)
        );
        assert_eq!(aligned(120.0, 180.0, step), (120.0, 180.0));
    }
}
