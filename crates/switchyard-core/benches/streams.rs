//! Stream benchmarks (issue 4), against the real fleet on loopback:
//! - latency: from asking the fleet to change a breaker to the engine's event for it,
//!   through the WebSocket stream (median, p95, p99 over many trips);
//! - throughput: messages per second one stream session parses into observations.
//!
//! Run: `cargo bench -p switchyard-core --bench streams`

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{Config, StreamConfig};
use switchyard_core::engine::EngineHandle;
use switchyard_core::feed::FleetSubscription;
use switchyard_core::model::ServiceState;
use switchyard_core::model::{BreakerState, StreamState};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

const TRIPS: usize = 400;

async fn next_matching(
    events: &mut FleetSubscription,
    pred: impl Fn(&ServiceState) -> bool,
) -> ServiceState {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
            Ok(Some(delta)) => {
                if let Some(state) = delta.services.iter().find(|s| pred(s)) {
                    return (**state).clone();
                }
            }
            Ok(None) => panic!("the engine stopped"),
            Err(_) => panic!("no matching engine event within 10 s"),
        }
    }
}

fn breaker_state(state: &ServiceState, name: &str) -> Option<BreakerState> {
    state
        .last_good
        .as_ref()?
        .breakers
        .iter()
        .find(|b| b.name == name)
        .map(|b| b.state)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn setup(max_rate: u32) -> (Fleet, EngineHandle, FleetSubscription, String) {
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(Profile::BreakerRegistry, "registry")],
    })
    .await
    .expect("fleet");
    let mut config = Config::parse(&fleet.config_toml("60s", "2s")).expect("config");
    let mut stream = StreamConfig::new("/api/ws/breakers");
    stream.subscribe = vec!["breakers".into()];
    stream.max_messages_per_second = max_rate;
    config.services[0].streams = vec![stream];
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = engine.fleet();
    next_matching(&mut events, |s| {
        s.last_good.is_some()
            && s.streams
                .first()
                .is_some_and(|x| x.state == StreamState::Live)
    })
    .await;
    let control = format!("{}/_fleet/set", fleet.services()[0].base_url);
    (fleet, engine, events, control)
}

async fn latency() {
    let (fleet, engine, mut events, control) = setup(10_000).await;
    let client = reqwest::Client::new();
    let mut samples = Vec::with_capacity(TRIPS);
    for trip in 0..TRIPS {
        let (word, state) = if trip % 2 == 0 {
            ("OPEN", BreakerState::Open)
        } else {
            ("CLOSED", BreakerState::Closed)
        };
        let started = Instant::now();
        client
            .post(&control)
            .json(&json!({"breakers": {"exchange_api": {"state": word}}}))
            .send()
            .await
            .expect("control");
        next_matching(&mut events, |s| {
            breaker_state(s, "exchange_api") == Some(state)
        })
        .await;
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "stream latency over {TRIPS} trips (fleet change → engine event): median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&samples, 0.5).as_secs_f64() * 1000.0,
        percentile(&samples, 0.95).as_secs_f64() * 1000.0,
        percentile(&samples, 0.99).as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

async fn throughput() {
    let (fleet, engine, mut events, control) = setup(1_000_000).await;
    reqwest::Client::new()
        .post(&control)
        .json(&json!({"stream_fault": "flood", "flood_per_second": 50_000}))
        .send()
        .await
        .expect("control");
    let first = next_matching(&mut events, |s| s.streams[0].received > 1000)
        .await
        .streams[0]
        .received;
    let started = Instant::now();
    let mut last = first;
    while started.elapsed() < Duration::from_secs(5) {
        last = next_matching(&mut events, |_| true).await.streams[0].received;
    }
    let rate = (last - first) as f64 / started.elapsed().as_secs_f64();
    println!("one stream session parsed {rate:.0} messages/s (the fleet offered 50,000/s)");
    engine.shutdown().await;
    fleet.shutdown().await;
}

fn main() {
    // `cargo test --benches` runs bench binaries with --bench absent: only measure when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(latency());
    runtime.block_on(throughput());
}
