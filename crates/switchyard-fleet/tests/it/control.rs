//! The control endpoint pins, pauses and resumes a service.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{degraded_for_an_hour, fleet, health, post, set, state, steady};

#[tokio::test]
async fn set_down_changes_health_and_pins_it() {
    let fleet = fleet(vec![("orders", degraded_for_an_hour())]).await;
    let service = &fleet.services()[0];
    // The script drives the service until something is set.
    assert_eq!(health(service).await["status"], "DEGRADED");
    assert_eq!(state(service).await["pinned"], false);

    let answer = set(
        service,
        json!({"status": "down",
               "dependencies": {"redis": {"status": "DOWN", "latency_ms": 0.0, "error": "Connection refused"}}}),
    )
    .await;
    assert_eq!(answer["status"], "DOWN");
    assert_eq!(answer["pinned"], true);

    for _ in 0..2 {
        let document = health(service).await;
        assert_eq!(document["status"], "DOWN");
        assert_eq!(document["dependencies"]["redis"]["status"], "DOWN");
        assert_eq!(
            document["dependencies"]["redis"]["error"],
            "Connection refused"
        );
        // What was not set stays as the script had it.
        assert_eq!(document["dependencies"]["postgres"]["latency_ms"], 250.3);
    }
    let current = state(service).await;
    assert_eq!(current["pinned"], true);
    assert_eq!(current["status"], "DOWN");

    // Resuming hands the service back to its script.
    let (status, answer) = post(service, "/_fleet/script", r#"{"running": true}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["pinned"], false);
    let document = health(service).await;
    assert_eq!(document["status"], "DEGRADED");
    assert_eq!(document["dependencies"]["redis"]["status"], "OK");
    fleet.shutdown().await;
}

#[tokio::test]
async fn pausing_the_script_pins_the_current_condition() {
    let fleet = fleet(vec![("paused", degraded_for_an_hour())]).await;
    let service = &fleet.services()[0];
    let (status, answer) = post(service, "/_fleet/script", r#"{"running": false}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["pinned"], true);
    assert_eq!(answer["status"], "DEGRADED");
    assert_eq!(answer["dependencies"]["postgres"]["error"], "Slow query");
    assert_eq!(health(service).await["status"], "DEGRADED");
    fleet.shutdown().await;
}

#[tokio::test]
async fn set_answers_the_whole_state() {
    let (fleet, service) = steady("described").await;
    let answer = set(
        &service,
        json!({"dependencies": {"postgres": {"status": "DEGRADED", "latency_ms": 250.3, "error": "Slow query"}},
               "fault": "rate_limited", "retry_after_seconds": 7}),
    )
    .await;
    assert_eq!(answer["service"], "described");
    assert_eq!(answer["status"], "OK", "status is never derived");
    assert_eq!(
        answer["dependencies"]["postgres"],
        json!({"status": "DEGRADED", "latency_ms": 250.3, "error": "Slow query"})
    );
    assert_eq!(answer["fault"], "rate_limited");
    assert_eq!(answer["retry_after_seconds"], 7);
    assert_eq!(answer["delay_ms"], 10_000);
    assert_eq!(answer["health_requests"], 0);
    assert!(answer["uptime_seconds"].is_number());
    // `GET /_fleet/state` shows the same, apart from the clock.
    let mut current = state(&service).await;
    let mut answer = answer;
    for view in [&mut current, &mut answer] {
        view.as_object_mut()
            .map(|view| view.remove("uptime_seconds"));
    }
    assert_eq!(current, answer);
    fleet.shutdown().await;
}

#[tokio::test]
async fn bad_bodies_get_400_and_change_nothing() {
    let (fleet, service) = steady("strict").await;
    for (path, body) in [
        ("/_fleet/set", "not json"),
        ("/_fleet/set", r#"{"status": "up"}"#),
        ("/_fleet/set", r#"{"fault": "explode"}"#),
        ("/_fleet/set", r#"{"stauts": "DOWN"}"#),
        (
            "/_fleet/set",
            r#"{"dependencies": {"redis": {"latency_ms": -1}}}"#,
        ),
        ("/_fleet/script", r#"{}"#),
        ("/_fleet/script", r#"{"running": "yes"}"#),
    ] {
        let (status, answer) = post(&service, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
        assert!(answer["error"].is_string(), "{path} {body}: {answer}");
    }
    let current = state(&service).await;
    assert_eq!(current["pinned"], false);
    assert_eq!(current["fault"], "none");
    fleet.shutdown().await;
}
