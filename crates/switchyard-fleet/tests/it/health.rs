//! `GET /health` serves the `health-contract` document, and the demo fleet is
//! what the app expects.

use serde_json::Value;
use switchyard_fleet::Fleet;

use crate::support::{health, state, steady};

#[tokio::test]
async fn health_document_has_the_contract_fields() {
    let (fleet, service) = steady("execution-service").await;
    let document = health(&service).await;

    assert_eq!(document["service"], "execution-service");
    assert_eq!(document["status"], "OK");
    assert!(document["version"].is_string());
    let timestamp = document["timestamp"]
        .as_str()
        .expect("timestamp is a string");
    assert!(timestamp.ends_with('Z'), "{timestamp} is UTC");
    chrono::DateTime::parse_from_rfc3339(timestamp).expect("timestamp is RFC 3339");
    assert!(
        document["uptime_seconds"]
            .as_f64()
            .expect("uptime is a number")
            >= 0.0
    );

    let dependencies = document["dependencies"]
        .as_object()
        .expect("dependencies is an object");
    for name in ["redis", "postgres", "exchange_api"] {
        let dependency = &dependencies[name];
        assert_eq!(dependency["status"], "OK", "{name}");
        assert!(dependency["latency_ms"].is_number(), "{name}");
        assert!(dependency.get("error").is_none(), "{name} has no error");
    }

    let metrics = document["metrics"]
        .as_object()
        .expect("metrics is an object");
    for name in [
        "active_positions",
        "orders_executed_total",
        "requests_per_second",
    ] {
        assert!(metrics[name].is_number(), "metrics.{name}");
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn health_requests_are_counted() {
    let (fleet, service) = steady("counted").await;
    assert_eq!(state(&service).await["health_requests"], 0);
    for _ in 0..3 {
        health(&service).await;
    }
    // Reading the state is not a poll.
    state(&service).await;
    assert_eq!(state(&service).await["health_requests"], 3);
    fleet.shutdown().await;
}

#[tokio::test]
async fn demo_fleet_has_four_healthy_services_and_one_of_each_other_profile() {
    let fleet = Fleet::start_demo().await.expect("the demo fleet starts");
    let names: Vec<(&str, &str)> = fleet
        .services()
        .iter()
        .map(|s| (s.name.as_str(), s.profile))
        .collect();
    assert_eq!(
        names,
        [
            ("execution-service", "health-contract"),
            ("market-data", "health-contract"),
            ("risk-engine", "health-contract"),
            ("notifications", "health-contract"),
            ("events-api", "health-levels"),
            ("trading-api", "breaker-registry"),
            ("trading-bot", "single-breaker"),
            ("wallet-api", "emergency-controls"),
            ("ledger-api#1", "breaker-registry"),
            ("ledger-api#2", "breaker-registry"),
            ("ledger-api#3", "breaker-registry"),
        ]
    );
    for service in fleet.services() {
        assert!(
            service.tags.iter().any(|tag| tag == "demo"),
            "{}",
            service.name
        );
        if service.profile != "health-contract" {
            continue;
        }
        let document: Value = health(service).await;
        assert_eq!(document["service"], service.name.as_str());
        // Every demo script starts in an OK phase.
        assert_eq!(document["status"], "OK", "{}", service.name);
    }
    // ledger-api is one service of three instances, its breaker open on the first only.
    let config: toml::Table = toml::from_str(&fleet.config_toml("2s", "1s")).expect("TOML");
    let ledger = config["service"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some("ledger-api"))
        .expect("ledger-api in the configuration");
    assert_eq!(ledger["instances"].as_array().map(Vec::len), Some(3));
    for (replica, expected) in [("ledger-api#1", "OPEN"), ("ledger-api#2", "CLOSED")] {
        let url = &fleet
            .services()
            .iter()
            .find(|s| s.name == replica)
            .unwrap()
            .base_url;
        let stats: Value = reqwest::get(format!("{url}/api/circuit-breakers/stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let state = stats["breakers"]["exchange_api"]["state"].as_str();
        assert_eq!(state, Some(expected), "{replica}: {stats}");
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn seed_fleet_has_one_service_per_profile() {
    let fleet = Fleet::start_seed().await.expect("the seed fleet starts");
    let profiles: Vec<&str> = fleet.services().iter().map(|s| s.profile).collect();
    assert_eq!(
        profiles,
        [
            "health-contract",
            "health-levels",
            "breaker-registry",
            "single-breaker",
            "emergency-controls"
        ]
    );
    // The health-contract service keeps what other crates' tests rely on.
    let document = health(&fleet.services()[0]).await;
    assert!(document["metrics"]["orders_executed_total"].is_number());
    for name in ["redis", "postgres", "exchange_api"] {
        assert!(document["dependencies"][name].is_object(), "{name}");
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_the_ports() {
    let (fleet, service) = steady("short-lived").await;
    health(&service).await;
    fleet.shutdown().await;
    let error = reqwest::get(format!("{}/health", service.base_url))
        .await
        .expect_err("nothing listens any more");
    assert!(error.is_connect(), "{error}");
}
