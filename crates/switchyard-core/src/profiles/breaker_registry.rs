//! `breaker-registry` (docs/contracts.md): many named breakers, cache statistics, current
//! metrics, the service's own alerts and thresholds, and a health score.
//!
//! The contract has no health document, so the console words the service's own health
//! score: 70 and above ok, 40 and above degraded, below that down.

use super::json::{object_body, Fields};
use super::words::breaker_state;
use super::{unexpected_endpoint, Endpoint, ParseError, Profile, Reading, Response};
use crate::model::{Breaker, Health, HealthStatus, ServiceAlert, ServiceThreshold};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::primary("/api/circuit-breakers/stats"),
        Endpoint::secondary("/api/cache/stats", 1),
        Endpoint::secondary("/api/metrics/current", 1),
        Endpoint::secondary("/api/metrics/health-score", 1),
        Endpoint::secondary("/api/metrics/alerts", 2),
        // Thresholds change when someone edits them: once a minute at a 5 s interval.
        Endpoint::secondary("/api/metrics/alerts/thresholds", 12),
        Endpoint::secondary("/api/ws/stats", 3),
    ]
}

pub fn read(endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
    let map = object_body(response.body)?;
    let root = Fields::root(&map);
    let mut reading = Reading::default();
    match endpoint {
        "/api/circuit-breakers/stats" => {
            if let Some(breakers) = root.optional_object("breakers")? {
                for (key, fields) in breakers.child_objects()? {
                    reading.breakers.push(breaker(key, &fields)?);
                }
            }
        }
        "/api/cache/stats" => {
            reading.sample("cache.hits", root.optional_f64("hits")?);
            reading.sample("cache.misses", root.optional_f64("misses")?);
            // A percentage here; normalised to a ratio.
            reading.sample(
                "cache.hit_rate",
                root.optional_f64("hit_rate")?.map(|p| p / 100.0),
            );
            reading.sample("cache.keys", root.optional_f64("keys")?);
            reading.sample("cache.memory_mb", root.optional_f64("memory_mb")?);
        }
        "/api/metrics/current" => {
            reading.sample("system.cpu_percent", root.optional_f64("cpu_percent")?);
            reading.sample(
                "system.memory_percent",
                root.optional_f64("memory_percent")?,
            );
            reading.sample("system.disk_percent", root.optional_f64("disk_percent")?);
            reading.sample(
                "metrics.uptime_seconds",
                root.optional_f64("uptime_seconds")?,
            );
            reading.sample(
                "metrics.requests_total",
                root.optional_f64("requests_total")?,
            );
            reading.sample(
                "metrics.response_time_ms",
                root.optional_f64("response_time_ms")?,
            );
        }
        "/api/metrics/health-score" => {
            let score = root.optional_f64("health_score")?;
            reading.sample("health.score", score);
            if let Some(score) = score {
                reading.health = Some(Health {
                    status: status_from_score(score),
                    version: None,
                    uptime_seconds: None,
                    dependencies: Vec::new(),
                });
            }
        }
        "/api/metrics/alerts" => {
            for alert in root.optional_objects("alerts")?.unwrap_or_default() {
                reading.service_alerts.push(ServiceAlert {
                    metric: alert.required_str("metric")?.to_string(),
                    value: alert.optional_f64("value")?,
                    threshold: alert.optional_f64("threshold")?,
                    severity: alert
                        .optional_str("severity")?
                        .unwrap_or("unknown")
                        .to_string(),
                    since: alert.optional_str("since")?.map(str::to_string),
                });
            }
        }
        "/api/metrics/alerts/thresholds" => {
            for threshold in root.optional_objects("thresholds")?.unwrap_or_default() {
                reading.thresholds.push(ServiceThreshold {
                    metric: threshold.required_str("metric")?.to_string(),
                    operator: threshold
                        .optional_str("operator")?
                        .unwrap_or(">")
                        .to_string(),
                    value: threshold.optional_f64("value")?.ok_or_else(|| {
                        ParseError::new(
                            "missing_field",
                            format!("`{}.value` is missing", threshold.path),
                        )
                    })?,
                    severity: threshold
                        .optional_str("severity")?
                        .unwrap_or("warning")
                        .to_string(),
                });
            }
        }
        "/api/ws/stats" => reading.sample(
            "ws.active_connections",
            root.optional_f64("active_connections")?,
        ),
        other => return Err(unexpected_endpoint(Profile::BreakerRegistry, other)),
    }
    Ok(reading)
}

/// One breaker of the stats document; also the shape of `GET /api/circuit-breakers/{name}`.
pub fn breaker(key: &str, fields: &Fields<'_>) -> Result<Breaker, ParseError> {
    let success_rate = fields.optional_f64("success_rate")?;
    Ok(Breaker {
        name: fields.optional_str("name")?.unwrap_or(key).to_string(),
        state: breaker_state(fields.required_str("state")?),
        failure_count: fields.optional_f64("failure_count")?,
        success_count: fields.optional_f64("success_count")?,
        // The service counts successes over its last 100 requests, in percent.
        failure_rate: success_rate.map(|rate| ((100.0 - rate) / 100.0).clamp(0.0, 1.0)),
        backoff_seconds: fields.optional_f64("current_backoff_seconds")?,
        health_score: fields.optional_f64("health_score")?,
        call_count: None,
        since: fields
            .optional_str("last_failure_time")?
            .map(str::to_string),
        reason: None,
    })
}

fn status_from_score(score: f64) -> HealthStatus {
    if score >= 70.0 {
        HealthStatus::Ok
    } else if score >= 40.0 {
        HealthStatus::Degraded
    } else {
        HealthStatus::Down
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BreakerState;

    fn read_doc(endpoint: &str, body: &str) -> Result<Reading, ParseError> {
        read(endpoint, &Response::of(body))
    }

    #[test]
    fn breakers_read_with_rates_as_ratios() {
        let body = r#"{"breakers": {"exchange_api": {"name": "exchange_api", "state": "OPEN", "failure_count": 7, "success_count": 120,
           "current_backoff_seconds": 240.0, "success_rate": 87.5, "health_score": 42, "last_failure_time": "2025-11-13T10:00:00Z"}}}"#;
        let reading = read_doc("/api/circuit-breakers/stats", body).unwrap();
        let b = &reading.breakers[0];
        assert_eq!(b.name, "exchange_api");
        assert_eq!(b.state, BreakerState::Open);
        assert_eq!(b.failure_rate, Some(0.125));
        assert_eq!(b.backoff_seconds, Some(240.0));
        assert_eq!(b.health_score, Some(42.0));
        assert_eq!(b.since.as_deref(), Some("2025-11-13T10:00:00Z"));
    }

    #[test]
    fn cache_hit_rate_percentage_becomes_a_ratio() {
        let reading = read_doc(
            "/api/cache/stats",
            r#"{"hits": 8500, "misses": 1500, "hit_rate": 85.0, "keys": 1234, "memory_mb": 50.2}"#,
        )
        .unwrap();
        let rate = reading
            .samples
            .iter()
            .find(|s| s.series == "cache.hit_rate")
            .unwrap()
            .value;
        assert!((rate - 0.85).abs() < 1e-9);
    }

    #[test]
    fn alerts_thresholds_and_score_are_read() {
        let alerts = read_doc("/api/metrics/alerts", r#"{"alerts": [{"metric": "cpu_percent", "value": 91.0, "threshold": 80.0, "severity": "high", "since": "2026-11-23T10:00:00Z"}]}"#).unwrap();
        assert_eq!(alerts.service_alerts[0].severity, "high");
        let thresholds = read_doc("/api/metrics/alerts/thresholds", r#"{"thresholds": [{"metric": "cpu_percent", "operator": ">", "value": 80, "severity": "high"}]}"#).unwrap();
        assert_eq!(thresholds.thresholds[0].value, 80.0);
        let score = read_doc("/api/metrics/health-score", r#"{"health_score": 55}"#).unwrap();
        assert_eq!(score.health.unwrap().status, HealthStatus::Degraded);
    }

    #[test]
    fn a_breaker_without_a_state_is_an_error_naming_it() {
        let err = read_doc(
            "/api/circuit-breakers/stats",
            r#"{"breakers": {"x": {"failure_count": 1}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.message, "`breakers.x.state` is missing");
    }
}
