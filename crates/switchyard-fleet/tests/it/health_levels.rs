//! `health-levels` (docs/contracts.md): liveness, readiness, detail, and the
//! event metrics behind `X-Internal-Key`.

use reqwest::StatusCode;
use serde_json::json;
use switchyard_fleet::Profile;

use crate::support::{client, ok_json, quiet, set, state};

#[tokio::test]
async fn liveness_readiness_and_detail_have_the_contract_fields() {
    let (fleet, service) = quiet(Profile::HealthLevels).await;
    assert_eq!(service.profile, "health-levels");
    assert_eq!(
        ok_json(&service, "/health").await,
        json!({"status": "healthy"})
    );

    let ready = ok_json(&service, "/health/ready").await;
    assert_eq!(ready["status"], "healthy");
    for name in ["database", "cache", "event_pipeline"] {
        assert_eq!(ready["dependencies"][name]["status"], "healthy", "{name}");
    }

    let detailed = ok_json(&service, "/health/detailed").await;
    assert_eq!(detailed["status"], "healthy");
    let dependencies = &detailed["dependencies"];
    assert!(dependencies["database"]["latency_ms"].is_number());
    let stats = &dependencies["cache"]["stats"];
    assert_eq!(stats["hit_rate"], 0.85, "a ratio here");
    for field in ["total_keys", "hits", "misses", "memory_mb"] {
        assert!(stats[field].is_number(), "cache.stats.{field}");
    }
    let pipeline = &dependencies["event_pipeline"];
    assert_eq!(pipeline["status"], "healthy");
    assert_eq!(pipeline["queue_size"], 50);
    assert!(pipeline["throughput_per_second"].is_f64());
    assert_eq!(pipeline["backpressure_active"], false);
    fleet.shutdown().await;
}

#[tokio::test]
async fn event_metrics_need_the_fleet_internal_key() {
    let (fleet, service) = quiet(Profile::HealthLevels).await;
    let url = format!("{}/internal/events/metrics", service.base_url);
    let without = client().get(&url).send().await.expect("an answer");
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    let wrong = client()
        .get(&url)
        .header("X-Internal-Key", "guess")
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    assert!(fleet.internal_key().len() >= 32);
    let right = client()
        .get(&url)
        .header("X-Internal-Key", fleet.internal_key())
        .send()
        .await
        .expect("an answer");
    assert_eq!(right.status(), StatusCode::OK);
    let metrics: serde_json::Value = right.json().await.expect("JSON");
    for field in [
        "events_processed",
        "events_failed",
        "events_in_queue",
        "avg_processing_time_ms",
        "throughput_per_second",
        "worker_utilization",
        "queue_capacity",
        "dead_letter_count",
    ] {
        assert!(metrics[field].is_number(), "{field}: {metrics}");
    }
    assert_eq!(metrics["backpressure_active"], false);
    assert_eq!(metrics["queue_capacity"], 1000);
    // Every attempt counted, refused or not.
    assert_eq!(
        state(&service).await["requests"]["/internal/events/metrics"],
        3
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn control_sets_queue_cache_and_statuses() {
    let (fleet, service) = quiet(Profile::HealthLevels).await;
    let answer = set(
        &service,
        json!({"queue": {"depth": 900, "capacity": 1000}, "cache": {"hit_rate": 0.42}}),
    )
    .await;
    assert_eq!(answer["queue"]["backpressure_active"], true);
    assert_eq!(answer["pinned"], true);

    let metrics = client()
        .get(format!("{}/internal/events/metrics", service.base_url))
        .header("X-Internal-Key", fleet.internal_key())
        .send()
        .await
        .expect("an answer")
        .json::<serde_json::Value>()
        .await
        .expect("JSON");
    assert_eq!(metrics["events_in_queue"], 900);
    assert_eq!(metrics["backpressure_active"], true);

    let detailed = ok_json(&service, "/health/detailed").await;
    assert_eq!(detailed["status"], "degraded");
    assert_eq!(detailed["dependencies"]["cache"]["stats"]["hit_rate"], 0.42);
    assert_eq!(
        detailed["dependencies"]["event_pipeline"]["status"],
        "degraded"
    );

    set(
        &service,
        json!({"dependencies": {"database": {"status": "unhealthy", "error": "connection refused"}}}),
    )
    .await;
    let ready = ok_json(&service, "/health/ready").await;
    assert_eq!(ready["status"], "unhealthy");
    assert_eq!(
        ready["dependencies"]["database"]["error"],
        "connection refused"
    );
    // Liveness says nothing about dependencies.
    assert_eq!(ok_json(&service, "/health").await["status"], "healthy");
    fleet.shutdown().await;
}

#[tokio::test]
async fn fields_of_other_profiles_are_refused() {
    let (fleet, service) = quiet(Profile::HealthLevels).await;
    for body in [
        json!({"breakers": {"x": {"state": "OPEN"}}}),
        json!({"status": "up"}),
        json!({"dependencies": {"redis": {"status": "healthy"}}}),
        json!({"cache": {"hit_rate": 42}}),
    ] {
        let (status, answer) =
            crate::support::post(&service, "/_fleet/set", &body.to_string()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(answer["error"].is_string());
    }
    assert_eq!(state(&service).await["pinned"], false, "nothing changed");
    fleet.shutdown().await;
}
