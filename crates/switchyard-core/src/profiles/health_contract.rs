//! `health-contract` (docs/contracts.md): one standard health document per service at
//! `GET /health`, with dependencies and a bag of numeric metrics.

use super::json::{object_body, Fields};
use super::words::{fold, health_status};
use super::{ParseError, Reading, Response};
use crate::model::{Dependency, Health, Sample};

pub fn read(_endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
    parse(response.body)
}

pub fn parse(body: &[u8]) -> Result<Reading, ParseError> {
    let map = object_body(body)?;
    let root = Fields::root(&map);
    let status = health_status(root.required_str("status")?);
    let version = root.optional_str("version")?.map(str::to_string);
    let uptime_seconds = root.optional_f64("uptime_seconds")?;

    let mut dependencies = Vec::new();
    if let Some(deps) = root.optional_object("dependencies")? {
        for (name, dep) in deps.child_objects()? {
            dependencies.push(read_dependency(name, &dep)?);
        }
    }

    // Every number under `metrics` becomes `metrics.<name>`; anything else there is the
    // service's own business and is skipped rather than failing the whole poll.
    let mut samples = Vec::new();
    if let Some(metrics) = root.optional_object("metrics")? {
        for (name, value) in metrics.map {
            if let Some(number) = value.as_f64() {
                samples.push(Sample {
                    series: format!("metrics.{name}"),
                    value: number,
                });
            }
        }
    }

    Ok(Reading {
        health: Some(Health {
            status,
            version,
            uptime_seconds,
            dependencies,
        }),
        samples,
        ..Reading::default()
    })
}

/// One dependency as the health contracts write it: `{status, latency_ms, error}`, all
/// optional, marked slow against its kind's threshold. Shared by the profiles whose
/// health documents use that shape.
pub(crate) fn read_dependency(name: &str, fields: &Fields<'_>) -> Result<Dependency, ParseError> {
    let latency_ms = fields.optional_f64("latency_ms")?;
    Ok(Dependency {
        name: name.to_string(),
        status: fields
            .optional_str("status")?
            .map_or(crate::model::HealthStatus::Unknown, health_status),
        latency_ms,
        slow: latency_ms.is_some_and(|ms| ms > slow_threshold_ms(name)),
        error: fields.optional_str("error")?.map(str::to_string),
    })
}

/// Latency above which a dependency counts as slow (docs/contracts.md, "health-contract"):
/// Redis 100 ms, Postgres 200 ms, anything else is taken to be an HTTP dependency at 500 ms.
pub fn slow_threshold_ms(dependency: &str) -> f64 {
    let name = fold(dependency);
    if name.contains("redis") {
        100.0
    } else if name.contains("postgres") || name == "pg" || name.contains("database") || name == "db"
    {
        200.0
    } else {
        500.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HealthStatus;

    const CONTRACT_EXAMPLE: &str = r#"{"service": "execution-service", "status": "OK", "version": "1.0.0",
 "timestamp": "2025-12-04T10:30:00Z", "uptime_seconds": 3600.5,
 "dependencies": {
   "redis":    {"status": "OK", "latency_ms": 1.5},
   "postgres": {"status": "DEGRADED", "latency_ms": 250.3, "error": "Slow query"},
   "binance_api": {"status": "OK", "latency_ms": 45.2}},
 "metrics": {"active_positions": 5, "orders_executed_total": 1000}}"#;

    #[test]
    fn the_contract_example_reads_completely() {
        let reading = parse(CONTRACT_EXAMPLE.as_bytes()).unwrap();
        let health = reading.health.unwrap();
        assert_eq!(health.status, HealthStatus::Ok);
        assert_eq!(health.version.as_deref(), Some("1.0.0"));
        assert_eq!(health.uptime_seconds, Some(3600.5));
        let postgres = health
            .dependencies
            .iter()
            .find(|d| d.name == "postgres")
            .unwrap();
        assert_eq!(postgres.status, HealthStatus::Degraded);
        assert!(postgres.slow);
        assert_eq!(postgres.error.as_deref(), Some("Slow query"));
        let redis = health
            .dependencies
            .iter()
            .find(|d| d.name == "redis")
            .unwrap();
        assert!(!redis.slow);
        let series: Vec<_> = reading
            .samples
            .iter()
            .map(|s| (s.series.as_str(), s.value))
            .collect();
        assert!(series.contains(&("metrics.active_positions", 5.0)));
        assert!(series.contains(&("metrics.orders_executed_total", 1000.0)));
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let err = parse(br#"{"status": 3}"#).unwrap_err();
        assert_eq!(err.reason, "wrong_type");
        assert_eq!(err.message, "`status` is a number, expected a string");
        let err = parse(br#"{"status": "OK", "dependencies": {"redis": {"latency_ms": "fast"}}}"#)
            .unwrap_err();
        assert_eq!(
            err.message,
            "`dependencies.redis.latency_ms` is a string, expected a number"
        );
    }

    #[test]
    fn not_json_and_missing_status_are_distinct() {
        assert_eq!(parse(b"<html>oops</html>").unwrap_err().reason, "not_json");
        assert_eq!(parse(b"[1,2]").unwrap_err().reason, "wrong_type");
        assert_eq!(parse(b"{}").unwrap_err().reason, "missing_field");
    }

    #[test]
    fn unknown_fields_are_ignored_and_status_words_fold() {
        let reading = parse(br#"{"status": "degraded", "shiny": [1]}"#).unwrap();
        assert_eq!(reading.health.unwrap().status, HealthStatus::Degraded);
    }

    #[test]
    fn slow_thresholds_follow_the_contract() {
        assert_eq!(slow_threshold_ms("redis"), 100.0);
        assert_eq!(slow_threshold_ms("Postgres"), 200.0);
        assert_eq!(slow_threshold_ms("binance_api"), 500.0);
    }
}
