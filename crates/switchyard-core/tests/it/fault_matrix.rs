//! The fault matrix: every fault the fleet can inject, on one service among several.
//! For each: the faulty service gets the precise reachability of docs/contracts.md within its
//! timeout, keeps its last good values, every other service goes on updating, and
//! nothing in the process panics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::engine::EngineHandle;
use switchyard_core::model::Reachability;
use switchyard_fleet::{Fleet, FleetSpec, Profile as SimProfile, ServiceSpec};

use crate::support::{base_url, health_word, reachability_kind, set, wait_for, PATIENCE};

const VICTIM: &str = "victim";
const BYSTANDERS: [&str; 5] = ["bystander", "events", "registry", "halt", "wallet"];
const INTERVAL: Duration = Duration::from_millis(300);
const TIMEOUT: Duration = Duration::from_millis(200);

/// Records every panic in product code (any crate's `src/`) while the test runs.
fn watch_for_panics() -> Arc<Mutex<Vec<String>>> {
    let panics = Arc::new(Mutex::new(Vec::new()));
    let seen = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Product code only: other tests in this binary fail by panicking in test files.
        let in_product = info.location().is_some_and(|l| l.file().contains("/src/"));
        if in_product {
            if let Ok(mut list) = seen.lock() {
                list.push(info.to_string());
            }
        }
        previous(info);
    }));
    panics
}

async fn health_requests(fleet: &Fleet) -> u64 {
    let state: Value = reqwest::get(format!("{}/_fleet/state", base_url(fleet, VICTIM)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state["requests"]["/health"].as_u64().unwrap_or(0)
}

/// Waits until every bystander has sent `rounds` more updates.
async fn bystanders_keep_updating(
    events: &mut crate::support::Events,
    rounds: usize,
    during: &str,
) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let outcome = tokio::time::timeout(PATIENCE, async {
        while BYSTANDERS
            .iter()
            .any(|b| counts.get(*b).copied().unwrap_or(0) < rounds)
        {
            let Some(delta) = events.fleet.next().await else {
                panic!("engine stopped during {during}")
            };
            for state in &delta.services {
                let fresh = state.latest.as_ref().is_some_and(|o| o.is_reachable());
                if state.name != VICTIM && fresh {
                    *counts.entry(state.name.clone()).or_default() += 1;
                }
            }
        }
    })
    .await;
    assert!(
        outcome.is_ok(),
        "bystanders stalled during {during}: {counts:?}"
    );
}

#[tokio::test]
async fn every_fault_marks_one_service_and_spares_the_rest() {
    let panics = watch_for_panics();
    let fleet = Fleet::start(FleetSpec {
        services: vec![
            ServiceSpec::quiet(SimProfile::HealthContract, VICTIM),
            ServiceSpec::quiet(SimProfile::HealthContract, "bystander"),
            ServiceSpec::quiet(SimProfile::HealthLevels, "events"),
            ServiceSpec::quiet(SimProfile::BreakerRegistry, "registry"),
            ServiceSpec::quiet(SimProfile::SingleBreaker, "halt"),
            ServiceSpec::quiet(SimProfile::EmergencyControls, "wallet"),
        ],
    })
    .await
    .unwrap();
    let config = Config::parse(&fleet.config_toml("300ms", "200ms")).unwrap();
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);
    wait_for(&mut events, VICTIM, "a first good poll", |s| {
        health_word(s) == Some("ok")
    })
    .await;

    // (fault body, expected kind, what the message must say)
    let matrix = [
        (
            json!({"fault": "hang"}),
            "timeout",
            "did not answer within 200ms",
        ),
        (
            json!({"fault": "slow", "delay_ms": 1000}),
            "timeout",
            "did not answer within 200ms",
        ),
        (
            json!({"fault": "drip"}),
            "timeout",
            "did not answer within 200ms",
        ),
        (
            json!({"fault": "close_mid_body"}),
            "invalid_response",
            "broke off",
        ),
        (
            json!({"fault": "status", "status_code": 418}),
            "http_error",
            "HTTP 418",
        ),
        (json!({"fault": "http_500"}), "http_error", "HTTP 500"),
        (
            json!({"fault": "malformed"}),
            "invalid_response",
            "not JSON",
        ),
        (
            json!({"fault": "wrong_type"}),
            "invalid_response",
            "is a number, expected a string",
        ),
        (json!({"fault": "huge"}), "too_large", "over the 1 MiB cap"),
        (
            json!({"fault": "huge_chunked"}),
            "too_large",
            "over the 1 MiB cap",
        ),
        (json!({"fault": "unauthorized"}), "unauthorized", "HTTP 401"),
        (
            json!({"fault": "rate_limited", "retry_after_seconds": 2}),
            "rate_limited",
            "next poll in 2s",
        ),
    ];
    for (fault, kind, says) in matrix {
        let started = Instant::now();
        set(&fleet, VICTIM, fault.clone()).await;
        let marked = wait_for(&mut events, VICTIM, kind, |s| {
            reachability_kind(s) == Some(kind)
        })
        .await;
        let took = started.elapsed();
        // The next poll starts within an interval (+10 % jitter) and ends within the timeout.
        let bound = INTERVAL.mul_f64(1.1) + TIMEOUT + Duration::from_millis(700);
        assert!(
            took <= bound,
            "{fault}: marked after {took:?}, bound {bound:?}"
        );

        let latest = marked.latest.as_ref().unwrap();
        let message = latest.reachability.message().unwrap_or_default();
        assert!(message.contains(says), "{fault}: message {message:?}");
        let good = marked
            .last_good
            .as_ref()
            .expect("last good values are kept");
        assert_eq!(good.health.as_ref().map(|h| h.status.as_str()), Some("ok"));
        assert!(
            good.observed_at < latest.observed_at,
            "{fault}: the kept values are older, with their age"
        );

        if let Reachability::RateLimited { .. } = latest.reachability {
            // Retry-After is a floor: the next request comes no sooner, and only one comes.
            let before = health_requests(&fleet).await;
            let next = wait_for(
                &mut events,
                VICTIM,
                "the next poll after Retry-After",
                |_| true,
            )
            .await;
            let gap = next.latest.as_ref().unwrap().observed_at - latest.observed_at;
            assert!(
                gap >= chrono::Duration::milliseconds(2000),
                "polled again after {gap}"
            );
            assert_eq!(health_requests(&fleet).await, before + 1);
        }

        bystanders_keep_updating(&mut events, 2, &fault.to_string()).await;
        set(&fleet, VICTIM, json!({"fault": "none"})).await;
        wait_for(&mut events, VICTIM, "recovery", |s| {
            health_word(s) == Some("ok")
        })
        .await;
    }

    engine.shutdown().await;
    fleet.shutdown().await;
    let panics = panics.lock().unwrap().clone();
    assert!(
        panics.is_empty(),
        "panics during the fault matrix: {panics:#?}"
    );
}
