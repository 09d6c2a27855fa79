//! `single-breaker` (docs/contracts.md): status, the guarded reset and its
//! history.

use reqwest::StatusCode;
use serde_json::json;
use switchyard_fleet::Profile;

use crate::support::{ok_json, post, quiet, set};

#[tokio::test]
async fn status_shows_an_inactive_breaker() {
    let (fleet, service) = quiet(Profile::SingleBreaker).await;
    let status = ok_json(&service, "/api/circuit-breaker/status").await;
    assert_eq!(status["status"], "ok");
    let breaker = &status["circuit_breaker"];
    assert_eq!(breaker["active"], false);
    assert_eq!(breaker["state"], "CLOSED");
    assert_eq!(breaker["failure_count"], 0);
    assert!(breaker.get("activated_at").is_some());
    assert!(breaker.get("reason").is_some());
    assert_eq!(
        ok_json(&service, "/api/circuit-breaker/history").await,
        json!({"history": []})
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn reset_is_refused_when_not_active_unless_overridden() {
    let (fleet, service) = quiet(Profile::SingleBreaker).await;
    let (status, answer) = post(&service, "/api/circuit-breaker/reset", "").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        answer,
        json!({"status": "error", "message": "circuit breaker not active"})
    );

    let (status, answer) = post(
        &service,
        "/api/circuit-breaker/reset?override=true&reason=Testing",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "ok");
    assert_eq!(answer["circuit_breaker"]["active"], false);

    let history = ok_json(&service, "/api/circuit-breaker/history").await;
    let entry = &history["history"][0];
    assert_eq!(entry["event"], "reset");
    assert_eq!(entry["reason"], "Testing");
    assert_eq!(entry["override"], true);
    assert!(entry["at"].is_string());
    fleet.shutdown().await;
}

#[tokio::test]
async fn an_activated_breaker_stays_until_reset_and_every_step_is_recorded() {
    let (fleet, service) = quiet(Profile::SingleBreaker).await;
    set(
        &service,
        json!({"single_breaker": {"active": true, "reason": "max drawdown", "failure_count": 5}}),
    )
    .await;
    let status = ok_json(&service, "/api/circuit-breaker/status").await;
    let breaker = &status["circuit_breaker"];
    assert_eq!(breaker["active"], true);
    assert_eq!(breaker["state"], "OPEN");
    assert_eq!(breaker["failure_count"], 5);
    assert_eq!(breaker["reason"], "max drawdown");
    let activated_at = breaker["activated_at"].as_str().expect("a timestamp");
    chrono::DateTime::parse_from_rfc3339(activated_at).expect("RFC 3339");

    let (status, answer) = post(&service, "/api/circuit-breaker/reset", "").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let status = ok_json(&service, "/api/circuit-breaker/status").await;
    assert_eq!(status["circuit_breaker"]["active"], false);

    let history = ok_json(&service, "/api/circuit-breaker/history").await;
    let events: Vec<(&str, bool)> = history["history"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| (e["event"].as_str().unwrap_or(""), e["override"] == true))
        .collect();
    assert_eq!(events, [("activated", false), ("reset", false)]);
    assert_eq!(history["history"][0]["reason"], "max drawdown");
    fleet.shutdown().await;
}
