//! The three standard profiles end to end: realistic fixtures served over real HTTP on
//! 127.0.0.1, polled through the real poller, read into the normalised observation;
//! and detection of a Spring Boot service and of a bare `/metrics` endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use reqwest::header::HeaderMap;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::ServiceConfig;
use switchyard_core::model::{
    Breaker, BreakerState, HealthStatus, Observation, Reachability, Transition,
};
use switchyard_core::profiles::json_mapping::MappingSettings;
use switchyard_core::profiles::prometheus::{PrometheusSettings, SeriesMapping};
use switchyard_core::profiles::{Profile, ProfileSettings};
use switchyard_core::sources::detect::detect;
use switchyard_core::sources::http::build_client;
use switchyard_core::sources::poller::ServicePoller;

const ACTUATOR_JSON: &str = "application/vnd.spring-boot.actuator.v3+json";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A route answering with one document, or with each of several in turn (the last one
/// from then on), as a service whose log moves on between polls does.
struct Route {
    path: &'static str,
    content_type: &'static str,
    bodies: Vec<Vec<u8>>,
}

fn route(path: &'static str, content_type: &'static str, fixture_name: &str) -> Route {
    Route {
        path,
        content_type,
        bodies: vec![fixture(fixture_name)],
    }
}

/// Serves `routes` on an ephemeral port of 127.0.0.1; anything else is a 404. The server
/// lives as long as the test's runtime.
async fn serve(routes: Vec<Route>) -> String {
    let mut router = Router::new();
    for Route {
        path,
        content_type,
        bodies,
    } in routes
    {
        let bodies = Arc::new(bodies);
        let calls = Arc::new(AtomicUsize::new(0));
        router = router.route(
            path,
            get(move || {
                let bodies = Arc::clone(&bodies);
                let call = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    let body = bodies[call.min(bodies.len() - 1)].clone();
                    ([(CONTENT_TYPE, content_type)], body)
                }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

fn spring_routes() -> Vec<Route> {
    vec![
        route("/actuator/health", ACTUATOR_JSON, "spring_health.json"),
        route(
            "/actuator/circuitbreakers",
            ACTUATOR_JSON,
            "spring_circuitbreakers.json",
        ),
        Route {
            path: "/actuator/circuitbreakerevents",
            content_type: ACTUATOR_JSON,
            bodies: vec![
                fixture("spring_circuitbreakerevents.json"),
                fixture("spring_circuitbreakerevents_next.json"),
            ],
        },
    ]
}

fn assert_reachable(observation: &Observation, profile: &str) {
    assert!(
        matches!(observation.reachability, Reachability::Reachable { .. }),
        "{:?}",
        observation.reachability
    );
    assert_eq!(observation.profile, profile);
    assert!(
        observation.problems.is_empty(),
        "{:?}",
        observation.problems
    );
}

fn breaker<'a>(observation: &'a Observation, name: &str) -> &'a Breaker {
    observation
        .breakers
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no breaker {name}"))
}

fn sample(observation: &Observation, series: &str) -> Option<f64> {
    observation
        .samples
        .iter()
        .find(|s| s.series == series)
        .map(|s| s.value)
}

fn moves(transitions: &[Transition], name: &str) -> Vec<(Option<BreakerState>, BreakerState)> {
    transitions
        .iter()
        .filter(|t| t.breaker == name)
        .map(|t| (t.from, t.to))
        .collect()
}

#[tokio::test]
async fn spring_actuator_health_breakers_and_each_event_once() {
    let base_url = serve(spring_routes()).await;
    let mut poller = ServicePoller::new(ServiceConfig::new(
        "payments",
        &base_url,
        Some(Profile::SpringActuator),
    ));
    let client = build_client();
    let (first, _) = poller.poll_round(&client, &SystemClock).await;
    assert_reachable(&first, "spring-actuator");

    let health = first.health.as_ref().expect("health");
    assert_eq!(health.status, HealthStatus::Ok);
    let names: Vec<&str> = health
        .dependencies
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "circuitBreakers/paymentGateway",
            "circuitBreakers/ledgerService",
            "circuitBreakers/fraudScoring",
            "circuitBreakers/fxRates",
            "db",
            "diskSpace",
            "livenessState",
            "ping",
            "rabbit",
            "readinessState",
            "redis",
            "broker/us1",
            "broker/eu1/fra",
            "broker/eu1/ams",
            "refreshScope",
            "mail",
        ]
    );
    let status_of = |name: &str| {
        health
            .dependencies
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.status)
    };
    assert_eq!(
        status_of("circuitBreakers/paymentGateway"),
        Some(HealthStatus::Degraded)
    );
    assert_eq!(
        status_of("circuitBreakers/fraudScoring"),
        Some(HealthStatus::Degraded)
    );
    assert_eq!(status_of("broker/eu1/ams"), Some(HealthStatus::Down));
    assert_eq!(status_of("mail"), Some(HealthStatus::Unknown));
    let fra = &health.dependencies[12];
    assert_eq!(fra.status, HealthStatus::Down);
    assert!(fra
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("org.apache.kafka")));
    assert_eq!(health.dependencies[10].latency_ms, Some(1.8));
    assert!(!health.dependencies[10].slow);
    assert_eq!(health.dependencies[11].latency_ms, Some(12.5));

    assert_eq!(first.breakers.len(), 20);
    let gateway = breaker(&first, "paymentGateway");
    assert_eq!(gateway.state, BreakerState::Open);
    assert_eq!(gateway.failure_rate, None, "-1.0% is no data");
    assert_eq!(gateway.call_count, Some(137.0));
    assert_eq!(
        breaker(&first, "fraudScoring").state,
        BreakerState::HalfOpen
    );
    assert_eq!(
        breaker(&first, "kycProvider").state,
        BreakerState::ForcedOpen
    );
    assert_eq!(breaker(&first, "auditSink").state, BreakerState::Disabled);
    assert_eq!(
        breaker(&first, "recommendations").state,
        BreakerState::MetricsOnly
    );
    let tax = breaker(&first, "taxCalculator");
    assert_eq!(tax.state, BreakerState::Closed);
    assert_eq!(tax.failure_rate, Some(0.6));
    assert_eq!(
        (tax.failure_count, tax.success_count),
        (Some(60.0), Some(40.0))
    );

    // The log holds 100 events, 13 of them state changes.
    assert_eq!(first.transitions.len(), 13);
    assert_eq!(
        moves(&first.transitions, "paymentGateway"),
        [
            (Some(BreakerState::Closed), BreakerState::Open),
            (Some(BreakerState::Open), BreakerState::HalfOpen),
            (Some(BreakerState::HalfOpen), BreakerState::Open),
        ]
    );
    assert_eq!(
        moves(&first.transitions, "shippingQuotes"),
        [(None, BreakerState::Closed)],
        "a RESET closes the breaker"
    );
    let last = first.transitions.last().expect("a last transition");
    assert_eq!(last.breaker, "currencyRates");
    assert_eq!(last.at.to_rfc3339(), "2026-11-23T09:30:00+00:00");

    // The log moved on: ten events rolled off, ten arrived, two of them changes.
    let (second, _) = poller.poll_round(&client, &SystemClock).await;
    assert_reachable(&second, "spring-actuator");
    let fresh: Vec<(&str, Option<BreakerState>, BreakerState)> = second
        .transitions
        .iter()
        .map(|t| (t.breaker.as_str(), t.from, t.to))
        .collect();
    assert_eq!(
        fresh,
        [
            (
                "currencyRates",
                Some(BreakerState::Open),
                BreakerState::HalfOpen
            ),
            ("paymentGateway", None, BreakerState::Closed),
        ]
    );

    let (third, _) = poller.poll_round(&client, &SystemClock).await;
    assert!(
        third.transitions.is_empty(),
        "nothing new, nothing recorded"
    );
}

/// The actuator's index of links, listing `endpoints` (as Spring Boot writes it: every
/// link absolute, a templated one among them).
fn actuator_index(base_url: &str, endpoints: &[&str]) -> Vec<u8> {
    let mut links = serde_json::Map::new();
    links.insert(
        "self".into(),
        serde_json::json!({ "href": format!("{base_url}/actuator"), "templated": false }),
    );
    for endpoint in endpoints {
        links.insert(
            (*endpoint).into(),
            serde_json::json!({ "href": format!("{base_url}/actuator/{endpoint}"), "templated": false }),
        );
        links.insert(
            format!("{endpoint}-path"),
            serde_json::json!({ "href": format!("{base_url}/actuator/{endpoint}/{{*path}}"), "templated": true }),
        );
    }
    serde_json::to_vec(&serde_json::json!({ "_links": links })).expect("json")
}

/// Serves the Spring routes behind an index that lists `listed`: routes it does not list
/// are not served either (a 404, as Spring answers for an endpoint it does not have).
async fn serve_spring_with_index(listed: &[&str]) -> String {
    // The index holds the server's own address, known once it is bound: bind first.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let base_url = format!("http://{}", listener.local_addr().expect("address"));
    let index = actuator_index(&base_url, listed);
    let mut router = Router::new().route(
        "/actuator",
        get(move || async move { ([(CONTENT_TYPE, ACTUATOR_JSON)], index) }),
    );
    for Route {
        path,
        content_type,
        bodies,
    } in spring_routes()
    {
        if listed.iter().any(|l| path.ends_with(&format!("/{l}"))) {
            let body = bodies.last().expect("a body").clone();
            router = router.route(
                path,
                get(move || async move { ([(CONTENT_TYPE, content_type)], body) }),
            );
        }
    }
    tokio::spawn(async move { axum::serve(listener, router).await });
    base_url
}

/// A Spring service without Resilience4j lists no breaker endpoints in `GET /actuator`:
/// the console polls only what it lists, so the tile shows no permanent problems, in
/// ordinary rounds and in full ones (verification's) alike.
#[tokio::test]
async fn spring_actuator_polls_only_what_the_index_lists() {
    let client = build_client();
    let plain = serve_spring_with_index(&["health"]).await;
    let mut poller = ServicePoller::new(ServiceConfig::new(
        "plain-spring",
        &plain,
        Some(Profile::SpringActuator),
    ));
    for _ in 0..3 {
        let (observation, _) = poller.poll_round(&client, &SystemClock).await;
        assert_reachable(&observation, "spring-actuator");
        assert!(observation.health.is_some());
        assert!(observation.breakers.is_empty());
    }
    let (full, _) = poller.poll(&client, &SystemClock, true).await;
    assert_reachable(&full, "spring-actuator");

    // One that lists its breakers gets them read as before.
    let resilient =
        serve_spring_with_index(&["health", "circuitbreakers", "circuitbreakerevents"]).await;
    let mut poller = ServicePoller::new(ServiceConfig::new(
        "resilient",
        &resilient,
        Some(Profile::SpringActuator),
    ));
    let (observation, _) = poller.poll_round(&client, &SystemClock).await;
    assert_reachable(&observation, "spring-actuator");
    assert!(
        !observation.breakers.is_empty(),
        "the listed breakers are read"
    );
}

fn spring_prometheus_settings(path: &str) -> PrometheusSettings {
    let mapping = |result: &str, as_series: &str| SeriesMapping {
        metric: "cache_gets_total".into(),
        labels: BTreeMap::from([("result".into(), result.into())]),
        as_series: as_series.into(),
    };
    PrometheusSettings {
        path: path.into(),
        series: vec![
            mapping("hit", "cache.hits"),
            mapping("miss", "cache.misses"),
        ],
    }
}

async fn poll_prometheus(base_url: &str, path: &str) -> Observation {
    let mut service = ServiceConfig::new("payments-jvm", base_url, Some(Profile::Prometheus));
    service.settings = ProfileSettings::Prometheus(spring_prometheus_settings(path));
    ServicePoller::new(service)
        .poll_round(&build_client(), &SystemClock)
        .await
        .0
}

#[tokio::test]
async fn prometheus_scrape_of_a_spring_app_in_both_formats() {
    let base_url = serve(vec![
        route(
            "/actuator/prometheus",
            PROMETHEUS_TEXT,
            "prometheus_spring.txt",
        ),
        route("/openmetrics", OPENMETRICS_TEXT, "prometheus_spring.om"),
    ])
    .await;
    let text = poll_prometheus(&base_url, "/actuator/prometheus").await;
    assert_reachable(&text, "prometheus");
    assert!(text.health.is_none(), "a scrape invents no health");

    assert_eq!(text.breakers.len(), 20);
    let gateway = breaker(&text, "paymentGateway");
    assert_eq!(gateway.state, BreakerState::Open);
    assert_eq!(gateway.failure_rate, None);
    assert_eq!(gateway.call_count, Some(137.0));
    assert_eq!(
        (gateway.success_count, gateway.failure_count),
        (Some(1000.0), Some(0.0))
    );
    let tax = breaker(&text, "taxCalculator");
    assert_eq!(tax.state, BreakerState::Closed);
    assert_eq!(tax.failure_rate, Some(0.6));
    assert_eq!(
        (tax.success_count, tax.failure_count),
        (Some(1148.0), Some(40.0))
    );
    for (name, state) in [
        ("fraudScoring", BreakerState::HalfOpen),
        ("kycProvider", BreakerState::ForcedOpen),
        ("auditSink", BreakerState::Disabled),
        ("recommendations", BreakerState::MetricsOnly),
    ] {
        assert_eq!(breaker(&text, name).state, state, "{name}");
    }
    assert_eq!(sample(&text, "queue.depth"), Some(10.0));
    assert_eq!(sample(&text, "queue.capacity"), Some(85.0));
    assert_eq!(sample(&text, "cache.hits"), Some(24000.0));
    assert_eq!(sample(&text, "cache.misses"), Some(5500.0));

    let open = poll_prometheus(&base_url, "/openmetrics").await;
    assert_reachable(&open, "prometheus");
    assert_eq!(open.breakers, text.breakers, "OpenMetrics reads the same");
    assert_eq!(open.samples, text.samples);
}

#[tokio::test]
async fn a_metrics_page_that_is_not_an_exposition_says_which_line() {
    let base_url = serve(vec![Route {
        path: "/metrics",
        content_type: "text/html",
        bodies: vec![
            b"<!DOCTYPE html>\n<html><body>Whitelabel Error Page</body></html>\n".to_vec(),
        ],
    }])
    .await;
    let mut service = ServiceConfig::new("web", &base_url, Some(Profile::Prometheus));
    service.settings = ProfileSettings::Prometheus(PrometheusSettings::default());
    let (observation, _) = ServicePoller::new(service)
        .poll_round(&build_client(), &SystemClock)
        .await;
    match &observation.reachability {
        Reachability::InvalidResponse { reason, message } => {
            assert_eq!(reason, "invalid_exposition");
            assert!(message.contains("/metrics: line 1: "), "{message}");
        }
        other => panic!("expected invalid_response, got {other:?}"),
    }
}

#[tokio::test]
async fn json_mapping_reads_a_legacy_status_document() {
    let base_url = serve(vec![route(
        "/status",
        "application/json",
        "json_mapping_status.json",
    )])
    .await;
    let mut service = ServiceConfig::new("legacy-billing", &base_url, Some(Profile::JsonMapping));
    service.settings = ProfileSettings::JsonMapping(Box::new(MappingSettings {
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
    }));
    let (observation, _) = ServicePoller::new(service)
        .poll_round(&build_client(), &SystemClock)
        .await;
    assert_reachable(&observation, "json-mapping");
    assert_eq!(
        observation.health.as_ref().map(|h| h.status),
        Some(HealthStatus::Degraded)
    );
    assert_eq!(observation.breakers.len(), 30);
    assert_eq!(
        breaker(&observation, "route-00").state,
        BreakerState::Closed
    );
    assert_eq!(breaker(&observation, "route-01").state, BreakerState::Open);
    assert_eq!(
        breaker(&observation, "route-02").state,
        BreakerState::HalfOpen
    );
    assert_eq!(breaker(&observation, "route-05").state, BreakerState::Open);
    assert_eq!(
        breaker(&observation, "route-06").state,
        BreakerState::HalfOpen
    );
    assert_eq!(
        breaker(&observation, "route-07").state,
        BreakerState::Closed
    );
    assert_eq!(sample(&observation, "queue.depth"), Some(412.0));
    assert_eq!(sample(&observation, "queue.capacity"), Some(500.0));
    assert_eq!(sample(&observation, "cache.hit_rate"), Some(0.715));
    assert_eq!(sample(&observation, "cache.hits"), Some(71500.0));
    assert_eq!(sample(&observation, "cache.misses"), Some(28500.0));
}

#[tokio::test]
async fn detection_recognises_spring_boot_and_a_bare_metrics_endpoint() {
    let client = build_client();
    let spring = serve(spring_routes()).await;
    let detected = detect(
        &client,
        &ServiceConfig::new("unknown-spring", &spring, None),
        &HeaderMap::new(),
    )
    .await;
    assert_eq!(detected, Ok(Profile::SpringActuator));

    let metrics = serve(vec![route(
        "/metrics",
        PROMETHEUS_TEXT,
        "prometheus_spring.txt",
    )])
    .await;
    let detected = detect(
        &client,
        &ServiceConfig::new("unknown-exporter", &metrics, None),
        &HeaderMap::new(),
    )
    .await;
    assert_eq!(detected, Ok(Profile::Prometheus));
}
