//! The poll backoff, measured at a real service: under a held HTTP 500 the rounds
//! stretch by doubling up to four times the interval, and return to the interval once
//! the fault clears. (The pure function is tested in `backoff.rs`; this catches a
//! poller that stops using it.)

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::ServiceConfig;
use switchyard_core::ingress::{self, News, SourceEvent};
use switchyard_core::profiles::Profile;
use switchyard_core::sources::{http, poller};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// Long enough that a loaded machine's scheduling delay (up to ~100 ms seen at load 14 on
/// 2 cores) cannot be mistaken for a step of the backoff.
const INTERVAL_MS: i64 = 300;

/// The next `count` rounds: when each began and whether it reached the service.
async fn rounds(
    events: &mut mpsc::Receiver<SourceEvent>,
    count: usize,
) -> Vec<(DateTime<Utc>, bool)> {
    let mut rounds = Vec::new();
    while rounds.len() < count {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("a round within 10 s")
            .expect("the poller runs");
        if let News::Poll {
            observation,
            started_at,
            ..
        } = event.news
        {
            rounds.push((started_at, observation.is_reachable()));
        }
    }
    rounds
}

fn gaps_ms(rounds: &[(DateTime<Utc>, bool)]) -> Vec<i64> {
    rounds
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).num_milliseconds())
        .collect()
}

/// A gap of `expected` ms within the ±10 % jitter, plus what a round and a loaded
/// machine add (never less: a sleep does not end early).
fn near(gap: i64, expected: i64) -> bool {
    gap >= expected * 9 / 10 && gap <= expected * 11 / 10 + 150
}

async fn health_requests(base_url: &str) -> u64 {
    let state: Value = reqwest::get(format!("{base_url}/_fleet/state"))
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    state["health_requests"].as_u64().expect("a count")
}

#[tokio::test]
async fn a_held_500_stretches_polls_up_to_four_times_the_interval_then_they_recover() {
    let fleet = steady_fleet(&["flaky"]).await;
    let base_url = base_url(&fleet, "flaky");
    set(&fleet, "flaky", json!({ "fault": "http_500" })).await;
    let mut service = ServiceConfig::new("flaky", &base_url, Some(Profile::HealthContract));
    service.poll_interval = Duration::from_millis(INTERVAL_MS as u64);
    service.timeout = Duration::from_millis(500);
    let (sender, mut events) = ingress::channel();
    let shutdown = CancellationToken::new();
    tokio::spawn(poller::run(
        http::build_client(),
        service,
        Duration::ZERO,
        Arc::new(SystemClock),
        sender,
        Arc::new(Notify::new()),
        shutdown.clone(),
    ));

    let failing = rounds(&mut events, 6).await;
    assert!(failing.iter().all(|(_, reached)| !reached));
    // Read before the seventh round (1.2 s away): one request per round, no retries.
    assert_eq!(health_requests(&base_url).await, 6);
    let gaps = gaps_ms(&failing);
    let expected = [2, 4, 4, 4, 4].map(|k| k * INTERVAL_MS);
    assert!(
        gaps.iter().zip(expected).all(|(gap, e)| near(*gap, e)),
        "gaps {gaps:?} ms, expected about {expected:?}"
    );

    set(&fleet, "flaky", json!({ "fault": "none" })).await;
    // Skip what was in flight until the first round that reaches the service.
    loop {
        if rounds(&mut events, 1).await[0].1 {
            break;
        }
    }
    let healthy = rounds(&mut events, 4).await;
    assert!(healthy.iter().all(|(_, reached)| *reached));
    let gaps = gaps_ms(&healthy);
    assert!(
        gaps.iter().all(|gap| near(*gap, INTERVAL_MS)),
        "gaps after recovery {gaps:?} ms, expected about {INTERVAL_MS}"
    );
    shutdown.cancel();
}
