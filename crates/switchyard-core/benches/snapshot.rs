//! Incident snapshot export (issue 9): one hour of 20 services polled every second (3
//! series each, 216,000 samples, 72,000 health rounds, a few transitions, alerts and
//! actions per service), gathered from a real SQLite file, rendered as HTML and JSON.
//! Target: under 2 s. The zip with PNG charts is measured separately.
//!
//! Run: `cargo bench -p switchyard-core --bench snapshot -- --warm-up-time 1 --measurement-time 10`

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use switchyard_core::model::{BreakerState, Observation, Sample, Transition, TransitionSource};
use switchyard_core::snapshot::{self, SnapshotRequest};
use switchyard_core::store::{AlertEvent, AlertState, Store, WriterOptions};

const SERVICES: usize = 20;
const SECONDS: i64 = 3_600;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .single()
        .expect("a valid time")
}

fn observation(service: &str, at: DateTime<Utc>, s: i64) -> Observation {
    let mut o: Observation = serde_json::from_value(serde_json::json!({
        "service": service,
        "profile": "health-contract",
        "observed_at": at,
        "reachability": { "kind": "reachable", "latency_ms": 3.0 },
        "health": { "status": "ok" },
    }))
    .expect("a minimal observation");
    let wave = ((s as f64) / 300.0).sin();
    o.samples = vec![
        Sample {
            series: "queue.depth".into(),
            value: 500.0 + wave * 300.0 + ((s * 7919) % 97) as f64,
        },
        Sample {
            series: "queue.capacity".into(),
            value: 1000.0,
        },
        Sample {
            series: "cache.hit_rate".into(),
            value: 0.85 + wave * 0.1,
        },
    ];
    o
}

async fn fill(store: &Store) {
    let writer = store.start_writer_with(WriterOptions {
        queue_samples: 1_000_000,
        ..WriterOptions::default()
    });
    let handle = writer.handle();
    for s in 0..SECONDS {
        let at = start() + Duration::seconds(s);
        for i in 0..SERVICES {
            handle.record(observation(&format!("service-{i:02}"), at, s));
        }
    }
    for i in 0..SERVICES {
        let name = format!("service-{i:02}");
        for (k, (from, to)) in [
            (BreakerState::Closed, BreakerState::Open),
            (BreakerState::Open, BreakerState::HalfOpen),
            (BreakerState::HalfOpen, BreakerState::Closed),
        ]
        .into_iter()
        .enumerate()
        {
            handle.record_transitions(
                &name,
                "health-contract",
                vec![Transition {
                    breaker: "db".into(),
                    from: Some(from),
                    to,
                    at: start() + Duration::seconds(600 + 600 * k as i64 + i as i64),
                    source: TransitionSource::Poll,
                    reason: None,
                }],
            );
        }
        for (k, state) in [AlertState::Firing, AlertState::Resolved]
            .into_iter()
            .enumerate()
        {
            handle.record_alert(AlertEvent {
                rule: "queue-high".into(),
                service: name.clone(),
                severity: "warning".into(),
                state,
                value: Some(900.0),
                at: start() + Duration::seconds(700 + 900 * k as i64),
                subject: Some("queue.depth".into()),
                detail: None,
                silenced_until: None,
            });
        }
    }
    writer.finish().await;
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = runtime.block_on(async {
        let store = Store::open(&dir.path().join("history.db"))
            .await
            .expect("the store opens");
        fill(&store).await;
        store
    });
    let request = SnapshotRequest {
        since: start(),
        until: start() + Duration::seconds(SECONDS),
        services: None,
    };
    let until = request.until;
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("export_1h_20_services_1s", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let snapshot = snapshot::gather(&store, None, &request, until)
                    .await
                    .expect("the snapshot gathers");
                let html = snapshot::render_html(&snapshot);
                let json = snapshot::render_json(&snapshot).expect("JSON");
                assert_eq!(snapshot.services.len(), SERVICES);
                (html.len(), json.len())
            })
        })
    });
    let snapshot = runtime
        .block_on(snapshot::gather(&store, None, &request, until))
        .expect("the snapshot gathers");
    let zip = dir.path().join("incident.zip");
    group.bench_function("zip_with_pngs_1h_20_services", |b| {
        b.iter(|| snapshot::write_zip(&snapshot, &zip).expect("the zip is written"))
    });
    group.finish();
    let html = snapshot::render_html(&snapshot);
    let json = snapshot::render_json(&snapshot).expect("JSON");
    eprintln!(
        "sizes: html {} KiB, json {} KiB, zip {} KiB, {} charts",
        html.len() / 1024,
        json.len() / 1024,
        std::fs::metadata(&zip).map(|m| m.len() / 1024).unwrap_or(0),
        snapshot
            .services
            .iter()
            .map(|s| s.charts.len())
            .sum::<usize>()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
