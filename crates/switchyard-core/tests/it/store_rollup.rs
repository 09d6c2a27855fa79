//! Roll-ups and retention, driven by an injected clock: roll-up values equal a
//! brute-force computation over the same raw samples, and retention removes exactly
//! what is out of its window.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use switchyard_core::clock::Clock;
use switchyard_core::model::{BreakerState, Transition, TransitionSource};
use switchyard_core::store::{
    ActionIntent, AlertEvent, AlertState, Bucket, ManualClock, RetentionPolicy, Rollup, Store,
    StreamStateChange, TimeRange,
};

use crate::store_support::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// (series name, t_ms, value) written through the real writer, one round per time.
async fn write_samples(store: &Store, samples: &[(String, i64, f64)]) {
    let writer = store.start_writer();
    let mut by_time: BTreeMap<i64, Vec<(String, f64)>> = BTreeMap::new();
    for (series, t, value) in samples {
        by_time
            .entry(*t)
            .or_default()
            .push((series.clone(), *value));
    }
    for (t, values) in by_time {
        let refs: Vec<(&str, f64)> = values.iter().map(|(s, v)| (s.as_str(), *v)).collect();
        writer.record(observation(
            "orders",
            DateTime::from_timestamp_millis(t).unwrap(),
            &refs,
        ));
    }
    let stats = writer.finish().await;
    assert_eq!(stats.samples_written as usize, samples.len());
}

/// The buckets, computed the obvious way.
fn brute_force(samples: &[(String, i64, f64)], width: i64) -> BTreeMap<(String, i64), Bucket> {
    let mut out: BTreeMap<(String, i64), (Bucket, i64)> = BTreeMap::new();
    for (series, t, value) in samples {
        let start = t.div_euclid(width) * width;
        let entry = out.entry((series.clone(), start)).or_insert((
            Bucket {
                series_id: 0,
                bucket_ms: start,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                sum: 0.0,
                last: 0.0,
                count: 0,
            },
            i64::MIN,
        ));
        let (bucket, last_t) = entry;
        bucket.min = bucket.min.min(*value);
        bucket.max = bucket.max.max(*value);
        bucket.sum += value;
        bucket.count += 1;
        if *t > *last_t {
            *last_t = *t;
            bucket.last = *value;
        }
    }
    out.into_iter().map(|(k, (b, _))| (k, b)).collect()
}

async fn stored(store: &Store, series: &str, rollup: Rollup) -> BTreeMap<(String, i64), Bucket> {
    let id = store
        .series_id("orders", series)
        .await
        .unwrap()
        .expect("series exists");
    store
        .rollup_buckets(id, rollup, TimeRange::all())
        .await
        .unwrap()
        .into_iter()
        .map(|mut b| {
            b.series_id = 0;
            ((series.to_string(), b.bucket_ms), b)
        })
        .collect()
}

#[tokio::test]
async fn rollups_equal_a_brute_force_computation_on_the_same_raw_data() {
    let db = TestDb::new().await;
    let mut rng = fastrand::Rng::with_seed(5);
    let t0 = at(0).timestamp_millis();
    let end = t0 + 3 * HOUR + 7 * MIN;
    // Thirty series: a ten-minute step then holds more buckets than one write turn
    // takes, so the step is written in several transactions.
    let names: Vec<String> = (0..30).map(|i| format!("s{i}")).collect();
    let mut samples = Vec::new();
    let mut t = t0 - 13_000; // starts mid-minute, before an hour boundary
    while t < end {
        for name in &names {
            // Irregular: each series misses some rounds, and "s1" a whole quarter hour.
            let gap = name == "s1" && (t - t0) / MIN >= 30 && (t - t0) / MIN < 45;
            if !gap && rng.u8(..) < 200 {
                // Integers, so sums are exact whatever the order of addition.
                samples.push((name.clone(), t, f64::from(rng.i32(-1000..1000))));
            }
        }
        t += rng.i64(1_000..15_000);
    }
    write_samples(&db.store, &samples).await;

    // Part way first, then the rest: the incremental steps must not double or miss.
    let clock = ManualClock::new(at(95 * MIN + 10_000));
    let policy = RetentionPolicy::default();
    let first = db
        .store
        .run_maintenance(clock.now(), &policy)
        .await
        .unwrap();
    assert!(
        first.minute_buckets > 0 && first.hour_buckets > 0,
        "{first:?}"
    );
    clock.set(DateTime::from_timestamp_millis(end + 2 * HOUR).unwrap());
    let second = db
        .store
        .run_maintenance(clock.now(), &policy)
        .await
        .unwrap();
    assert!(second.minute_buckets > 0, "{second:?}");
    assert_eq!(
        second.rows_deleted, 0,
        "nothing is out of the default windows"
    );

    for name in &names {
        let mine: Vec<_> = samples.iter().filter(|s| &s.0 == name).cloned().collect();
        let expected_minutes = brute_force(&mine, MIN);
        assert_eq!(
            stored(&db.store, name, Rollup::Minute).await,
            expected_minutes,
            "1m of {name}"
        );
        let expected_hours = brute_force(&mine, HOUR);
        assert_eq!(
            stored(&db.store, name, Rollup::Hour).await,
            expected_hours,
            "1h of {name}"
        );
    }
    db.store.close().await;
}

#[tokio::test]
async fn retention_removes_exactly_what_is_out_of_window() {
    let db = TestDb::new().await;
    let policy = RetentionPolicy {
        raw: Duration::from_secs(2 * 3600),
        minute: Duration::from_secs(86_400),
        hour: Duration::from_secs(3 * 86_400),
        events: Duration::from_secs(3 * 86_400),
    };
    let t0 = at(0).timestamp_millis();
    let now_ms = t0 + 5 * DAY;
    let raw_cutoff = now_ms - 2 * HOUR;
    let minute_cutoff = now_ms - DAY;
    let hour_cutoff = now_ms - 3 * DAY;
    let events_cutoff = now_ms - 3 * DAY;

    let mut samples = Vec::new();
    let mut t = t0;
    while t < now_ms {
        samples.push(("x".to_string(), t, ((t - t0) / MIN % 97) as f64));
        samples.push(("y".to_string(), t, -(((t - t0) / MIN) % 13) as f64));
        t += MIN;
    }
    // Right at the edge: one millisecond out, and exactly in.
    samples.push(("x".to_string(), raw_cutoff - 1, 5.0));
    assert!(samples.iter().any(|s| s.1 == raw_cutoff));
    write_samples(&db.store, &samples).await;

    let writer = db.store.start_writer();
    for (i, t) in [t0, events_cutoff - 1, events_cutoff, now_ms - HOUR]
        .into_iter()
        .enumerate()
    {
        let time = DateTime::from_timestamp_millis(t).unwrap();
        writer.record_transitions(
            "orders",
            "health-contract",
            vec![Transition {
                breaker: format!("b{i}"),
                from: Some(BreakerState::Closed),
                to: BreakerState::Open,
                at: time,
                source: TransitionSource::Poll,
                reason: None,
            }],
        );
        writer.record_alert(AlertEvent {
            rule: format!("r{i}"),
            service: "orders".into(),
            severity: "warning".into(),
            state: AlertState::Firing,
            value: None,
            at: time,
            subject: None,
            detail: None,
            silenced_until: None,
        });
        writer.record_stream_state(StreamStateChange {
            service: "orders".into(),
            stream: "/ws".into(),
            at: time,
            state: "connected".into(),
            detail: None,
        });
        writer
            .action_started(ActionIntent {
                at: time,
                operator: "alice".into(),
                service: "orders".into(),
                target: None,
                action: "clear_cache".into(),
                reason: None,
                override_checks: false,
                instance: None,
            })
            .await
            .unwrap();
    }
    writer.finish().await;

    let clock = Arc::new(ManualClock::new(
        DateTime::from_timestamp_millis(now_ms).unwrap(),
    ));
    let task = db.store.start_maintenance(clock.clone(), policy);
    let mut passes = task.passes();
    tokio::time::timeout(Duration::from_secs(60), passes.wait_for(|n| *n >= 1))
        .await
        .unwrap()
        .unwrap();
    task.stop().await;

    // Raw: exactly the samples at or after the cutoff.
    for name in ["x", "y"] {
        let id = db.store.series_id("orders", name).await.unwrap().unwrap();
        let kept = db.store.raw_samples(id, TimeRange::all()).await.unwrap();
        let expected: Vec<(i64, f64)> = samples
            .iter()
            .filter(|s| s.0 == name && s.1 >= raw_cutoff)
            .map(|s| (s.1, s.2))
            .collect();
        assert_eq!(kept, expected, "raw of {name}");

        let mine: Vec<_> = samples.iter().filter(|s| s.0 == name).cloned().collect();
        let done_1m = (now_ms - 30_000).div_euclid(MIN) * MIN;
        let done_1h = done_1m.div_euclid(HOUR) * HOUR;
        let expected: BTreeMap<_, _> = brute_force(&mine, MIN)
            .into_iter()
            .filter(|((_, b), _)| *b >= minute_cutoff && *b < done_1m)
            .collect();
        assert_eq!(
            stored(&db.store, name, Rollup::Minute).await,
            expected,
            "1m of {name}"
        );
        let expected: BTreeMap<_, _> = brute_force(&mine, HOUR)
            .into_iter()
            .filter(|((_, b), _)| *b >= hour_cutoff && *b < done_1h)
            .collect();
        assert_eq!(
            stored(&db.store, name, Rollup::Hour).await,
            expected,
            "1h of {name}"
        );
    }

    let all = TimeRange::all();
    let kept_events = [events_cutoff, now_ms - HOUR];
    let times = |v: Vec<i64>| assert_eq!(v, kept_events);
    times(
        db.store
            .transitions_between(None, all)
            .await
            .unwrap()
            .iter()
            .map(|r| r.at_ms)
            .collect(),
    );
    times(
        db.store
            .alerts_between(None, all)
            .await
            .unwrap()
            .iter()
            .map(|r| r.at_ms)
            .collect(),
    );
    times(
        db.store
            .actions_between(None, all)
            .await
            .unwrap()
            .iter()
            .map(|r| r.at_ms)
            .collect(),
    );
    times(
        db.store
            .stream_states_between(None, all)
            .await
            .unwrap()
            .iter()
            .map(|r| r.at_ms)
            .collect(),
    );
    let health = db.store.health_history("orders", at(-DAY)).await.unwrap();
    let expected_rounds = samples
        .iter()
        .filter(|s| s.0 == "x" && s.1 >= raw_cutoff)
        .count();
    assert_eq!(health.len(), expected_rounds);
    assert!(health.iter().all(|h| h.observed_at_ms >= raw_cutoff));

    // A second pass at the same time finds nothing left to do.
    let again = db
        .store
        .run_maintenance(clock.now(), &policy)
        .await
        .unwrap();
    assert_eq!(again.rows_deleted, 0);
    assert_eq!(again.minute_buckets + again.hour_buckets, 0);
    db.store.close().await;
}
