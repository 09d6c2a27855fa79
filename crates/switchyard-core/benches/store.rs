//! The history store's speed and size: samples per second through the writer, a day of
//! raw 1 s samples downsampled to 1,500 points, thirty days from the 1-minute roll-ups
//! to 1,500 points (both also while the writer writes), how long a maintenance pass makes the writer wait, and the file size
//! after a simulated year: of 100 series at 1 s (written in bulk), and of the demo
//! fleet through the writer and maintenance.
//!
//! Run: `cargo bench -p switchyard-core --bench store -- --warm-up-time 1 --measurement-time 3`
//! (the write-stall and the two year simulations run once each, after the timed
//! benchmarks, unless a filter that does not match them is given; the demo fleet's
//! year alone takes about 17 minutes).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, Criterion, Throughput};
use sqlx::{Connection, SqliteConnection};
use switchyard_core::model::{Observation, Reachability, Sample};
use switchyard_core::store::{RetentionPolicy, Store, TimeRange, WriterOptions};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn observation(service: &str, at: DateTime<Utc>, series: &[String], value: f64) -> Observation {
    let mut o: Observation = serde_json::from_value(serde_json::json!({
        "service": service,
        "profile": "health-contract",
        "observed_at": at,
        "reachability": { "kind": "reachable", "latency_ms": 2.0 },
        "health": { "status": "ok" },
    }))
    .expect("an observation");
    o.reachability = Reachability::Reachable { latency_ms: 2.0 };
    o.samples = series
        .iter()
        .enumerate()
        .map(|(i, name)| Sample {
            series: name.clone(),
            value: value + i as f64,
        })
        .collect();
    o
}

/// Samples per second through `StoreWriter::record`: 1,000 poll rounds of 100 samples
/// each (100,000 samples), from the first record to the commit of the last.
fn ingest(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = rt
        .block_on(Store::open(&dir.path().join("ingest.db")))
        .expect("open");
    let series: Vec<String> = (0..100).map(|i| format!("metric.{i}")).collect();
    let rounds: i64 = 1_000;
    let mut offset = 0i64;
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(rounds as u64 * 100));
    group.bench_function("ingest_100k_samples", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                // Built before the clock starts: the benchmark is the writer, not serde.
                let batch: Vec<Observation> = (0..rounds)
                    .map(|r| {
                        let at = start() + chrono::Duration::milliseconds((offset + r) * SECOND);
                        observation("bench", at, &series, r as f64)
                    })
                    .collect();
                offset += rounds;
                total += rt.block_on(async {
                    let began = Instant::now();
                    let writer = store.start_writer_with(WriterOptions {
                        queue_samples: 1_000_000,
                        ..WriterOptions::default()
                    });
                    for o in batch {
                        writer.record(o);
                    }
                    let stats = writer.finish().await;
                    assert_eq!(stats.dropped_samples, 0);
                    began.elapsed()
                });
            }
            total
        })
    });
    group.finish();
    rt.block_on(store.close());
}

async fn raw_connection(path: &Path) -> SqliteConnection {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Off);
    SqliteConnection::connect_with(&options)
        .await
        .expect("connect")
}

/// Creates `count` series of service `fleet` and returns their ids.
async fn make_series(c: &mut SqliteConnection, count: usize) -> Vec<i64> {
    sqlx::query("INSERT OR IGNORE INTO services (id, name, profile) VALUES (1, 'fleet', 'sim')")
        .execute(&mut *c)
        .await
        .expect("service");
    let mut ids = Vec::new();
    for i in 0..count {
        let id: i64 =
            sqlx::query_scalar("INSERT INTO series (service_id, name) VALUES (1, ?) RETURNING id")
                .bind(format!("metric.{i}"))
                .fetch_one(&mut *c)
                .await
                .expect("series");
        ids.push(id);
    }
    ids
}

/// Bulk raw samples for `series` from `from` to `to` every `step`, values a random walk.
async fn bulk_raw(c: &mut SqliteConnection, series: &[i64], from: i64, to: i64, step: i64) {
    let mut rng = fastrand::Rng::with_seed(1);
    let mut tx = c.begin().await.expect("begin");
    const ROWS: usize = 300;
    let sql = format!(
        "INSERT INTO samples (series_id, t_ms, value) VALUES {}",
        vec!["(?,?,?)"; ROWS].join(",")
    );
    for &id in series {
        let mut value = 50.0;
        let mut t = from;
        let mut pending: Vec<(i64, f64)> = Vec::with_capacity(ROWS);
        while t < to {
            value += rng.f64() - 0.5;
            pending.push((t, value));
            if pending.len() == ROWS {
                let mut q = sqlx::query(&sql);
                for (t, v) in pending.drain(..) {
                    q = q.bind(id).bind(t).bind(v);
                }
                q.execute(&mut *tx).await.expect("insert");
            }
            t += step;
        }
        for (t, v) in pending {
            sqlx::query("INSERT INTO samples (series_id, t_ms, value) VALUES (?,?,?)")
                .bind(id)
                .bind(t)
                .bind(v)
                .execute(&mut *tx)
                .await
                .expect("insert");
        }
    }
    tx.commit().await.expect("commit");
}

/// Bulk roll-up buckets of `width` for `series` over `[from, to)`.
async fn bulk_rollup(
    c: &mut SqliteConnection,
    table: &str,
    series: &[i64],
    from: i64,
    to: i64,
    width: i64,
) {
    let mut rng = fastrand::Rng::with_seed(2);
    let mut tx = c.begin().await.expect("begin");
    const ROWS: usize = 100;
    let sql = format!(
        "INSERT INTO {table} (series_id, bucket_ms, min, max, sum, last, count) VALUES {}",
        vec!["(?,?,?,?,?,?,?)"; ROWS].join(",")
    );
    let per_bucket = width / SECOND;
    for &id in series {
        let mut bucket = from;
        let mut pending = Vec::with_capacity(ROWS);
        while bucket < to {
            let mean = 50.0 + rng.f64() * 10.0;
            pending.push((
                bucket,
                mean - rng.f64(),
                mean + rng.f64(),
                mean * per_bucket as f64,
                mean,
            ));
            if pending.len() == ROWS {
                let mut q = sqlx::query(&sql);
                for (b, min, max, sum, last) in pending.drain(..) {
                    q = q
                        .bind(id)
                        .bind(b)
                        .bind(min)
                        .bind(max)
                        .bind(sum)
                        .bind(last)
                        .bind(per_bucket);
                }
                q.execute(&mut *tx).await.expect("insert");
            }
            bucket += width;
        }
        for (b, min, max, sum, last) in pending {
            sqlx::query(&format!(
                "INSERT INTO {table} (series_id, bucket_ms, min, max, sum, last, count) VALUES (?,?,?,?,?,?,?)"
            ))
            .bind(id)
            .bind(b)
            .bind(min)
            .bind(max)
            .bind(sum)
            .bind(last)
            .bind(per_bucket)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
    }
    tx.commit().await.expect("commit");
}

async fn set_progress(c: &mut SqliteConnection, minute: i64, hour: i64) {
    sqlx::query("INSERT OR REPLACE INTO rollup_progress VALUES ('1m', ?), ('1h', ?)")
        .bind(minute)
        .bind(hour)
        .execute(&mut *c)
        .await
        .expect("progress");
}

/// 24 h of one series at 1 s (86,400 raw samples) to 1,500 points; 30 days of the same
/// series from the 1-minute roll-ups (43,200 buckets) to 1,500 points.
fn ranges(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ranges.db");
    let now = start().timestamp_millis() + 31 * DAY;
    let store = rt.block_on(async {
        let store = Store::open(&path).await.expect("open");
        let mut c = raw_connection(&path).await;
        let ids = make_series(&mut c, 2).await;
        // Series 1: a day of raw. Series 2: thirty days of minutes, the last hour raw.
        bulk_raw(&mut c, &ids[..1], now - DAY, now, SECOND).await;
        bulk_rollup(
            &mut c,
            "rollup_1m",
            &ids[1..],
            now - 30 * DAY,
            now - HOUR,
            MINUTE,
        )
        .await;
        bulk_raw(&mut c, &ids[1..], now - HOUR, now, SECOND).await;
        set_progress(&mut c, now - HOUR, now - 30 * DAY).await;
        c.close().await.expect("close");
        store
    });
    let mut group = c.benchmark_group("store");
    group.bench_function("range_24h_raw_1s_to_1500", |b| {
        b.iter(|| rt.block_on(day_of_raw(&store, now)))
    });
    group.bench_function("range_30d_rollup_1m_to_1500", |b| {
        b.iter(|| rt.block_on(month_of_rollups(&store, now)))
    });
    // The same while the writer takes 1,000 samples a second (a round of 100 every
    // 100 ms), as the app does while an engineer looks at the charts.
    let stop = tokio_util::sync::CancellationToken::new();
    let background = {
        let store = store.clone();
        let stop = stop.clone();
        let series: Vec<String> = (0..100).map(|i| format!("busy.{i}")).collect();
        rt.spawn(async move {
            let writer = store.start_writer();
            let mut every = tokio::time::interval(Duration::from_millis(100));
            let mut t = now;
            while !stop.is_cancelled() {
                every.tick().await;
                t += 100;
                let at = DateTime::from_timestamp_millis(t).expect("a time");
                writer.record(observation("busy", at, &series, 1.0));
            }
            writer.finish().await
        })
    };
    group.bench_function("range_24h_raw_1s_to_1500_while_writing", |b| {
        b.iter(|| rt.block_on(day_of_raw(&store, now)))
    });
    group.bench_function("range_30d_rollup_1m_to_1500_while_writing", |b| {
        b.iter(|| rt.block_on(month_of_rollups(&store, now)))
    });
    stop.cancel();
    let written = rt.block_on(background).expect("the writer task");
    assert!(
        written.samples_written > 0 && written.dropped == 0,
        "{written:?}"
    );
    group.finish();
    rt.block_on(store.close());
}

/// 24 h of `metric.0` (raw, 1 s) to 1,500 points.
async fn day_of_raw(store: &Store, now: i64) -> switchyard_core::store::RangeResult {
    let range = TimeRange {
        from_ms: now - DAY,
        to_ms: now,
    };
    let r = store
        .range("fleet", "metric.0", range, 1_500)
        .await
        .expect("query")
        .expect("series");
    assert!(r.points.len() > 1_400 && r.points.len() <= 1_500);
    r
}

/// 30 days of `metric.1` (1-minute roll-ups, the last hour raw) to 1,500 points.
async fn month_of_rollups(store: &Store, now: i64) -> switchyard_core::store::RangeResult {
    let range = TimeRange {
        from_ms: now - 30 * DAY,
        to_ms: now,
    };
    let r = store
        .range("fleet", "metric.1", range, 1_500)
        .await
        .expect("query")
        .expect("series");
    assert!(r.points.len() > 1_000 && r.points.len() <= 1_500);
    r
}

/// A year of 100 series at 1 s at the default retention: what stays is 400 days of
/// hourly buckets (a year here), 30 days of minute buckets and 48 hours of raw samples,
/// written in bulk as the roll-ups would have left them; then a maintenance pass at the
/// year's end (which must find nothing to remove), a checkpoint, and the file size.
fn size_of_a_year() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("year.db");
    let year_end = start().timestamp_millis() + 365 * DAY;
    let began = Instant::now();
    let (report, bytes, pages) = rt.block_on(async {
        let store = Store::open(&path).await.expect("open");
        let mut c = raw_connection(&path).await;
        let ids = make_series(&mut c, 100).await;
        bulk_rollup(
            &mut c,
            "rollup_1h",
            &ids,
            year_end - 365 * DAY,
            year_end - HOUR,
            HOUR,
        )
        .await;
        bulk_rollup(
            &mut c,
            "rollup_1m",
            &ids,
            year_end - 30 * DAY,
            year_end - MINUTE,
            MINUTE,
        )
        .await;
        bulk_raw(&mut c, &ids, year_end - 2 * DAY, year_end, SECOND).await;
        set_progress(&mut c, year_end - MINUTE, year_end - HOUR).await;
        c.close().await.expect("close");
        let now = DateTime::from_timestamp_millis(year_end).expect("time");
        let report = store
            .run_maintenance(now, &RetentionPolicy::default())
            .await
            .expect("maintenance");
        store.close().await;
        let mut c = raw_connection(&path).await;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .expect("checkpoint");
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut c)
            .await
            .expect("pages");
        // Bytes per table and index, when SQLite was built with the dbstat table.
        let tables: Vec<(String, i64)> = sqlx::query_as(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6",
        )
        .fetch_all(&mut c)
        .await
        .unwrap_or_default();
        for (name, bytes) in tables {
            println!(
                "store/size_of_a_year: {name}: {:.1} MiB",
                bytes as f64 / 1048576.0
            );
        }
        c.close().await.expect("close");
        let bytes = std::fs::metadata(&path).expect("size").len();
        // What a start costs on this file: quick_check, migrations, pool.
        let opening = Instant::now();
        let (store, _) = Store::open_with_report(&path, &switchyard_core::clock::SystemClock)
            .await
            .expect("reopen");
        println!(
            "store/size_of_a_year: open with quick_check: {:.0?}",
            opening.elapsed()
        );
        store.close().await;
        (report, bytes, pages)
    });
    println!(
        "store/size_of_a_year: 100 series at 1 s, default retention: {:.1} MiB ({} pages); \
         raw 17,280,000 + 1m 4,319,900 + 1h 875,900 rows; written in {:.0?}; \
         maintenance at year end: {:?}",
        bytes as f64 / (1024.0 * 1024.0),
        pages,
        began.elapsed(),
        report
    );
}

/// How long maintenance makes the writer wait: 100 series with 6 h of raw samples at
/// 1 s and no roll-up yet (2.16 million rows), raw retention 2 h, so one pass rolls up
/// six hours of minutes and the hours, and prunes four hours of raw. Meanwhile a probe
/// records a poll round through the store's own writer every 2 ms and waits for its
/// commit (`flush`); each wait is recorded. The same probe runs alone first, for the
/// baseline.
fn maintenance_write_stall() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("stall.db");
    let now = start().timestamp_millis() + 6 * HOUR + MINUTE;
    rt.block_on(async {
        let store = Store::open(&path).await.expect("open");
        let mut c = raw_connection(&path).await;
        let ids = make_series(&mut c, 100).await;
        bulk_raw(&mut c, &ids, now - 6 * HOUR - MINUTE, now, SECOND).await;
        // Start from a checkpointed file, as the writer's checkpoints keep it.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut c)
            .await
            .expect("checkpoint");
        c.close().await.expect("close");
        let writer = store.start_writer();

        let baseline = probe_commits(&writer, now, 500, || false).await;
        let policy = RetentionPolicy {
            raw: Duration::from_secs(2 * 3600),
            ..RetentionPolicy::default()
        };
        let maintenance = {
            let store = store.clone();
            tokio::spawn(async move {
                let began = Instant::now();
                let report = store
                    .run_maintenance(DateTime::from_timestamp_millis(now).unwrap(), &policy)
                    .await
                    .expect("maintenance");
                (began.elapsed(), report)
            })
        };
        let during = probe_commits(&writer, now + HOUR, usize::MAX, || {
            maintenance.is_finished()
        })
        .await;
        let (took, report) = maintenance.await.expect("maintenance task");
        println!(
            "store/maintenance_write_stall: maintenance pass {took:?} ({report:?})\n  \
             probe commit wait alone:             {}\n  \
             probe commit wait under maintenance: {}",
            summary(baseline),
            summary(during)
        );
        writer.finish().await;
        store.close().await;
    });
}

/// Records one poll round of one sample every 2 ms and waits until the writer has
/// committed it, `count` times or until `done()`; returns each wait.
async fn probe_commits(
    writer: &switchyard_core::store::StoreWriter,
    from: i64,
    count: usize,
    done: impl Fn() -> bool,
) -> Vec<Duration> {
    let series = ["probe".to_string()];
    let mut waits = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    for i in 0..count {
        if done() {
            break;
        }
        tick.tick().await;
        let at = DateTime::from_timestamp_millis(from + i as i64).unwrap();
        let began = Instant::now();
        writer.record(observation("probe", at, &series, 1.0));
        writer.flush().await.expect("flush");
        waits.push(began.elapsed());
    }
    waits
}

fn summary(mut waits: Vec<Duration>) -> String {
    waits.sort();
    let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
    format!(
        "{} commits, median {:?}, p99 {:?}, max {:?}",
        waits.len(),
        at(0.5),
        at(0.99),
        waits[waits.len() - 1]
    )
}

/// A year of the demo fleet at default settings, through the real writer and the real
/// roll-ups and retention, on injected time: 8 services with the demo's 40 series
/// (counted from a `watch` of the fleet), default retention. The year is written at one
/// round a minute, then the last 48 hours at the default 5 s poll interval, so what
/// stands at the year's end is what a year at 5 s would leave (every minute and hour
/// bucket, 48 h of raw samples and health rows) at a twelfth of the writing.
/// Maintenance runs every simulated six hours; the file size is printed along the way
/// (after a truncating checkpoint) to show where it stops growing.
fn simulated_year_of_the_demo_fleet() {
    const SERIES_PER_SERVICE: [usize; 8] = [3, 3, 3, 3, 14, 13, 1, 0];
    const YEAR: i64 = 365 * DAY;
    const DENSE_FROM: i64 = YEAR - 2 * DAY;
    const MEASURE_AT_DAYS: [i64; 9] = [2, 7, 30, 31, 60, 120, 240, 363, 365];
    let services: Vec<(String, Vec<String>)> = SERIES_PER_SERVICE
        .iter()
        .enumerate()
        .map(|(s, &count)| {
            let series = (0..count).map(|i| format!("demo.metric_{i}")).collect();
            (format!("demo-service-{s}"), series)
        })
        .collect();
    let rt = runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo-year.db");
    let t0 = start().timestamp_millis();
    let at = |t: i64| DateTime::from_timestamp_millis(t0 + t).expect("a time");
    let began = Instant::now();
    rt.block_on(async {
        let store = Store::open(&path).await.expect("open");
        let writer = store.start_writer();
        let policy = RetentionPolicy::default();
        let mut rng = fastrand::Rng::with_seed(3);
        let mut value = 50.0;
        let mut next_maintenance = 6 * HOUR;
        let mut measures = MEASURE_AT_DAYS.iter().map(|d| d * DAY).peekable();
        let mut t = 0;
        let mut rounds = 0u64;
        while t <= YEAR {
            value += rng.f64() - 0.5;
            for (name, series) in &services {
                writer.record(observation(name, at(t), series, value));
            }
            rounds += 1;
            if rounds % 1_000 == 0 {
                writer.flush().await.expect("flush");
            }
            let measure = measures.peek().is_some_and(|&m| t >= m);
            if t >= next_maintenance || measure {
                writer.flush().await.expect("flush");
                store
                    .run_maintenance(at(t), &policy)
                    .await
                    .expect("maintenance");
                next_maintenance = t + 6 * HOUR;
            }
            if measure {
                measures.next();
                let mut c = raw_connection(&path).await;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&mut c)
                    .await
                    .expect("checkpoint");
                let counts: (i64, i64, i64, i64) = sqlx::query_as(
                    "SELECT (SELECT count(*) FROM samples), (SELECT count(*) FROM rollup_1m),
                            (SELECT count(*) FROM rollup_1h),
                            (SELECT count(*) FROM health_observations)",
                )
                .fetch_one(&mut c)
                .await
                .expect("counts");
                c.close().await.expect("close");
                let bytes = std::fs::metadata(&path).expect("size").len();
                println!(
                    "store/simulated_year_of_the_demo_fleet: day {:>3}: {:>6.1} MiB \
                     (raw {}, 1m {}, 1h {}, health {}) after {:.0?}",
                    t / DAY,
                    bytes as f64 / 1048576.0,
                    counts.0,
                    counts.1,
                    counts.2,
                    counts.3,
                    began.elapsed()
                );
            }
            t += if t >= DENSE_FROM { 5 * SECOND } else { MINUTE };
        }
        let stats = writer.finish().await;
        assert_eq!(
            stats.dropped, 0,
            "the simulation must not outrun the writer"
        );
        println!(
            "store/simulated_year_of_the_demo_fleet: {} observations, {} samples written",
            stats.observations_written, stats.samples_written
        );
        store.close().await;
    });
}

criterion_group!(benches, ingest, ranges);

fn main() {
    benches();
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && a.parse::<f64>().is_err());
    if filter
        .as_ref()
        .is_none_or(|f| "store/simulated_year_of_the_demo_fleet".contains(f.as_str()))
    {
        simulated_year_of_the_demo_fleet();
    }
    if filter
        .as_ref()
        .is_none_or(|f| "store/maintenance_write_stall".contains(f.as_str()))
    {
        maintenance_write_stall();
    }
    if filter.is_none_or(|f| "store/size_of_a_year".contains(&f)) {
        size_of_a_year();
    }
    Criterion::default().configure_from_args().final_summary();
}
