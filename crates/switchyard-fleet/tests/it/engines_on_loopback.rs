//! The engines harness starts the real Debian engines and they see the fleet: a
//! Prometheus and a VictoriaMetrics scrape static targets and answer `up` for them, and
//! an Alertmanager answers its API.

use std::time::{Duration, Instant};

use switchyard_fleet::engines_on_loopback::{LoopbackEngine, ScrapeJob, ScrapeSetup};
use switchyard_fleet::StaticTargets;

const DOCUMENT: &[u8] = b"# TYPE demo_value gauge\ndemo_value 42\n";

fn setup(targets: &StaticTargets) -> ScrapeSetup {
    ScrapeSetup {
        interval: Duration::from_millis(200),
        jobs: vec![ScrapeJob {
            job: "static".to_owned(),
            targets: targets.addresses.iter().map(|a| a.to_string()).collect(),
            metrics_path: "/metrics".to_owned(),
        }],
        rules: None,
        alertmanager: None,
    }
}

/// Asks `query` until the engine returns `expected` series with value 1, or fails
/// after 30 s with the last answer and the engine's log.
async fn await_up(engine: &LoopbackEngine, expected: usize) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let answer: serde_json::Value = client
            .get(format!("{}/api/v1/query", engine.url()))
            .query(&[("query", "up == 1")])
            .send()
            .await
            .expect("query answered")
            .json()
            .await
            .expect("json");
        let found = answer["data"]["result"].as_array().map_or(0, Vec::len);
        if found == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}: {found} of {expected} targets up; last answer {answer}; log: {}",
            engine.kind(),
            engine.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn prometheus_and_victoria_metrics_scrape_the_fleet_and_alertmanager_answers() {
    let targets = StaticTargets::start(3, DOCUMENT.to_vec()).await.unwrap();
    let scrape = setup(&targets);
    let (prometheus, victoria, alertmanager) = tokio::join!(
        LoopbackEngine::prometheus(&scrape),
        LoopbackEngine::victoria_metrics(Some(&scrape)),
        LoopbackEngine::alertmanager(),
    );
    let (prometheus, victoria, alertmanager) = (
        prometheus.unwrap(),
        victoria.unwrap(),
        alertmanager.unwrap(),
    );
    tokio::join!(await_up(&prometheus, 3), await_up(&victoria, 3));

    let status = reqwest::get(format!("{}/api/v2/status", alertmanager.url()))
        .await
        .unwrap();
    assert_eq!(status.status(), 200, "{}", alertmanager.log());
}
