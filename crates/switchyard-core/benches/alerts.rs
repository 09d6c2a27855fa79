//! Rule evaluation throughput: observations per second through an [`Evaluator`] holding
//! 1,000 rules, over a fleet of 50 services whose states look like the seed profiles'
//! (20–30 samples, 6 breakers, a health document with 4 dependencies, 2 streams).
//!
//! Two rule sets, both of 1,000 rules (the 12 defaults plus 988 configured):
//! - `every_rule_selects_every_service`: no rule is restricted, so each observation
//!   is read by all 1,000 rules (the worst case);
//! - `rules_spread_over_services`: each configured rule names one service or a tag, as
//!   a real configuration would, so an observation meets the defaults and a few dozen.
//!
//! Each iteration hands one service's state to `evaluate`, cycling through the fleet,
//! with the clock moving 10 ms per observation; every 16 rounds a service's values move
//! to the next of 8 variants, crossing thresholds, so alerts really go pending, fire and
//! resolve (the run prints how many events that made).
//!
//! Run: `cargo bench -p switchyard-core --bench alerts -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use switchyard_core::alerts::{
    default_rules, with_defaults, Evaluator, Rule, RuleOrigin, RuleSpec, SelectSpec, Target,
};
use switchyard_core::model::ServiceState;
use switchyard_core::model::{
    Breaker, BreakerState, Dependency, Health, HealthStatus, Observation, Reachability, Sample,
    StreamState, StreamStatus,
};

const SERVICES: usize = 50;
const VARIANTS: usize = 8;
const RULES: usize = 1_000;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

const SERIES: &[&str] = &[
    "cache.hit_rate",
    "cache.hits",
    "cache.misses",
    "cache.keys",
    "cache.memory_mb",
    "queue.depth",
    "queue.capacity",
    "queue.throughput_per_second",
    "queue.failed",
    "queue.dead_letter",
    "queue.worker_utilization",
    "queue.backpressure",
    "ws.active_connections",
    "system.cpu_percent",
    "system.memory_percent",
    "system.disk_percent",
    "health.score",
];

/// A plausible value for a series, moving with `wave` (0..1) so thresholds get crossed.
fn value(series: &str, wave: f64) -> f64 {
    match series {
        "cache.hit_rate" => 0.6 + 0.35 * wave,
        "queue.depth" => 1000.0 * wave,
        "queue.capacity" => 1000.0,
        "queue.worker_utilization" => wave,
        "queue.backpressure" => f64::from(u8::from(wave > 0.8)),
        s if s.ends_with("_percent") => 40.0 + 55.0 * wave,
        "health.score" => 100.0 * (1.0 - wave),
        _ => 10_000.0 * wave,
    }
}

fn service_state(index: usize, variant: usize) -> ServiceState {
    let name = format!("svc-{index:02}");
    let wave = ((index * 7 + variant * 3) % 11) as f64 / 10.0;
    let mut samples: Vec<Sample> = SERIES
        .iter()
        .map(|s| Sample {
            series: (*s).to_string(),
            value: value(s, wave),
        })
        .collect();
    samples.extend((0..8).map(|m| Sample {
        series: format!("metrics.metric_{m}"),
        value: 100.0 * wave + m as f64,
    }));
    let breaker_state = |b: usize| match (index + b + variant) % 9 {
        0 => BreakerState::Open,
        1 => BreakerState::HalfOpen,
        _ => BreakerState::Closed,
    };
    let observation = Observation {
        service: name.clone(),
        profile: "breaker-registry".into(),
        observed_at: start(),
        reachability: Reachability::Reachable { latency_ms: 4.2 },
        health: Some(Health {
            status: match variant % 5 {
                0 => HealthStatus::Degraded,
                _ => HealthStatus::Ok,
            },
            version: Some("1.0.0".into()),
            uptime_seconds: Some(3600.0),
            dependencies: ["redis", "postgres", "eventbus", "binance_api"]
                .iter()
                .enumerate()
                .map(|(d, dep)| Dependency {
                    name: (*dep).to_string(),
                    status: HealthStatus::Ok,
                    latency_ms: Some(50.0 * wave * (d + 1) as f64),
                    slow: wave * (d + 1) as f64 > 2.0,
                    error: None,
                })
                .collect(),
        }),
        breakers: (0..6)
            .map(|b| Breaker {
                name: format!("breaker_{b}"),
                state: breaker_state(b),
                failure_count: Some(3.0),
                success_count: Some(120.0),
                failure_rate: Some(0.1 * wave),
                backoff_seconds: None,
                health_score: Some(80.0),
                call_count: None,
                since: None,
                reason: None,
            })
            .collect(),
        samples,
        actions: Vec::new(),
        transitions: Vec::new(),
        service_alerts: Vec::new(),
        thresholds: Vec::new(),
        problems: Vec::new(),
    };
    let mut stream = StreamStatus::new("/api/ws/breakers", start());
    stream.state = if variant == 3 {
        StreamState::BackingOff
    } else {
        StreamState::Live
    };
    ServiceState {
        name,
        profile: "breaker-registry".into(),
        base_url: format!("http://127.0.0.1:{}", 8000 + index),
        tags: vec![
            if index % 2 == 0 { "prod" } else { "staging" }.to_string(),
            format!("team-{}", index % 5),
        ],
        poll_interval_ms: 5000.0,
        latest: Some(observation.clone()),
        last_good: Some(observation),
        consecutive_failures: 0,
        round_started_at: None,
        streams: vec![stream, StreamStatus::new("/api/ws/market-stream", start())],
        engine: None,
        replicas: None,
    }
}

/// 988 configured rules in rotation over every kind of subject; `spread` restricts each
/// to one service or one tag.
fn configured_rules(count: usize, spread: bool) -> Vec<Rule> {
    (0..count)
        .map(|i| {
            let mut select = SelectSpec::default();
            let (when, recover) = match i % 8 {
                0..=2 => {
                    let series = SERIES[i % SERIES.len()];
                    select.series = Some(series.to_string());
                    let threshold = value(series, (i % 10) as f64 / 10.0);
                    (
                        format!("> {threshold}"),
                        Some(format!("< {}", threshold * 0.9)),
                    )
                }
                3 => {
                    select.ratio = Some(vec!["queue.depth".into(), "queue.capacity".into()]);
                    (format!(">= 0.{}", 5 + i % 5), None)
                }
                4 => {
                    select.breaker_state = Some(if i % 3 == 0 {
                        Target::Named(format!("breaker_{}", i % 6))
                    } else {
                        Target::All
                    });
                    ("state is open, half_open".to_string(), None)
                }
                5 => {
                    select.dependency = Some(Target::All);
                    ("state is slow".to_string(), None)
                }
                6 => {
                    select.health_status = Some(true);
                    ("state is degraded, down".to_string(), None)
                }
                _ => {
                    select.series = Some(format!("metrics.metric_{}", i % 8));
                    (format!(">= {}", i % 100), None)
                }
            };
            if spread {
                if i % 4 == 0 {
                    select.tags = vec![format!("team-{}", i % 5)];
                } else {
                    select.service = Some(format!("svc-{:02}", i % SERVICES));
                }
            }
            let spec = RuleSpec {
                name: format!("rule {i}"),
                select,
                when,
                for_duration: Some(format!("{}s", 5 * (i % 7))),
                recover,
                keep_firing: Some("30s".into()),
                severity: Some(["info", "warning", "high", "critical"][i % 4].into()),
                description: None,
            };
            Rule::from_spec(&spec, RuleOrigin::Config).expect("a generated rule is valid")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let states: Vec<ServiceState> = (0..VARIANTS)
        .flat_map(|v| (0..SERVICES).map(move |s| service_state(s, v)))
        .collect();
    let mut group = c.benchmark_group("alerts");
    group.throughput(Throughput::Elements(1));
    for (label, spread) in [
        ("every_rule_selects_every_service", false),
        ("rules_spread_over_services", true),
    ] {
        let rules = with_defaults(configured_rules(RULES - default_rules().len(), spread));
        assert_eq!(rules.len(), RULES);
        let mut evaluator = Evaluator::new(rules);
        let mut states = states.clone();
        let mut now = start();
        let mut observations = 0usize;
        let mut events = 0usize;
        group.bench_function(format!("evaluate_1000_rules/{label}"), |b| {
            b.iter(|| {
                now += Duration::milliseconds(10);
                // Each service in turn; its values move to the next variant every 16
                // rounds (8 s of clock), so most observations change no alert.
                let service = observations % SERVICES;
                let variant = (observations / SERVICES / 16) % VARIANTS;
                observations += 1;
                let state = &mut states[variant * SERVICES + service];
                if let Some(good) = state.last_good.as_mut() {
                    good.observed_at = now;
                }
                events += evaluator.evaluate(black_box(state), now).len();
            });
        });
        eprintln!(
            "{label}: {observations} observations, {events} alert events ({:.1} per observation), {} alerts active at the end",
            events as f64 / observations.max(1) as f64,
            evaluator.active(now).len()
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
