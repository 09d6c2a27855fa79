//! Each kind of bad answer the fleet can give becomes its own precise reachability,
//! through the real HTTP poller.

use std::time::Duration;

use serde_json::json;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::ServiceConfig;
use switchyard_core::model::{Observation, Reachability};
use switchyard_core::profiles::Profile;
use switchyard_core::sources::http;
use switchyard_core::sources::poller::ServicePoller;

use crate::support::*;

fn service(base_url: String) -> ServiceConfig {
    let mut service = ServiceConfig::new("faulty", &base_url, Some(Profile::HealthContract));
    service.timeout = Duration::from_millis(500);
    service
}

async fn poll(target: &ServiceConfig) -> (Observation, Option<Duration>) {
    ServicePoller::new(target.clone())
        .poll_round(&http::build_client(), &SystemClock)
        .await
}

#[tokio::test]
async fn every_fault_gets_a_precise_reachability() {
    let fleet = steady_fleet(&["faulty"]).await;
    let target = service(base_url(&fleet, "faulty"));

    let cases = [
        (
            json!({ "fault": "malformed" }),
            "invalid_response",
            "not JSON",
        ),
        (
            json!({ "fault": "wrong_type" }),
            "invalid_response",
            "`status` is a number",
        ),
        (json!({ "fault": "huge" }), "too_large", "1 MiB cap"),
        (
            json!({ "fault": "slow", "delay_ms": 3000 }),
            "timeout",
            "did not answer within 500ms",
        ),
        (
            json!({ "fault": "unauthorized" }),
            "unauthorized",
            "HTTP 401",
        ),
        (
            json!({ "fault": "rate_limited", "retry_after_seconds": 7 }),
            "rate_limited",
            "next poll in 7s",
        ),
        (json!({ "fault": "http_500" }), "http_error", "HTTP 500"),
    ];
    for (fault, kind, says) in cases {
        set(&fleet, "faulty", fault.clone()).await;
        let (observation, retry_after) = poll(&target).await;
        assert_eq!(
            observation.reachability.kind(),
            kind,
            "{fault}: {:?}",
            observation.reachability
        );
        let message = observation.reachability.message().unwrap_or_default();
        assert!(message.contains(says), "{fault}: message was {message:?}");
        assert!(
            observation.health.is_none(),
            "{fault}: no health from an unusable answer"
        );
        if kind == "rate_limited" {
            assert_eq!(retry_after, Some(Duration::from_secs(7)));
            assert!(matches!(
                observation.reachability,
                Reachability::RateLimited { retry_after_seconds: Some(s), .. } if s == 7.0
            ));
        }
    }

    set(
        &fleet,
        "faulty",
        json!({ "fault": "none", "status": "DOWN" }),
    )
    .await;
    let (observation, _) = poll(&target).await;
    assert!(observation.is_reachable());
    assert_eq!(observation.health.unwrap().status.as_str(), "down");
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_is_refused_not_a_timeout() {
    let target = service(format!("http://127.0.0.1:{}", closed_port()));
    let (observation, _) = poll(&target).await;
    assert_eq!(observation.reachability.kind(), "refused");
}
