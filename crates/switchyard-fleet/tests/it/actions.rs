//! The record of write requests (`"actions"` in `/_fleet/state`) and the
//! `ignore_resets` control, which the console's action tests stand on.

use reqwest::StatusCode;
use serde_json::json;
use switchyard_fleet::Profile;

use crate::support::{client, get, ok_json, post, quiet, set, state};

#[tokio::test]
async fn write_requests_are_recorded_with_their_reason_and_reads_are_not() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let _ = get(&service, "/api/circuit-breakers/stats").await;
    let response = client()
        .post(format!(
            "{}/api/circuit-breakers/exchange_api/reset?note=1",
            service.base_url
        ))
        .header("X-Switchyard-Reason", "upstream fixed, caf%C3%A9")
        .send()
        .await
        .expect("the service answers");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = post(&service, "/api/cache/clear", "").await;
    assert_eq!(status, StatusCode::OK);

    let actions = state(&service).await["actions"].clone();
    let actions = actions.as_array().cloned().unwrap_or_default();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0]["method"], "POST");
    assert_eq!(
        actions[0]["path"],
        "/api/circuit-breakers/exchange_api/reset"
    );
    assert_eq!(actions[0]["query"], "note=1");
    assert_eq!(actions[0]["reason"], "upstream fixed, café");
    assert!(actions[0]["at"]
        .as_str()
        .is_some_and(|at| at.ends_with('Z')));
    assert_eq!(actions[1]["path"], "/api/cache/clear");
    assert_eq!(actions[1]["reason"], serde_json::Value::Null);
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_write_that_hits_a_fault_is_still_recorded() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    set(
        &service,
        json!({"fault": "http_500", "endpoint": "/api/circuit-breakers/redis/reset"}),
    )
    .await;
    let (status, _) = post(&service, "/api/circuit-breakers/redis/reset", "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let actions = state(&service).await["actions"].clone();
    assert_eq!(actions.as_array().map(Vec::len), Some(1));
    assert_eq!(actions[0]["path"], "/api/circuit-breakers/redis/reset");
    fleet.shutdown().await;
}

#[tokio::test]
async fn ignored_registry_resets_answer_success_and_change_nothing() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let answer = set(
        &service,
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}, "ignore_resets": true}),
    )
    .await;
    assert_eq!(answer["ignore_resets"], true);
    let (status, document) = post(&service, "/api/circuit-breakers/exchange_api/reset", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["state"], "OPEN");
    let breaker = ok_json(&service, "/api/circuit-breakers/exchange_api").await;
    assert_eq!(breaker["state"], "OPEN");

    set(&service, json!({"ignore_resets": false})).await;
    let (_, document) = post(&service, "/api/circuit-breakers/exchange_api/reset", "").await;
    assert_eq!(document["state"], "CLOSED");
    fleet.shutdown().await;
}

#[tokio::test]
async fn ignored_single_breaker_resets_keep_the_guard_and_the_halt() {
    let (fleet, service) = quiet(Profile::SingleBreaker).await;
    set(&service, json!({"ignore_resets": true})).await;
    // The guard still answers 409 when the halt is not active.
    let (status, _) = post(&service, "/api/circuit-breaker/reset", "").await;
    assert_eq!(status, StatusCode::CONFLICT);
    set(
        &service,
        json!({"single_breaker": {"active": true, "reason": "max drawdown"}}),
    )
    .await;
    let (status, answer) = post(&service, "/api/circuit-breaker/reset", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "ok");
    let status = ok_json(&service, "/api/circuit-breaker/status").await;
    assert_eq!(status["circuit_breaker"]["active"], true);
    // Resuming the script forgets the control, not the record of requests.
    let (_, resumed) = post(&service, "/_fleet/script", r#"{"running": true}"#).await;
    assert_eq!(resumed["ignore_resets"], false);
    assert_eq!(resumed["actions"].as_array().map(Vec::len), Some(2));
    fleet.shutdown().await;
}
