//! Range queries: the finest resolution that covers the range, at most N points, the
//! extremes of the raw data kept at every resolution, and breaker state intervals.

use std::time::Duration;

use chrono::DateTime;
use switchyard_core::model::{BreakerState, Transition, TransitionSource};
use switchyard_core::store::{
    BreakerInterval, RangeResult, Resolution, RetentionPolicy, Store, TimeRange,
};

use crate::store_support::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// One series, a random walk with two spikes, written through the writer.
async fn write_walk(store: &Store, start: i64, end: i64, step: i64, seed: u64) -> Vec<(i64, f64)> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut value = 100.0;
    let mut points = Vec::new();
    let mut t = start;
    while t < end {
        value += rng.f64() - 0.5;
        points.push((t, value));
        t += step;
    }
    let n = points.len();
    points[n / 3].1 = 10_000.0;
    points[n / 3 + 1].1 = -10_000.0;
    let writer = store.start_writer();
    for (t, v) in &points {
        writer.record(observation(
            "orders",
            DateTime::from_timestamp_millis(*t).unwrap(),
            &[("latency", *v)],
        ));
    }
    writer.finish().await;
    points
}

/// The "latency" series of "orders" over `range`, which the tests wrote.
async fn latency_range(store: &Store, range: TimeRange, max_points: usize) -> RangeResult {
    store
        .range("orders", "latency", range, max_points)
        .await
        .unwrap()
        .expect("the series was written")
}

fn extremes(points: &[(i64, f64)]) -> ((i64, f64), (i64, f64)) {
    let lo = *points.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let hi = *points.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    (lo, hi)
}

/// The lowest minimum and highest maximum over every point of a range result.
fn spread(result: &RangeResult) -> (f64, f64) {
    result
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.min), hi.max(p.max))
        })
}

/// Group means, minima and maxima straight from the raw points.
fn check_groups(result: &RangeResult, raw: &[(i64, f64)], range: TimeRange) {
    let group = result.group_ms.expect("roll-up results have groups");
    let width = match result.resolution {
        Resolution::Minute => MIN,
        Resolution::Hour => HOUR,
        Resolution::Raw => unreachable!(),
    };
    let origin = range.from_ms.div_euclid(width) * width;
    for point in &result.points {
        let inside: Vec<f64> = raw
            .iter()
            .filter(|(t, _)| *t >= point.t_ms && *t < point.t_ms + group && *t >= origin)
            .map(|p| p.1)
            .collect();
        assert!(
            !inside.is_empty(),
            "a point with no raw data at {}",
            point.t_ms
        );
        let mean = inside.iter().sum::<f64>() / inside.len() as f64;
        assert!(
            (point.value - mean).abs() < 1e-6 * mean.abs().max(1.0),
            "mean at {}",
            point.t_ms
        );
        assert_eq!(
            point.min,
            inside.iter().copied().fold(f64::INFINITY, f64::min)
        );
        assert_eq!(
            point.max,
            inside.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        );
    }
}

#[tokio::test]
async fn a_raw_range_is_downsampled_to_n_points_and_keeps_the_extremes() {
    let db = TestDb::new().await;
    let start = at(0).timestamp_millis();
    let raw = write_walk(&db.store, start, start + 3 * HOUR, 1000, 11).await;
    let range = TimeRange {
        from_ms: start,
        to_ms: start + 3 * HOUR,
    };
    let result = latency_range(&db.store, range, 1_500).await;
    assert_eq!(result.resolution, Resolution::Raw);
    assert!(result.points.len() <= 1_500 && result.points.len() > 1_000);
    let got: Vec<(i64, f64)> = result.points.iter().map(|p| (p.t_ms, p.value)).collect();
    let (lo, hi) = extremes(&raw);
    assert!(
        got.contains(&lo) && got.contains(&hi),
        "both spikes are kept"
    );
    assert_eq!(got[0], raw[0]);
    assert_eq!(*got.last().unwrap(), *raw.last().unwrap());
    assert!(got.iter().all(|p| raw.contains(p)), "only real samples");

    // A short range comes back whole.
    let short = TimeRange {
        from_ms: start + HOUR,
        to_ms: start + HOUR + 59_000,
    };
    let result = latency_range(&db.store, short, 1_500).await;
    assert_eq!(result.points.len(), 60);
    assert!(db
        .store
        .range("orders", "nope", range, 10)
        .await
        .unwrap()
        .is_none());
    db.store.close().await;
}

#[tokio::test]
async fn older_ranges_come_from_rollups_with_exact_groups_and_extremes() {
    let db = TestDb::new().await;
    let start = at(0).timestamp_millis();
    let now = start + 3 * DAY;
    let raw = write_walk(&db.store, start, now, 10_000, 12).await;
    let mut policy = RetentionPolicy {
        raw: Duration::from_secs(3600),
        ..RetentionPolicy::default()
    };
    db.store
        .run_maintenance(DateTime::from_timestamp_millis(now).unwrap(), &policy)
        .await
        .unwrap();

    // Three days: raw no longer reaches back, the minute roll-ups do.
    let range = TimeRange {
        from_ms: start,
        to_ms: now,
    };
    let result = latency_range(&db.store, range, 500).await;
    assert_eq!(result.resolution, Resolution::Minute);
    assert!(
        result.points.len() <= 500 && result.points.len() > 400,
        "{}",
        result.points.len()
    );
    check_groups(&result, &raw, range);
    let (lo, hi) = extremes(&raw);
    assert_eq!(spread(&result), (lo.1, hi.1));
    // What a chart draws: the means as the line, each group's spread as the band.
    let band = result.envelope();
    assert_eq!(band.len(), result.points.len());
    assert!(band.iter().any(|&(_, _, top)| top == hi.1));
    assert!(band.iter().any(|&(_, bottom, _)| bottom == lo.1));
    assert_eq!(result.line().len(), result.points.len());
    // The newest samples, not yet rolled up, are in the last point.
    let last = result.points.last().unwrap();
    assert!(last.t_ms + result.group_ms.unwrap() > raw.last().unwrap().0);

    // The last half hour: raw.
    let recent = TimeRange {
        from_ms: now - 30 * MIN,
        to_ms: now,
    };
    let result = latency_range(&db.store, recent, 1_500).await;
    assert_eq!(result.resolution, Resolution::Raw);
    assert_eq!(result.points.len(), 180);
    assert!(result.envelope().is_empty(), "raw samples have no spread");

    // Keep minutes for a day only: three days now come from the hourly roll-ups.
    policy.minute = Duration::from_secs(86_400);
    db.store
        .run_maintenance(DateTime::from_timestamp_millis(now).unwrap(), &policy)
        .await
        .unwrap();
    let result = latency_range(&db.store, range, 500).await;
    assert_eq!(result.resolution, Resolution::Hour);
    assert_eq!(result.group_ms, Some(HOUR));
    assert_eq!(result.points.len(), 72);
    check_groups(&result, &raw, range);
    assert_eq!(spread(&result), (lo.1, hi.1));
    db.store.close().await;
}

/// Three minutes after launch, a 15-minute chart: the raw samples hold all the data there
/// is, so they answer, not the 1-minute roll-ups (which would give 3 or 4 points).
#[tokio::test]
async fn a_range_longer_than_the_series_age_uses_the_raw_samples_that_hold_it_all() {
    let db = TestDb::new().await;
    // Launched 7.3 s into a minute, a sample every 2.5 s for 3 minutes.
    let start = at(7_300).timestamp_millis();
    let now = start + 3 * MIN;
    let raw = write_walk(&db.store, start, now, 2_500, 13).await;
    assert_eq!(raw.len(), 72);
    db.store
        .run_maintenance(
            DateTime::from_timestamp_millis(now).unwrap(),
            &RetentionPolicy::default(),
        )
        .await
        .unwrap();
    let range = TimeRange {
        from_ms: now - 15 * MIN,
        to_ms: now,
    };
    let result = latency_range(&db.store, range, 500).await;
    assert_eq!(result.resolution, Resolution::Raw);
    assert_eq!(result.points.len(), raw.len());
    db.store.close().await;
}

/// Names come back in natural order (svc2 before svc10): services, series, breaker
/// intervals and breaker states, which the CLI, the snapshot and the board print as is.
#[tokio::test]
async fn names_come_back_in_natural_order() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    for service in ["svc10", "svc2", "svc1"] {
        writer.record(observation(
            service,
            at(0),
            &[("queue10.depth", 1.0), ("queue2.depth", 2.0)],
        ));
    }
    let change = |breaker: &str, s: i64| Transition {
        breaker: breaker.into(),
        from: Some(BreakerState::Closed),
        to: BreakerState::Open,
        at: at(s * 1000),
        source: TransitionSource::Poll,
        reason: None,
    };
    writer.record_transitions(
        "svc2",
        "breaker-registry",
        vec![change("pool10", 1), change("pool2", 2), change("pool1", 3)],
    );
    writer.finish().await;
    assert_eq!(
        db.store.service_names().await.unwrap(),
        ["svc1", "svc2", "svc10"]
    );
    assert_eq!(
        db.store.series_names("svc2").await.unwrap(),
        ["queue2.depth", "queue10.depth"]
    );
    let intervals = db
        .store
        .breaker_intervals("svc2", TimeRange::all())
        .await
        .unwrap();
    let mut names: Vec<&str> = intervals.iter().map(|i| i.breaker.as_str()).collect();
    names.dedup();
    assert_eq!(names, ["pool1", "pool2", "pool10"]);
    let states = db.store.breaker_states().await.unwrap();
    let names: Vec<&str> = states.iter().map(|b| b.breaker.as_str()).collect();
    assert_eq!(names, ["pool1", "pool2", "pool10"]);
    db.store.close().await;
}

#[tokio::test]
async fn breaker_intervals_cover_the_range_from_the_state_before_it() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    let t = |s: i64| at(s * 1000);
    let change = |breaker: &str, from: BreakerState, to: BreakerState, s: i64| Transition {
        breaker: breaker.into(),
        from: Some(from),
        to,
        at: t(s),
        source: TransitionSource::Poll,
        reason: None,
    };
    use BreakerState::*;
    writer.record_transitions(
        "orders",
        "breaker-registry",
        vec![
            change("db", Closed, Open, 10),
            change("db", Open, HalfOpen, 40),
            change("db", HalfOpen, Closed, 50),
            change("cache", Closed, Open, 100),
        ],
    );
    writer.finish().await;

    let range = TimeRange {
        from_ms: t(20).timestamp_millis(),
        to_ms: t(200).timestamp_millis(),
    };
    let intervals = db.store.breaker_intervals("orders", range).await.unwrap();
    let ms = |s: i64| t(s).timestamp_millis();
    let interval = |breaker: &str, state: &str, a: i64, b: i64| BreakerInterval {
        breaker: breaker.into(),
        state: state.into(),
        start_ms: ms(a),
        end_ms: ms(b),
    };
    assert_eq!(
        intervals,
        [
            // Before its first transition the cache breaker was closed.
            interval("cache", "closed", 20, 100),
            interval("cache", "open", 100, 200),
            interval("db", "open", 20, 40),
            interval("db", "half_open", 40, 50),
            interval("db", "closed", 50, 200),
        ]
    );
    db.store.close().await;
}

#[tokio::test]
async fn raw_samples_come_back_bit_for_bit() {
    // The raw range is read as text built by SQLite (see `Store::raw_samples`): every
    // double must survive the round trip, not just the ones that print short.
    let db = TestDb::new().await;
    let start = at(0).timestamp_millis();
    let mut written = write_walk(&db.store, start, start + 2 * HOUR, 1000, 29).await;
    written.sort_by_key(|p| p.0);
    let series = db
        .store
        .series_id("orders", "latency")
        .await
        .unwrap()
        .unwrap();
    let read = db
        .store
        .raw_samples(
            series,
            TimeRange {
                from_ms: start,
                to_ms: start + 2 * HOUR,
            },
        )
        .await
        .unwrap();
    assert_eq!(read.len(), written.len());
    for (got, want) in read.iter().zip(&written) {
        assert_eq!(got.0, want.0);
        assert_eq!(
            got.1.to_bits(),
            want.1.to_bits(),
            "value at {} changed",
            want.0
        );
    }
}

#[tokio::test]
async fn range_reads_beside_the_writer_see_each_commit_at_once_and_whole() {
    // The bulk reads go through their own read-only connections, kept between reads: a
    // connection that held on to an old snapshot would show stale history. Each round
    // is flushed, then read back at once, while a second reader reads all along.
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    writer.record(observation("orders", at(0), &[("depth", 0.0)]));
    writer.flush().await.unwrap();
    let id = db
        .store
        .series_id("orders", "depth")
        .await
        .unwrap()
        .unwrap();

    let store = db.store.clone();
    let stop = tokio_util::sync::CancellationToken::new();
    let background = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut reads = 0;
            while !stop.is_cancelled() {
                let seen = store.raw_samples(id, TimeRange::all()).await.unwrap();
                // Whole batches only, in order: 0, 1, 2, … with no gap.
                for (i, (t, v)) in seen.iter().enumerate() {
                    assert_eq!(
                        (*t, *v),
                        (at(i as i64 * 1_000).timestamp_millis(), i as f64)
                    );
                }
                reads += 1;
                tokio::task::yield_now().await;
            }
            reads
        })
    };

    let mut written = 1;
    for _ in 0..40 {
        for _ in 0..25 {
            writer.record(observation(
                "orders",
                at(written * 1_000),
                &[("depth", written as f64)],
            ));
            written += 1;
        }
        writer.flush().await.unwrap();
        let seen = db.store.raw_samples(id, TimeRange::all()).await.unwrap();
        assert_eq!(
            seen.len() as i64,
            written,
            "a flushed batch is read at once"
        );
        let range = db.store.range_of(id, TimeRange::all(), 50).await.unwrap();
        assert_eq!(
            range.points.last().map(|p| p.value),
            Some((written - 1) as f64)
        );
    }
    stop.cancel();
    let reads = background.await.unwrap();
    assert!(reads > 0);
    writer.finish().await;
}
