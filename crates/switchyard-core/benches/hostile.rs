//! Hostile input at scale (issue 17): 100 services polled every second, ten of them
//! given one fault of the fault matrix at a time; how steadily the other ninety keep
//! their cadence, against a baseline with no fault. The poller spreads rounds with
//! ±10 % jitter on purpose, so the figure is the bystanders' intervals' deviation from
//! the interval, at p99, beside the same figure without faults; a fault that held the
//! others back would show as the difference.
//!
//! With `-- flood`: ten breaker-registry services whose streams flood (the fleet sends
//! as fast as it can) for ten minutes beside ninety quiet ones; the process's resident
//! memory every 30 s, which must stay bounded (the sessions drop what is over their
//! rate and count it).
//!
//! Run: `cargo bench -p switchyard-core --bench hostile` (about four minutes), and
//! `cargo bench -p switchyard-core --bench hostile -- flood` (ten minutes).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::engine::EngineHandle;
use switchyard_fleet::{Fleet, FleetSpec, ServiceSpec};

const SERVICES: usize = 100;
const VICTIMS: usize = 10;
/// How long each fault is held while the bystanders are watched.
const WATCH: Duration = Duration::from_secs(20);
const INTERVAL_MS: f64 = 1000.0;

fn name(i: usize) -> String {
    format!("svc{i:03}")
}

async fn set(fleet: &Fleet, service: &str, body: &Value) {
    let url = fleet
        .services()
        .iter()
        .find(|s| s.name == service)
        .map(|s| format!("{}/_fleet/set", s.base_url))
        .expect("a fleet service");
    let client = reqwest::Client::new();
    let answer = client.post(url).json(body).send().await.expect("control");
    assert!(answer.status().is_success(), "control refused {body}");
}

/// The bystanders' polling intervals' deviations from the interval (ms) over `WATCH`.
async fn deviations(engine: &EngineHandle) -> Vec<f64> {
    let mut fleet = engine.fleet();
    let mut last: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut found = Vec::new();
    let until = tokio::time::Instant::now() + WATCH;
    while let Ok(Some(delta)) = tokio::time::timeout_at(until, fleet.next()).await {
        for state in &delta.services {
            let victim = state.name.as_str() < name(VICTIMS).as_str();
            let Some(observed) = state.latest.as_ref().map(|o| o.observed_at) else {
                continue;
            };
            if victim {
                continue;
            }
            if let Some(before) = last.insert(state.name.clone(), observed) {
                if observed > before {
                    let gap = (observed - before).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                    found.push((gap - INTERVAL_MS).abs());
                }
            }
        }
    }
    found
}

fn p99(mut values: Vec<f64>) -> (usize, f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() as f64 * q) as usize).min(values.len() - 1)];
    (values.len(), at(0.5), at(0.99))
}

/// The process's resident memory, in MiB (`VmRSS`).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn flood() {
    let fleet = Fleet::start(FleetSpec {
        services: (0..SERVICES)
            .map(|i| ServiceSpec::quiet(switchyard_fleet::Profile::BreakerRegistry, name(i)))
            .collect(),
    })
    .await
    .expect("fleet starts");
    let config = Config::parse(&fleet.config_toml("1s", "800ms")).expect("config");
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    tokio::time::sleep(Duration::from_secs(5)).await;
    for i in 0..VICTIMS {
        set(&fleet, &name(i), &json!({"stream_fault": "flood"})).await;
    }
    let mut fleet_feed = engine.fleet();
    let start = tokio::time::Instant::now();
    let mut next = start;
    while start.elapsed() < Duration::from_secs(600) {
        // Keep reading the feed, as the window would.
        if let Ok(Some(_)) = tokio::time::timeout_at(next, fleet_feed.next()).await {
            continue;
        }
        let dropped: u64 = engine
            .feed()
            .states()
            .iter()
            .flat_map(|s| s.streams.iter())
            .map(|st| st.dropped)
            .sum();
        println!(
            "{:>4} s  RSS {:.1} MiB  messages dropped over the rate so far {dropped}",
            start.elapsed().as_secs(),
            rss_mib()
        );
        next += Duration::from_secs(30);
    }
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::args().any(|a| a == "flood") {
        return flood().await;
    }
    let fleet = Fleet::start(FleetSpec {
        services: (0..SERVICES)
            .map(|i| {
                ServiceSpec::health_contract(name(i), ["bench"], switchyard_fleet::Script::steady())
            })
            .collect(),
    })
    .await
    .expect("fleet starts");
    let config = Config::parse(&fleet.config_toml("1s", "800ms")).expect("config");
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    // Let every service have its first round.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let (n, p50, p99_base) = p99(deviations(&engine).await);
    println!("baseline: {n} bystander intervals, |interval - 1 s| median {p50:.1} ms, p99 {p99_base:.1} ms");
    let matrix = [
        json!({"fault": "hang"}),
        json!({"fault": "slow", "delay_ms": 1000}),
        json!({"fault": "drip"}),
        json!({"fault": "close_mid_body"}),
        json!({"fault": "http_500"}),
        json!({"fault": "malformed"}),
        json!({"fault": "wrong_type"}),
        json!({"fault": "huge"}),
        json!({"fault": "huge_chunked"}),
        json!({"fault": "unauthorized"}),
        json!({"fault": "rate_limited", "retry_after_seconds": 2}),
    ];
    for fault in matrix {
        for i in 0..VICTIMS {
            set(&fleet, &name(i), &fault).await;
        }
        let (n, p50, p99_fault) = p99(deviations(&engine).await);
        println!(
            "{:<16} {n} bystander intervals, median {p50:.1} ms, p99 {p99_fault:.1} ms, p99 over the baseline {:+.1} ms",
            fault["fault"].as_str().unwrap_or("?"),
            p99_fault - p99_base
        );
        for i in 0..VICTIMS {
            set(&fleet, &name(i), &json!({"fault": "none"})).await;
        }
    }
    engine.shutdown().await;
    fleet.shutdown().await;
}
