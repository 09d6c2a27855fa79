//! Every seed profile against the real fleet over HTTP, field by field: values are pinned
//! through the fleet's control API, then compared with the normalised observation.

use serde_json::{json, Value};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{Config, ServiceConfig};
use switchyard_core::model::{BreakerState, HealthStatus, Observation};
use switchyard_core::profiles::{words, Profile};
use switchyard_core::secrets::{HeaderSource, SecretRef};
use switchyard_core::sources::poller::ServicePoller;
use switchyard_core::sources::{detect, http};
use switchyard_fleet::{Fleet, FleetSpec, Profile as SimProfile, ServiceSpec};

use crate::support::set;

async fn seed_fleet() -> (Fleet, Config) {
    let fleet = Fleet::start(FleetSpec {
        services: vec![
            ServiceSpec::quiet(SimProfile::HealthContract, "execution"),
            ServiceSpec::quiet(SimProfile::HealthLevels, "events"),
            ServiceSpec::quiet(SimProfile::BreakerRegistry, "registry"),
            ServiceSpec::quiet(SimProfile::SingleBreaker, "halt"),
            ServiceSpec::quiet(SimProfile::EmergencyControls, "wallet"),
        ],
    })
    .await
    .expect("fleet starts");
    let mut config = Config::parse(&fleet.config_toml("1s", "500ms")).unwrap();
    // The fleet's config names its key by environment variable; hand it over directly
    // rather than changing this process's environment under other tests.
    let reference = HeaderSource::Secret(SecretRef::Env(switchyard_fleet::INTERNAL_KEY_ENV.into()));
    for service in &mut config.services {
        for (_, source) in &mut service.headers {
            if *source == reference {
                *source = HeaderSource::Literal(fleet.internal_key().to_string());
            }
        }
    }
    (fleet, config)
}

fn service<'a>(config: &'a Config, name: &str) -> &'a ServiceConfig {
    config
        .services
        .iter()
        .find(|s| s.name == name)
        .expect("configured")
}

async fn raw(fleet_service: &ServiceConfig, path: &str) -> Value {
    reqwest::get(format!("{}{path}", fleet_service.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn sample(observation: &Observation, series: &str) -> Option<f64> {
    observation
        .samples
        .iter()
        .find(|s| s.series == series)
        .map(|s| s.value)
}

async fn first_round(service: &ServiceConfig) -> Observation {
    let (observation, _) = ServicePoller::new(service.clone())
        .poll_round(&http::build_client(), &SystemClock)
        .await;
    assert!(
        observation.is_reachable(),
        "{}: {:?}",
        service.name,
        observation.reachability
    );
    observation
}

#[tokio::test]
async fn health_levels_reads_every_level_and_the_keyed_pipeline() {
    let (fleet, config) = seed_fleet().await;
    set(&fleet, "events", json!({
        "cache": {"hit_rate": 0.42, "hits": 420, "misses": 580, "keys": 100, "memory_mb": 4.1},
        "queue": {"depth": 900, "capacity": 1000, "throughput_per_second": 90.0, "events_failed": 3, "dead_letter_count": 2, "worker_utilization": 0.5}
    })).await;
    let events = service(&config, "events");
    let observation = first_round(events).await;
    assert_eq!(observation.profile, "health-levels");
    assert!(
        observation.problems.is_empty(),
        "{:?}",
        observation.problems
    );

    let detailed = raw(events, "/health/detailed").await;
    let health = observation.health.as_ref().unwrap();
    assert_eq!(
        health.status,
        words::health_status(detailed["status"].as_str().unwrap())
    );
    assert_eq!(
        health.status,
        HealthStatus::Degraded,
        "a collapsed cache and backpressure degrade it"
    );
    let names: Vec<&str> = health
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, ["database", "cache", "event_pipeline"]);

    assert_eq!(sample(&observation, "cache.hit_rate"), Some(0.42));
    assert_eq!(sample(&observation, "cache.hits"), Some(420.0));
    assert_eq!(sample(&observation, "cache.misses"), Some(580.0));
    assert_eq!(sample(&observation, "queue.capacity"), Some(1000.0));
    assert_eq!(sample(&observation, "queue.dead_letter"), Some(2.0));
    assert_eq!(sample(&observation, "queue.failed"), Some(3.0));
    assert_eq!(sample(&observation, "queue.worker_utilization"), Some(0.5));
    assert_eq!(sample(&observation, "queue.backpressure"), Some(1.0));
    assert!(observation
        .samples
        .iter()
        .filter(|s| s.series == "queue.depth")
        .all(|s| s.value == 900.0));

    // Without the key the service is still reachable; the keyed endpoint is the problem.
    let mut keyless = events.clone();
    keyless.headers.clear();
    let observation = first_round(&keyless).await;
    assert_eq!(observation.problems.len(), 1);
    assert_eq!(observation.problems[0].endpoint, "/internal/events/metrics");
    assert_eq!(observation.problems[0].reachability.kind(), "unauthorized");
    fleet.shutdown().await;
}

#[tokio::test]
async fn breaker_registry_reads_breakers_cache_metrics_and_its_own_rules() {
    let (fleet, config) = seed_fleet().await;
    set(&fleet, "registry", json!({
        "breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7, "success_count": 120}},
        "cache": {"hit_rate": 0.85, "hits": 8500, "misses": 1500, "keys": 1234, "memory_mb": 50.2},
        "system": {"cpu_percent": 91.0, "memory_percent": 61, "disk_percent": 40},
        "ws": {"active_connections": 3},
        "health_score": 55
    })).await;
    let registry = service(&config, "registry");
    let observation = first_round(registry).await;
    assert_eq!(observation.profile, "breaker-registry");

    let stats = raw(registry, "/api/circuit-breakers/stats").await;
    let exchange = observation
        .breakers
        .iter()
        .find(|b| b.name == "exchange_api")
        .unwrap();
    let raw_exchange = &stats["breakers"]["exchange_api"];
    assert_eq!(exchange.state, BreakerState::Open);
    assert_eq!(exchange.failure_count, Some(7.0));
    assert_eq!(exchange.success_count, Some(120.0));
    assert_eq!(
        exchange.backoff_seconds,
        raw_exchange["current_backoff_seconds"].as_f64()
    );
    assert_eq!(exchange.health_score, raw_exchange["health_score"].as_f64());
    let success_rate = raw_exchange["success_rate"].as_f64().unwrap();
    assert!((exchange.failure_rate.unwrap() - (100.0 - success_rate) / 100.0).abs() < 1e-9);
    assert_eq!(
        observation.breakers.len(),
        stats["breakers"].as_object().unwrap().len()
    );

    assert!(
        (sample(&observation, "cache.hit_rate").unwrap() - 0.85).abs() < 1e-9,
        "percent became a ratio"
    );
    assert_eq!(sample(&observation, "cache.keys"), Some(1234.0));
    assert_eq!(sample(&observation, "system.cpu_percent"), Some(91.0));
    assert_eq!(sample(&observation, "ws.active_connections"), Some(3.0));
    assert_eq!(sample(&observation, "health.score"), Some(55.0));
    assert_eq!(
        observation.health.as_ref().unwrap().status,
        HealthStatus::Degraded
    );

    let thresholds = raw(registry, "/api/metrics/alerts/thresholds").await;
    assert_eq!(
        observation.thresholds.len(),
        thresholds["thresholds"].as_array().unwrap().len()
    );
    assert!(observation
        .thresholds
        .iter()
        .any(|t| t.metric == "cpu_percent" && t.operator == ">" && t.value == 80.0));
    let alerts = raw(registry, "/api/metrics/alerts").await;
    let raw_metrics: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["metric"].as_str().unwrap())
        .collect();
    let read_metrics: Vec<&str> = observation
        .service_alerts
        .iter()
        .map(|a| a.metric.as_str())
        .collect();
    assert_eq!(read_metrics, raw_metrics);
    assert!(observation
        .actions
        .iter()
        .any(|a| format!("{a:?}") == "ResetBreaker"));
    fleet.shutdown().await;
}

#[tokio::test]
async fn single_breaker_reads_status_and_each_history_entry_once() {
    let (fleet, config) = seed_fleet().await;
    set(
        &fleet,
        "halt",
        json!({"single_breaker": {"active": true, "reason": "max drawdown", "failure_count": 5}}),
    )
    .await;
    let halt = service(&config, "halt");
    let mut poller = ServicePoller::new(halt.clone());
    let client = http::build_client();
    let (first, _) = poller.poll_round(&client, &SystemClock).await;
    let breaker = &first.breakers[0];
    assert_eq!(
        (breaker.state, breaker.failure_count),
        (BreakerState::Open, Some(5.0))
    );
    assert_eq!(breaker.reason.as_deref(), Some("max drawdown"));
    assert_eq!(first.health.as_ref().unwrap().status, HealthStatus::Ok);
    let opened = first
        .transitions
        .iter()
        .filter(|t| t.to == BreakerState::Open)
        .count();
    assert!(opened >= 1, "the activation is in the history");

    // A reset through the service's own guarded endpoint lands in its history.
    let reset = reqwest::Client::new()
        .post(format!("{}/api/circuit-breaker/reset", halt.base_url))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    let refused = reqwest::Client::new()
        .post(format!("{}/api/circuit-breaker/reset", halt.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        409,
        "not active any more: the guard refuses"
    );

    let (_, _) = poller.poll_round(&client, &SystemClock).await; // history not due this round
    let (third, _) = poller.poll_round(&client, &SystemClock).await;
    assert_eq!(third.breakers[0].state, BreakerState::Closed);
    assert_eq!(
        third
            .transitions
            .iter()
            .filter(|t| t.to == BreakerState::Open)
            .count(),
        0,
        "no entry twice"
    );
    assert_eq!(
        third
            .transitions
            .iter()
            .filter(|t| t.to == BreakerState::Closed)
            .count(),
        1
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn emergency_controls_reads_components_and_operation_breakers() {
    let (fleet, config) = seed_fleet().await;
    set(
        &fleet,
        "wallet",
        json!({
            "breakers": {"swap": {"state": "OPEN", "failures": 5}},
            "components": {"Redis": {"status": "disconnected", "latency_ms": 0}},
            "websocket_active": 14
        }),
    )
    .await;
    let wallet = service(&config, "wallet");
    let observation = first_round(wallet).await;
    let health_doc = raw(wallet, "/health").await;
    let health = observation.health.as_ref().unwrap();
    assert_eq!(
        health.status,
        words::health_status(health_doc["status"].as_str().unwrap())
    );
    let redis = health
        .dependencies
        .iter()
        .find(|d| d.name == "Redis")
        .unwrap();
    assert_eq!(redis.status, HealthStatus::Down);
    assert_eq!(sample(&observation, "ws.active_connections"), Some(14.0));
    let swap = observation
        .breakers
        .iter()
        .find(|b| b.name == "swap")
        .unwrap();
    assert_eq!(
        (swap.state, swap.failure_count),
        (BreakerState::Open, Some(5.0))
    );
    let status = raw(wallet, "/api/v1/admin/emergency/status").await;
    let raw_names: Vec<&str> = status["breakers"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let names: Vec<&str> = observation
        .breakers
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(names, raw_names, "every breaker, in the document's order");
    assert!(
        observation.actions.is_empty(),
        "read-only: no reset endpoint"
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn every_seed_profile_is_detected() {
    let (fleet, config) = seed_fleet().await;
    let client = http::build_client();
    for (name, expected) in [
        ("execution", Profile::HealthContract),
        ("events", Profile::HealthLevels),
        ("registry", Profile::BreakerRegistry),
        ("halt", Profile::SingleBreaker),
        ("wallet", Profile::EmergencyControls),
    ] {
        let mut unknown = service(&config, name).clone();
        unknown.profile = None;
        let detected = detect::detect(&client, &unknown, &reqwest::header::HeaderMap::new()).await;
        assert_eq!(detected, Ok(expected), "{name}");
    }
    fleet.shutdown().await;
}
