//! `breaker-registry` (docs/contracts.md): breakers and resets, cache,
//! metrics, alert thresholds, health score, WebSocket statistics and the
//! rate budget.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use switchyard_fleet::Profile;

use crate::support::{delete, get, get_json, ok_json, post, quiet, set, state};

const BREAKER_FIELDS: [&str; 8] = [
    "name",
    "state",
    "failure_count",
    "success_count",
    "current_backoff_seconds",
    "success_rate",
    "health_score",
    "last_failure_time",
];

#[tokio::test]
async fn breakers_are_listed_with_the_contract_fields() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let stats = ok_json(&service, "/api/circuit-breakers/stats").await;
    let breakers = stats["breakers"].as_object().expect("a breakers object");
    assert!(breakers.contains_key("exchange_api"));
    for (name, breaker) in breakers {
        for field in BREAKER_FIELDS {
            assert!(breaker.get(field).is_some(), "{name}.{field}");
        }
        assert_eq!(breaker["name"], name.as_str());
        assert_eq!(breaker["state"], "CLOSED");
    }
    let one = ok_json(&service, "/api/circuit-breakers/exchange_api").await;
    assert_eq!(one, stats["breakers"]["exchange_api"]);
    let (status, _) = get_json(&service, "/api/circuit-breakers/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    fleet.shutdown().await;
}

#[tokio::test]
async fn control_opens_a_breaker_and_reset_closes_it() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    set(
        &service,
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await;
    let breaker = ok_json(&service, "/api/circuit-breakers/exchange_api").await;
    assert_eq!(breaker["state"], "OPEN");
    assert_eq!(breaker["failure_count"], 7);
    // Timeout 30 s × 2^(7 − 5).
    assert_eq!(breaker["current_backoff_seconds"], 120.0);
    assert!(breaker["last_failure_time"].is_string());
    let score = ok_json(&service, "/api/metrics/health-score").await["health_score"]
        .as_u64()
        .expect("a number");
    assert!(score < 100, "{score}");

    let (status, reset) = post(&service, "/api/circuit-breakers/exchange_api/reset", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reset["name"], "exchange_api");
    assert_eq!(reset["state"], "CLOSED");
    assert_eq!(reset["failure_count"], 0);
    let stats = ok_json(&service, "/api/circuit-breakers/stats").await;
    assert_eq!(stats["breakers"]["exchange_api"]["state"], "CLOSED");
    let (status, _) = post(&service, "/api/circuit-breakers/nope/reset", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    fleet.shutdown().await;
}

#[tokio::test]
async fn cache_stats_are_percentages_and_clear_and_invalidate_work() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let stats = ok_json(&service, "/api/cache/stats").await;
    assert_eq!(
        stats,
        json!({"hits": 8500, "misses": 1500, "hit_rate": 85.0, "keys": 1234, "memory_mb": 50.2})
    );
    let (status, answer) = post(
        &service,
        "/api/cache/invalidate/pattern",
        r#"{"pattern": "market_data:*"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"invalidated": 500}));
    let (status, _) = post(&service, "/api/cache/invalidate/pattern", r#"{"glob": 1}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    set(&service, json!({"cache": {"hit_rate": 0.42}})).await;
    assert_eq!(
        ok_json(&service, "/api/cache/stats").await["hit_rate"],
        42.0
    );
    assert_eq!(
        ok_json(&service, "/api/metrics/current").await["cache_hit_rate"],
        42.0
    );

    let (status, _) = post(&service, "/api/cache/clear", "").await;
    assert_eq!(status, StatusCode::OK);
    let cleared = ok_json(&service, "/api/cache/stats").await;
    assert_eq!(cleared["hit_rate"], 0.0);
    assert_eq!(cleared["keys"], 0);
    fleet.shutdown().await;
}

#[tokio::test]
async fn metrics_alerts_and_thresholds() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let current = ok_json(&service, "/api/metrics/current").await;
    for field in [
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "uptime_seconds",
        "requests_total",
        "cache_hit_rate",
        "response_time_ms",
    ] {
        assert!(current[field].is_number(), "{field}");
    }
    assert_eq!(
        ok_json(&service, "/api/metrics/alerts").await,
        json!({"alerts": []})
    );
    assert_eq!(
        ok_json(&service, "/api/metrics/health-score").await,
        json!({"health_score": 100})
    );

    set(&service, json!({"system": {"cpu_percent": 91.0}})).await;
    let alerts = ok_json(&service, "/api/metrics/alerts").await;
    let alert = &alerts["alerts"][0];
    assert_eq!(alert["metric"], "cpu_percent");
    assert_eq!(alert["value"], 91.0);
    assert_eq!(alert["threshold"], 80.0);
    assert_eq!(alert["severity"], "high");
    assert!(alert["since"].is_string());

    let thresholds = ok_json(&service, "/api/metrics/alerts/thresholds").await;
    assert_eq!(
        thresholds["thresholds"][1],
        json!({"metric": "memory_percent", "operator": ">", "value": 90, "severity": "critical"})
    );
    assert_eq!(thresholds["thresholds"].as_array().map(Vec::len), Some(3));

    let added =
        json!({"metric": "response_time_ms", "operator": ">", "value": 50, "severity": "low"});
    let (status, answer) = post(
        &service,
        "/api/metrics/alerts/thresholds",
        &added.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(answer, added);
    let thresholds = ok_json(&service, "/api/metrics/alerts/thresholds").await;
    assert_eq!(thresholds["thresholds"].as_array().map(Vec::len), Some(4));
    let (status, _) = post(
        &service,
        "/api/metrics/alerts/thresholds",
        r#"{"metric": "cpu_percent", "operator": "~", "value": 1, "severity": "low"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let path = "/api/metrics/alerts/thresholds/cpu_percent";
    assert_eq!(delete(&service, path).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(&service, path).await, StatusCode::NOT_FOUND);
    // No rule, no alert.
    assert_eq!(
        ok_json(&service, "/api/metrics/alerts").await,
        json!({"alerts": []})
    );
    fleet.shutdown().await;
}

/// Counted from live connections (see `streams_registry`), unless pinned.
#[tokio::test]
async fn ws_stats_are_served_and_settable() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let stats = ok_json(&service, "/api/ws/stats").await;
    assert_eq!(stats, json!({"active_connections": 0, "channels": {}}));
    set(
        &service,
        json!({"ws": {"active_connections": 3, "channels": {"market:BTC/USDT": 3}}}),
    )
    .await;
    assert_eq!(
        ok_json(&service, "/api/ws/stats").await,
        json!({"active_connections": 3, "channels": {"market:BTC/USDT": 3}})
    );
    fleet.shutdown().await;
}

fn header(response: &reqwest::Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

#[tokio::test]
async fn answers_carry_rate_limit_headers_and_a_budget_gives_429() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let response = get(&service, "/api/cache/stats").await;
    assert_eq!(header(&response, "x-ratelimit-limit"), Some(1000));
    assert!(header(&response, "x-ratelimit-remaining").is_some());
    assert!(header(&response, "x-ratelimit-reset").is_some());

    let answer = set(&service, json!({"rate_limit_per_second": 2})).await;
    assert_eq!(answer["rate_limit_per_second"], 2);
    let mut statuses = Vec::new();
    let mut refusal = None;
    for _ in 0..10 {
        let response = get(&service, "/api/cache/stats").await;
        if statuses.is_empty() {
            assert_eq!(header(&response, "x-ratelimit-limit"), Some(2));
        }
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refusal = Some(response);
        }
    }
    // Ten requests span at most two one-second windows: at most four pass.
    let passed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!((1..=4).contains(&passed), "{statuses:?}");
    let refusal = refusal.expect("a 429 among ten requests");
    let retry_after = header(&refusal, header::RETRY_AFTER.as_str()).expect("Retry-After");
    assert!(retry_after >= 1);
    assert_eq!(header(&refusal, "x-ratelimit-remaining"), Some(0));

    // Counted all the same, refused or not.
    assert_eq!(state(&service).await["requests"]["/api/cache/stats"], 11);
    set(&service, json!({"rate_limit_per_second": null})).await;
    for _ in 0..5 {
        assert_eq!(
            get(&service, "/api/cache/stats").await.status(),
            StatusCode::OK
        );
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn state_shows_the_model_and_request_counts() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    for _ in 0..3 {
        ok_json(&service, "/api/circuit-breakers/stats").await;
    }
    ok_json(&service, "/api/cache/stats").await;
    let view: Value = state(&service).await;
    assert_eq!(view["profile"], "breaker-registry");
    assert_eq!(view["requests"]["/api/circuit-breakers/stats"], 3);
    assert_eq!(view["requests"]["/api/cache/stats"], 1);
    assert_eq!(view["breakers"]["exchange_api"]["state"], "CLOSED");
    assert_eq!(view["cache"]["hit_rate"], 0.85);
    assert!(view["system"]["cpu_percent"].is_number());
    assert_eq!(view["health_score"], 100);
    fleet.shutdown().await;
}
