//! Each injected fault gives `GET /health` the promised answer.

use std::time::{Duration, Instant};

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::support::{get, health, post, set, state, steady};

#[tokio::test]
async fn http_500_answers_500_with_text() {
    let (fleet, service) = steady("broken").await;
    set(&service, json!({"fault": "http_500"})).await;
    let response = get(&service, "/health").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or("");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(!response.text().await.expect("a body").is_empty());
    fleet.shutdown().await;
}

#[tokio::test]
async fn malformed_answers_200_with_a_body_that_is_not_json() {
    let (fleet, service) = steady("garbled").await;
    set(&service, json!({"fault": "malformed"})).await;
    let response = get(&service, "/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.expect("a body");
    assert!(!body.is_empty());
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    fleet.shutdown().await;
}

#[tokio::test]
async fn wrong_type_answers_json_with_wrongly_typed_fields() {
    let (fleet, service) = steady("confused").await;
    set(&service, json!({"fault": "wrong_type"})).await;
    let document = health(&service).await;
    assert!(document["status"].is_number(), "{document}");
    assert!(document["dependencies"].is_string(), "{document}");
    assert_eq!(document["service"], "confused");
    fleet.shutdown().await;
}

#[tokio::test]
async fn huge_answers_fifty_mebibytes_of_valid_json_with_content_length() {
    let (fleet, service) = steady("bloated").await;
    set(&service, json!({"fault": "huge"})).await;
    let response = get(&service, "/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let length: usize = response.headers()[header::CONTENT_LENGTH]
        .to_str()
        .expect("ASCII")
        .parse()
        .expect("a number");
    assert_eq!(length, 50 * 1024 * 1024);
    let body = response.bytes().await.expect("a body");
    assert_eq!(body.len(), length);
    let document: Value = serde_json::from_slice(&body).expect("still valid JSON");
    assert_eq!(document["status"], "OK");
    fleet.shutdown().await;
}

#[tokio::test]
async fn slow_waits_delay_ms_before_answering() {
    let (fleet, service) = steady("sluggish").await;
    set(&service, json!({"fault": "slow", "delay_ms": 300})).await;
    let started = Instant::now();
    let document = health(&service).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(document["status"], "OK");
    fleet.shutdown().await;
}

#[tokio::test]
async fn slow_defaults_to_ten_seconds() {
    let (fleet, service) = steady("stuck").await;
    let answer = set(&service, json!({"fault": "slow"})).await;
    assert_eq!(answer["delay_ms"], 10_000);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("the client builds");
    let error = client
        .get(format!("{}/health", service.base_url))
        .send()
        .await
        .expect_err("the answer takes longer than the timeout");
    assert!(error.is_timeout(), "{error}");
    // Dropping aborts the request still waiting out its delay.
    drop(fleet);
}

#[tokio::test]
async fn unauthorized_answers_401() {
    let (fleet, service) = steady("guarded").await;
    set(&service, json!({"fault": "unauthorized"})).await;
    assert_eq!(
        get(&service, "/health").await.status(),
        StatusCode::UNAUTHORIZED
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn rate_limited_answers_429_with_retry_after() {
    let (fleet, service) = steady("throttled").await;
    set(&service, json!({"fault": "rate_limited"})).await;
    let response = get(&service, "/health").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");

    set(&service, json!({"retry_after_seconds": 7})).await;
    let response = get(&service, "/health").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    fleet.shutdown().await;
}

#[tokio::test]
async fn fault_none_and_resuming_clear_the_fault() {
    let (fleet, service) = steady("recovering").await;
    set(&service, json!({"fault": "HTTP-500"})).await;
    assert_eq!(
        get(&service, "/health").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    set(&service, json!({"fault": "none"})).await;
    assert_eq!(health(&service).await["status"], "OK");

    set(&service, json!({"fault": "unauthorized"})).await;
    let (status, answer) = post(&service, "/_fleet/script", r#"{"running": true}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["fault"], "none");
    assert_eq!(health(&service).await["status"], "OK");
    // Every poll counted, whatever it answered.
    assert_eq!(state(&service).await["health_requests"], 3);
    fleet.shutdown().await;
}
