//! How long each profile's reader takes over the largest document it will meet: the
//! standard profiles' fixtures (and a full Resilience4j event log), and documents built
//! here for the seed profiles following docs/contracts.md. Each iteration reads through
//! a fresh reader, so de-duplicating readers do their full work every time.
//!
//! Run: `cargo bench -p switchyard-core --bench parse -- --warm-up-time 1 --measurement-time 3`

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::{json, Map, Value};
use switchyard_core::config::ServiceConfig;
use switchyard_core::profiles::json_mapping::MappingSettings;
use switchyard_core::profiles::prometheus::{PrometheusSettings, SeriesMapping};
use switchyard_core::profiles::{Profile, ProfileSettings, Response};

/// One document to read: which profile, which endpoint, a label, and the body.
struct Document {
    profile: Profile,
    endpoint: &'static str,
    label: &'static str,
    body: Vec<u8>,
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a JSON value serialises")
}

/// `health-contract`: 40 dependencies and 200 numbers under `metrics`.
fn health_contract() -> Vec<u8> {
    let dependencies: Map<String, Value> = (0..40)
        .map(|i| {
            (
                format!("dependency_{i:02}"),
                json!({"status": if i % 7 == 0 { "DEGRADED" } else { "OK" },
                       "latency_ms": 1.5 + f64::from(i) * 7.3, "error": if i % 7 == 0 { Some("Slow query") } else { None }}),
            )
        })
        .collect();
    let metrics: Map<String, Value> = (0..200)
        .map(|i| (format!("metric_{i:03}_total"), json!(i * 1000)))
        .collect();
    to_bytes(
        &json!({"service": "execution-service", "status": "DEGRADED", "version": "1.0.0",
        "timestamp": "2025-12-04T10:30:00Z", "uptime_seconds": 3600.5,
        "dependencies": dependencies, "metrics": metrics}),
    )
}

/// `health-levels`: the detailed report with its three figures-bearing dependencies and 40 more.
fn health_levels() -> Vec<u8> {
    let mut dependencies = Map::new();
    dependencies.insert(
        "database".into(),
        json!({"status": "healthy", "latency_ms": 3.1}),
    );
    dependencies.insert("cache".into(), json!({"status": "healthy", "stats": {"hit_rate": 0.85, "total_keys": 1234, "hits": 8500, "misses": 1500, "memory_mb": 50.2}}));
    dependencies.insert("event_pipeline".into(), json!({"status": "degraded", "queue_size": 850, "throughput_per_second": 100.0, "backpressure_active": true}));
    for i in 0..40 {
        dependencies.insert(
            format!("upstream_{i:02}"),
            json!({"status": "healthy", "latency_ms": 20.0 + f64::from(i)}),
        );
    }
    to_bytes(&json!({"status": "degraded", "dependencies": dependencies}))
}

/// `breaker-registry`: 200 named breakers.
fn breaker_registry() -> Vec<u8> {
    let breakers: Map<String, Value> = (0..200)
        .map(|i| {
            let name = format!("upstream_api_{i:03}");
            let state = ["CLOSED", "CLOSED", "CLOSED", "OPEN", "HALF_OPEN"][i % 5];
            (
                name.clone(),
                json!({"name": name, "state": state, "failure_count": i % 11, "success_count": 120 + i,
                       "current_backoff_seconds": 30.0 * (i % 8) as f64, "success_rate": 87.5,
                       "health_score": 100 - i % 60, "last_failure_time": "2025-11-13T10:00:00Z"}),
            )
        })
        .collect();
    to_bytes(&json!({ "breakers": breakers }))
}

/// `single-breaker`: a history of 1,000 activations and resets.
fn single_breaker() -> Vec<u8> {
    let history: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"event": if i % 2 == 0 { "activated" } else { "reset" },
                   "at": format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + i / 48, (i / 2) % 24, i % 60),
                   "reason": if i % 2 == 0 { "max drawdown" } else { "Testing" }, "override": i % 4 == 3})
        })
        .collect();
    to_bytes(&json!({ "history": history }))
}

/// `emergency-controls`: 200 per-operation breakers.
fn emergency_controls() -> Vec<u8> {
    let breakers: Map<String, Value> = (0..200)
        .map(|i| {
            (
                format!("operation_{i:03}"),
                json!({"state": (["CLOSED", "OPEN", "HALF_OPEN"][i % 3]), "failures": i % 6,
                       "last_failure": "2026-11-23T09:59:00Z"}),
            )
        })
        .collect();
    to_bytes(&json!({"breakers": breakers, "max_failures": 5, "timeout_seconds": 60}))
}

/// `spring-actuator` at its largest: 20 breakers with Resilience4j's default 100 events each.
fn spring_full_event_log() -> Vec<u8> {
    let kinds = [
        "SUCCESS",
        "SUCCESS",
        "ERROR",
        "NOT_PERMITTED",
        "STATE_TRANSITION",
    ];
    let events: Vec<Value> = (0..20)
        .flat_map(|b| (0..100).map(move |e| (b, e)))
        .map(|(b, e)| {
            let kind = kinds[e % kinds.len()];
            json!({"circuitBreakerName": format!("backend{b:02}"), "type": kind,
                   "creationTime": format!("2026-11-23T10:{:02}:{:02}.{:03}+01:00[Europe/Berlin]", e / 60 + b, e % 60, b * 7),
                   "errorMessage": if kind == "ERROR" { Some("java.net.SocketTimeoutException: Read timed out") } else { None },
                   "durationInMs": if kind == "SUCCESS" || kind == "ERROR" { Some(12 + e) } else { None },
                   "stateTransition": if kind == "STATE_TRANSITION" { Some(["CLOSED_TO_OPEN", "OPEN_TO_HALF_OPEN", "HALF_OPEN_TO_CLOSED"][e % 3]) } else { None }})
        })
        .collect();
    to_bytes(&json!({ "circuitBreakerEvents": events }))
}

fn documents() -> Vec<Document> {
    let doc = |profile, endpoint, label, body| Document {
        profile,
        endpoint,
        label,
        body,
    };
    vec![
        doc(
            Profile::HealthContract,
            "/health",
            "/health, 40 dependencies, 200 metrics",
            health_contract(),
        ),
        doc(
            Profile::HealthLevels,
            "/health/detailed",
            "/health/detailed, 43 dependencies",
            health_levels(),
        ),
        doc(
            Profile::BreakerRegistry,
            "/api/circuit-breakers/stats",
            "stats, 200 breakers",
            breaker_registry(),
        ),
        doc(
            Profile::SingleBreaker,
            "/api/circuit-breaker/history",
            "history, 1,000 entries",
            single_breaker(),
        ),
        doc(
            Profile::EmergencyControls,
            "/api/v1/admin/emergency/status",
            "status, 200 breakers",
            emergency_controls(),
        ),
        doc(
            Profile::SpringActuator,
            "/actuator/health",
            "health fixture, 16 nested components",
            fixture("spring_health.json"),
        ),
        doc(
            Profile::SpringActuator,
            "/actuator/circuitbreakers",
            "circuitbreakers fixture, 20 breakers",
            fixture("spring_circuitbreakers.json"),
        ),
        doc(
            Profile::SpringActuator,
            "/actuator/circuitbreakerevents",
            "events fixture, 100 events",
            fixture("spring_circuitbreakerevents.json"),
        ),
        doc(
            Profile::SpringActuator,
            "/actuator/circuitbreakerevents",
            "events, 20 breakers x 100 events",
            spring_full_event_log(),
        ),
        doc(
            Profile::Prometheus,
            "/actuator/prometheus",
            "text format fixture, 2,406 lines",
            fixture("prometheus_spring.txt"),
        ),
        doc(
            Profile::Prometheus,
            "/actuator/prometheus",
            "OpenMetrics fixture, 2,428 lines",
            fixture("prometheus_spring.om"),
        ),
        doc(
            Profile::JsonMapping,
            "/status",
            "status fixture, 30 breakers, 9 paths",
            fixture("json_mapping_status.json"),
        ),
    ]
}

/// The service each profile's reader is made for: the Prometheus one maps the cache
/// counters, the JSON one uses the example mapping of docs/configuration.md.
fn service(profile: Profile) -> ServiceConfig {
    let mut service = ServiceConfig::new("bench", "http://127.0.0.1:1", Some(profile));
    let cache = |result: &str, as_series: &str| SeriesMapping {
        metric: "cache_gets_total".into(),
        labels: BTreeMap::from([("result".into(), result.into())]),
        as_series: as_series.into(),
    };
    let prometheus = PrometheusSettings {
        path: "/actuator/prometheus".into(),
        series: vec![cache("hit", "cache.hits"), cache("miss", "cache.misses")],
    };
    let mapping = MappingSettings {
        endpoint: "/status".into(),
        status: Some("$.state".into()),
        status_words: BTreeMap::from([
            ("ok".into(), vec!["green".into()]),
            ("degraded".into(), vec!["yellow".into()]),
            ("down".into(), vec!["red".into()]),
        ]),
        breakers: Some("$.breakers[*]".into()),
        breaker_name: Some("$.id".into()),
        breaker_state: Some("$.cb_state".into()),
        queue_depth: Some("$.queue.pending".into()),
        queue_capacity: Some("$.queue.max".into()),
        cache_hit_rate: Some("$.cache.ratio".into()),
        cache_hits: Some("$.cache.hits".into()),
        cache_misses: Some("$.cache.misses".into()),
    };
    service.settings = match profile {
        Profile::Prometheus => ProfileSettings::Prometheus(prometheus),
        Profile::JsonMapping => ProfileSettings::JsonMapping(Box::new(mapping)),
        _ => ProfileSettings::None,
    };
    service
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for document in documents() {
        let service = service(document.profile);
        let response = Response {
            body: &document.body,
            content_type: None,
            received_at: Utc::now(),
        };
        // A document the reader refuses would time the error path: fail loudly instead.
        if let Err(e) = document
            .profile
            .reader(&service.settings)
            .read(document.endpoint, &response)
        {
            panic!(
                "{} refused {}: {}",
                document.profile.name(),
                document.label,
                e.message
            );
        }
        // Printed so the size column of BENCHMARKS.md can be checked.
        eprintln!(
            "document {}/{}: {} bytes",
            document.profile.name(),
            document.label,
            document.body.len()
        );
        group.throughput(Throughput::Bytes(document.body.len() as u64));
        group.bench_function(
            format!("{}/{}", document.profile.name(), document.label),
            |b| {
                b.iter_batched(
                    || document.profile.reader(&service.settings),
                    |mut reader| black_box(reader.read(document.endpoint, &response)),
                    BatchSize::SmallInput,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
