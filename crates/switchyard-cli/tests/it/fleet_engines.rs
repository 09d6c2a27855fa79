//! `fleet` against a real engine: a Prometheus (Debian's, on loopback) scrapes a
//! `breaker-registry` service of the simulated fleet, and `fleet --config F` reads it
//! besides a service it polls itself. All healthy exits 0; a breaker tripped at the
//! fleet makes it exit 1 and shows the breaker open through the engine; a configuration
//! error exits 2.

use std::time::{Duration, Instant};

use serde_json::Value;
use switchyard_fleet::engines_on_loopback::{LoopbackEngine, ScrapeJob, ScrapeSetup};
use switchyard_fleet::{Fleet, FleetSpec, Profile, Script, ServiceSpec};

use super::cli;

/// Asks Prometheus until `promql` has a series (its first scrape comes about 5 s after
/// start), or fails after a minute with its log.
async fn await_scraped(engine: &LoopbackEngine, promql: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let answer: Value = client
            .get(format!("{}/api/v1/query", engine.url()))
            .query(&[("query", promql)])
            .send()
            .await
            .expect("Prometheus answers")
            .json()
            .await
            .expect("json");
        if answer["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "Prometheus never had {promql}: {answer}\n{}",
            engine.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn fleet_json(config: &std::path::Path) -> (Option<i32>, Value) {
    let path = config.to_str().unwrap().to_string();
    let output = tokio::task::spawn_blocking(move || cli(&["fleet", "--config", &path, "--json"]))
        .await
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), json)
}

pub(crate) fn service<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in {report:#}"))
}

#[tokio::test]
async fn fleet_reads_the_engine_and_the_polled_services_in_one_round() {
    let fleet = Fleet::start(FleetSpec {
        services: vec![
            ServiceSpec::quiet(Profile::BreakerRegistry, "orders"),
            ServiceSpec {
                name: "ledger".into(),
                tags: vec![],
                script: Script::steady(),
            },
        ],
    })
    .await
    .expect("fleet starts");
    let orders = fleet.services()[0].base_url.clone();
    let ledger = fleet.services()[1].base_url.clone();
    let prometheus = LoopbackEngine::prometheus(&ScrapeSetup {
        interval: Duration::from_millis(500),
        jobs: vec![ScrapeJob {
            job: "orders".into(),
            targets: vec![orders.trim_start_matches("http://").to_string()],
            metrics_path: "/metrics".into(),
        }],
        rules: None,
        alertmanager: None,
    })
    .await
    .expect("Prometheus starts");
    let folder = tempfile::tempdir().unwrap();
    let config = folder.path().join("fleet.toml");
    std::fs::write(
        &config,
        format!(
            "[[service]]\nname = \"ledger\"\nbase_url = \"{ledger}\"\nprofile = \"health-contract\"\n\n[[engine]]\nname = \"prom\"\nurl = \"{}\"\n",
            prometheus.url()
        ),
    )
    .unwrap();
    await_scraped(
        &prometheus,
        "resilience4j_circuitbreaker_state{job=\"orders\"}",
    )
    .await;

    let (code, report) = fleet_json(&config).await;
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(service(&report, "ledger")["source"], "poll");
    let from_engine = service(&report, "orders");
    assert_eq!(from_engine["source"], "prom");
    assert_eq!(from_engine["health"], "ok");
    assert_eq!(
        from_engine["instances"][0]["name"],
        orders.trim_start_matches("http://")
    );
    assert_eq!(report["engines"][0]["queries"], 7);

    reqwest::Client::new()
        .post(format!("{orders}/_fleet/set"))
        .json(&serde_json::json!({"breakers": {"exchange_api": {"state": "OPEN"}}}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    await_scraped(
        &prometheus,
        "resilience4j_circuitbreaker_state{job=\"orders\",name=\"exchange_api\",state=\"open\"} == 1",
    )
    .await;
    let (code, report) = fleet_json(&config).await;
    assert_eq!(code, Some(1), "{report:#}");
    let breakers = service(&report, "orders")["breakers"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        breakers
            .iter()
            .any(|b| b["name"] == "exchange_api" && b["state"] == "open"),
        "{breakers:?}"
    );

    let path = config.to_str().unwrap().to_string();
    let table = tokio::task::spawn_blocking(move || cli(&["fleet", "--config", &path]))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("SERVICE"), "{text}");
    assert!(text.contains("exchange_api open"), "{text}");
    assert!(text.contains("1 of 1 up"), "{text}");

    std::fs::write(
        &config,
        "[[engine]]\nname = \"prom\"\nurl = \"http://x\"\nrefersh = \"5s\"\n",
    )
    .unwrap();
    let path = config.to_str().unwrap().to_string();
    let refused = tokio::task::spawn_blocking(move || cli(&["fleet", "--config", &path]))
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("did you mean `refresh`?"));
    fleet.shutdown().await;
}
