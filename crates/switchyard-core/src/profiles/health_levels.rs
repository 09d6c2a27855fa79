//! `health-levels` (docs/contracts.md): liveness, readiness, a detailed report with cache
//! and event-pipeline figures, and the pipeline's own metrics behind `X-Internal-Key`.

use super::json::{object_body, Fields};
use super::words::health_status;
use super::{unexpected_endpoint, Endpoint, ParseError, Profile, Reading, Response};
use crate::model::Health;
use crate::profiles::health_contract::read_dependency;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        // Liveness answers fast: it decides reachability every round.
        Endpoint::primary("/health"),
        Endpoint::secondary("/health/ready", 1),
        // The detailed report is heavier; every third round is fresh enough.
        Endpoint::secondary("/health/detailed", 3),
        Endpoint::secondary("/internal/events/metrics", 1),
    ]
}

pub fn read(endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
    let map = object_body(response.body)?;
    let root = Fields::root(&map);
    let mut reading = Reading::default();
    match endpoint {
        "/health" => reading.health = Some(status_only(&root)?),
        "/health/ready" | "/health/detailed" => {
            let mut health = status_only(&root)?;
            if let Some(deps) = root.optional_object("dependencies")? {
                for (name, dep) in deps.child_objects()? {
                    health.dependencies.push(read_dependency(name, &dep)?);
                    read_dependency_figures(name, &dep, &mut reading)?;
                }
            }
            reading.health = Some(health);
        }
        "/internal/events/metrics" => read_pipeline_metrics(&root, &mut reading)?,
        other => return Err(unexpected_endpoint(Profile::HealthLevels, other)),
    }
    Ok(reading)
}

fn status_only(root: &Fields<'_>) -> Result<Health, ParseError> {
    Ok(Health {
        status: health_status(root.required_str("status")?),
        version: None,
        uptime_seconds: None,
        dependencies: Vec::new(),
    })
}

/// The detailed report nests cache and pipeline figures inside their dependencies.
fn read_dependency_figures(
    name: &str,
    dep: &Fields<'_>,
    reading: &mut Reading,
) -> Result<(), ParseError> {
    if let Some(stats) = dep.optional_object("stats")? {
        // A ratio 0..1 in this contract.
        reading.sample("cache.hit_rate", stats.optional_f64("hit_rate")?);
        reading.sample("cache.hits", stats.optional_f64("hits")?);
        reading.sample("cache.misses", stats.optional_f64("misses")?);
        reading.sample("cache.keys", stats.optional_f64("total_keys")?);
        reading.sample("cache.memory_mb", stats.optional_f64("memory_mb")?);
    }
    if name == "event_pipeline" {
        reading.sample("queue.depth", dep.optional_f64("queue_size")?);
        reading.sample(
            "queue.throughput_per_second",
            dep.optional_f64("throughput_per_second")?,
        );
        reading.sample(
            "queue.backpressure",
            dep.optional_bool("backpressure_active")?.map(f64::from),
        );
    }
    Ok(())
}

fn read_pipeline_metrics(root: &Fields<'_>, reading: &mut Reading) -> Result<(), ParseError> {
    reading.sample("queue.depth", root.optional_f64("events_in_queue")?);
    reading.sample("queue.capacity", root.optional_f64("queue_capacity")?);
    reading.sample(
        "queue.throughput_per_second",
        root.optional_f64("throughput_per_second")?,
    );
    reading.sample(
        "queue.worker_utilization",
        root.optional_f64("worker_utilization")?,
    );
    reading.sample("queue.failed", root.optional_f64("events_failed")?);
    reading.sample("queue.dead_letter", root.optional_f64("dead_letter_count")?);
    reading.sample(
        "queue.backpressure",
        root.optional_bool("backpressure_active")?.map(f64::from),
    );
    reading.sample(
        "metrics.events_processed",
        root.optional_f64("events_processed")?,
    );
    reading.sample(
        "metrics.avg_processing_time_ms",
        root.optional_f64("avg_processing_time_ms")?,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HealthStatus;

    fn read_doc(endpoint: &str, body: &str) -> Result<Reading, ParseError> {
        read(endpoint, &Response::of(body))
    }

    fn value(reading: &Reading, series: &str) -> Option<f64> {
        reading
            .samples
            .iter()
            .find(|s| s.series == series)
            .map(|s| s.value)
    }

    #[test]
    fn liveness_gives_status_only() {
        let reading = read_doc("/health", r#"{"status": "healthy"}"#).unwrap();
        assert_eq!(reading.health.unwrap().status, HealthStatus::Ok);
    }

    #[test]
    fn readiness_words_map_to_the_normalised_four() {
        let reading = read_doc("/health/ready", r#"{"status": "unhealthy", "dependencies": {"database": {"status": "healthy"}, "cache": {"status": "degraded"}}}"#).unwrap();
        let health = reading.health.unwrap();
        assert_eq!(health.status, HealthStatus::Down);
        assert_eq!(health.dependencies[1].status, HealthStatus::Degraded);
    }

    #[test]
    fn the_detailed_report_yields_cache_and_pipeline_series() {
        let body = r#"{"status": "healthy", "dependencies": {
           "database": {"status": "healthy", "latency_ms": 3.1},
           "cache": {"status": "healthy", "stats": {"hit_rate": 0.85, "total_keys": 1234, "hits": 8500, "misses": 1500, "memory_mb": 50.2}},
           "event_pipeline": {"status": "healthy", "queue_size": 50, "throughput_per_second": 100.0, "backpressure_active": false}}}"#;
        let reading = read_doc("/health/detailed", body).unwrap();
        assert_eq!(value(&reading, "cache.hit_rate"), Some(0.85));
        assert_eq!(value(&reading, "cache.keys"), Some(1234.0));
        assert_eq!(value(&reading, "queue.depth"), Some(50.0));
        assert_eq!(value(&reading, "queue.backpressure"), Some(0.0));
        assert_eq!(
            reading.health.unwrap().dependencies[0].latency_ms,
            Some(3.1)
        );
    }

    #[test]
    fn pipeline_metrics_map_to_queue_series() {
        let body = r#"{"events_processed": 10000, "events_failed": 5, "events_in_queue": 50, "avg_processing_time_ms": 25.5,
            "throughput_per_second": 100.0, "worker_utilization": 0.5, "backpressure_active": true,
            "queue_capacity": 1000, "dead_letter_count": 2, "future_field": "ignored"}"#;
        let reading = read_doc("/internal/events/metrics", body).unwrap();
        assert_eq!(value(&reading, "queue.capacity"), Some(1000.0));
        assert_eq!(value(&reading, "queue.dead_letter"), Some(2.0));
        assert_eq!(value(&reading, "queue.backpressure"), Some(1.0));
        assert!(reading.health.is_none());
    }

    #[test]
    fn missing_optional_figures_are_absent_not_zero() {
        let reading = read_doc("/internal/events/metrics", r#"{"events_in_queue": 7}"#).unwrap();
        assert_eq!(reading.samples.len(), 1);
    }
}
