//! Chart rendering (issue 6): 24 hours of one-second samples, downsampled by the store's
//! LTTB to 1,500 points and drawn as an SVG line chart with a threshold and markers; and
//! the breaker timeline for 20 breakers. Target: under 10 ms per chart.
//!
//! Run: `cargo bench -p switchyard-core --bench charts -- --warm-up-time 1 --measurement-time 3`

use chrono::{DateTime, FixedOffset, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use switchyard_core::charts::{
    render_line_chart, render_state_timeline, Breach, ChartSpec, Line, Marker, MarkerKind,
    StateBand, Theme, Threshold, TimelineRow, Unit,
};
use switchyard_core::model::BreakerState;
use switchyard_core::store::lttb;

const DAY_SECONDS: i64 = 86_400;

fn day_of_samples(start_ms: i64) -> Vec<(i64, f64)> {
    (0..DAY_SECONDS)
        .map(|s| {
            let wave = ((s as f64) / 3600.0).sin() * 300.0 + 500.0;
            let noise = ((s * 7919) % 97) as f64;
            (start_ms + s * 1000, wave + noise)
        })
        .collect()
}

fn spec(points: Vec<(i64, f64)>, from: DateTime<Utc>) -> ChartSpec {
    ChartSpec {
        width: 900,
        height: 220,
        theme: Theme::Dark,
        unit: Unit::Count,
        from,
        until: from + chrono::Duration::days(1),
        local_offset: FixedOffset::east_opt(3600).expect("offset"),
        lines: vec![Line {
            envelope: Vec::new(),
            label: "queue.depth".into(),
            points,
        }],
        thresholds: vec![
            Threshold {
                label: "capacity".into(),
                value: 1000.0,
                breach: None,
            },
            Threshold {
                label: "backpressure".into(),
                value: 800.0,
                breach: Some(Breach::Above),
            },
        ],
        markers: (0..20)
            .map(|i| Marker {
                at_ms: from.timestamp_millis() + i * 3_600_000,
                kind: MarkerKind::Transition,
                label: "x".into(),
            })
            .collect(),
    }
}

fn charts(c: &mut Criterion) {
    let from = DateTime::<Utc>::from_timestamp_millis(1_795_000_000_000).expect("time");
    let raw = day_of_samples(from.timestamp_millis());
    c.bench_function("downsample 86,400 points to 1,500 (LTTB)", |b| {
        b.iter(|| lttb::downsample(&raw, 1500))
    });
    let points = lttb::downsample(&raw, 1500);
    c.bench_function("render a line chart of 1,500 points as SVG", |b| {
        b.iter(|| render_line_chart(&spec(points.clone(), from)).expect("chart"))
    });
    c.bench_function("downsample and render 24 h of 1 s samples", |b| {
        b.iter(|| render_line_chart(&spec(lttb::downsample(&raw, 1500), from)).expect("chart"))
    });
    let rows: Vec<TimelineRow> = (0..20)
        .map(|i| TimelineRow {
            label: format!("service-{i} / breaker"),
            bands: (0..24)
                .map(|h| StateBand {
                    from_ms: from.timestamp_millis() + h * 3_600_000,
                    until_ms: Some(from.timestamp_millis() + (h + 1) * 3_600_000),
                    state: if (h + i) % 5 == 0 {
                        BreakerState::Open
                    } else {
                        BreakerState::Closed
                    },
                })
                .collect(),
        })
        .collect();
    c.bench_function(
        "render the breaker timeline, 20 breakers × 24 bands",
        |b| {
            b.iter(|| {
                render_state_timeline(
                    &rows,
                    from,
                    from + chrono::Duration::days(1),
                    900,
                    Theme::Dark,
                    FixedOffset::east_opt(0).expect("utc"),
                )
                .expect("timeline")
            })
        },
    );
}

criterion_group!(benches, charts);
criterion_main!(benches);
