//! Faults on any profile: confined to one endpoint or everywhere, the
//! streaming ones (hang, close_mid_body, huge, huge_chunked, drip), any
//! status code, and none of them taking down the server or its neighbours.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde_json::json;
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

use crate::support::{client, get, get_json, ok_json, quiet, set, state};

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn a_fault_confined_to_an_endpoint_leaves_the_others_alone() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let answer = set(
        &service,
        json!({"fault": "http_500", "endpoint": "/api/cache/stats"}),
    )
    .await;
    assert_eq!(answer["fault"], "none");
    assert_eq!(answer["faults"]["/api/cache/stats"], "http_500");
    let (status, _) = get_json(&service, "/api/cache/stats").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    ok_json(&service, "/api/circuit-breakers/stats").await;

    // Without an endpoint: every path, replacing the confined fault.
    set(&service, json!({"fault": "unauthorized"})).await;
    for path in ["/api/cache/stats", "/api/circuit-breakers/stats"] {
        assert_eq!(get(&service, path).await.status(), StatusCode::UNAUTHORIZED);
    }
    // The control endpoints are never faulted.
    assert_eq!(state(&service).await["fault"], "unauthorized");
    fleet.shutdown().await;
}

#[tokio::test]
async fn status_answers_any_code() {
    let (fleet, service) = quiet(Profile::SingleBreaker).await;
    set(&service, json!({"fault": "status", "status_code": 418})).await;
    let (status, body) = get_json(&service, "/api/circuit-breaker/status").await;
    assert_eq!(status, StatusCode::IM_A_TEAPOT);
    assert!(body["error"].is_string());
    set(&service, json!({"status_code": 503})).await;
    let (status, _) = get_json(&service, "/api/circuit-breaker/history").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    fleet.shutdown().await;
}

#[tokio::test]
async fn hang_never_answers_so_the_client_times_out() {
    let (fleet, service) = quiet(Profile::HealthLevels).await;
    set(
        &service,
        json!({"fault": "hang", "endpoint": "/health/ready"}),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("the client builds");
    let error = impatient
        .get(format!("{}/health/ready", service.base_url))
        .send()
        .await
        .expect_err("no answer comes");
    assert!(error.is_timeout(), "{error}");
    // The rest of the service is fine, and shutdown does not wait for the hung request.
    ok_json(&service, "/health").await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn close_mid_body_sends_headers_and_part_of_the_body() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    set(&service, json!({"fault": "close_mid_body"})).await;
    let response = get(&service, "/api/v1/admin/emergency/status").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.content_length().is_some_and(|length| length > 0));
    let error = response
        .bytes()
        .await
        .expect_err("the connection drops before the body ends");
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    fleet.shutdown().await;
}

#[tokio::test]
async fn huge_is_fifty_mebibytes_with_content_length_and_can_be_dropped_early() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    set(
        &service,
        json!({"fault": "huge", "endpoint": "/api/circuit-breakers/stats"}),
    )
    .await;
    let mut response = get(&service, "/api/circuit-breakers/stats").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(52_428_800));
    assert_eq!(response.headers()[header::CONTENT_LENGTH], "52428800");
    let mut read = 0;
    while read < MIB {
        let chunk = response.chunk().await.expect("the body streams");
        read += chunk.expect("more body").len();
    }
    // A client that has seen enough hangs up; the server carries on.
    drop(response);
    ok_json(&service, "/api/cache/stats").await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn huge_chunked_has_no_content_length() {
    let (fleet, service) = quiet(Profile::SingleBreaker).await;
    set(&service, json!({"fault": "huge_chunked"})).await;
    let mut response = get(&service, "/api/circuit-breaker/status").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), None);
    assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
    assert_eq!(response.headers()[header::TRANSFER_ENCODING], "chunked");
    let mut read = 0;
    while read < MIB {
        read += response
            .chunk()
            .await
            .expect("the body streams")
            .expect("more body")
            .len();
    }
    drop(response);
    fleet.shutdown().await;
}

#[tokio::test]
async fn drip_sends_the_first_byte_but_not_the_body_within_two_seconds() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    set(&service, json!({"fault": "drip", "endpoint": "/health"})).await;
    let mut response = get(&service, "/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let length = response.content_length().expect("a Content-Length");
    let first = response.chunk().await.expect("a byte").expect("a byte");
    assert_eq!(first.as_ref(), b"{");
    let rest = tokio::time::timeout(Duration::from_secs(2), async {
        let mut read = first.len() as u64;
        while let Ok(Some(chunk)) = response.chunk().await {
            read += chunk.len() as u64;
        }
        read
    })
    .await;
    assert!(rest.is_err(), "{length} bytes arrived within 2 s");
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_faulty_service_does_not_disturb_its_neighbours() {
    let fleet = Fleet::start(FleetSpec {
        services: vec![
            ServiceSpec::quiet(Profile::BreakerRegistry, "faulty"),
            ServiceSpec::quiet(Profile::BreakerRegistry, "neighbour"),
        ],
    })
    .await
    .expect("the fleet starts");
    let (faulty, neighbour) = (&fleet.services()[0], &fleet.services()[1]);
    set(faulty, json!({"fault": "hang"})).await;
    let hung = {
        let url = format!("{}/api/cache/stats", faulty.base_url);
        tokio::spawn(async move { client().get(url).send().await })
    };
    ok_json(neighbour, "/api/cache/stats").await;
    assert_eq!(state(neighbour).await["fault"], "none");
    // Shutdown releases the hung request instead of waiting it out.
    fleet.shutdown().await;
    let released = hung.await.expect("the task ends");
    assert!(released.is_err() || released.is_ok_and(|r| r.status().is_server_error()));
}
