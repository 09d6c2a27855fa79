//! `emergency-controls` (docs/contracts.md): health with components and the
//! per-operation breakers, read-only.

use reqwest::StatusCode;
use serde_json::json;
use switchyard_fleet::Profile;

use crate::support::{ok_json, post, quiet, set};

#[tokio::test]
async fn health_has_components_and_websocket_count() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    let health = ok_json(&service, "/health").await;
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["components"]["Redis"]["status"], "connected");
    assert!(health["components"]["Redis"]["latency_ms"].is_number());
    assert_eq!(health["websocket_active"], 14);
    fleet.shutdown().await;
}

#[tokio::test]
async fn emergency_status_lists_per_operation_breakers() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    let status = ok_json(&service, "/api/v1/admin/emergency/status").await;
    assert_eq!(status["max_failures"], 5);
    assert_eq!(status["timeout_seconds"], 60);
    for operation in ["swap", "withdraw", "deposit"] {
        let breaker = &status["breakers"][operation];
        assert_eq!(breaker["state"], "CLOSED", "{operation}");
        assert_eq!(breaker["failures"], 0, "{operation}");
        assert!(breaker.get("last_failure").is_some(), "{operation}");
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn control_opens_breakers_and_disconnects_components() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    set(
        &service,
        json!({"breakers": {"swap": {"state": "OPEN", "failures": 5}},
               "components": {"Redis": {"status": "disconnected", "latency_ms": 0}},
               "websocket_active": 101}),
    )
    .await;
    let status = ok_json(&service, "/api/v1/admin/emergency/status").await;
    assert_eq!(status["breakers"]["swap"]["state"], "OPEN");
    assert_eq!(status["breakers"]["swap"]["failures"], 5);
    assert!(status["breakers"]["swap"]["last_failure"].is_string());
    let health = ok_json(&service, "/health").await;
    assert_eq!(health["status"], "unhealthy");
    assert_eq!(health["components"]["Redis"]["status"], "disconnected");
    assert_eq!(health["websocket_active"], 101);
    fleet.shutdown().await;
}

#[tokio::test]
async fn there_is_no_reset_endpoint() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    let (status, _) = post(&service, "/api/v1/admin/emergency/status", "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = post(&service, "/api/v1/admin/emergency/reset", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    fleet.shutdown().await;
}
