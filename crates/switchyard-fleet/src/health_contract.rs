//! The `health-contract` profile (CONTRACTS.md §1): `GET /health` and the
//! document it answers, built from the service's current condition.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::condition::{ServiceCondition, Status};
use crate::faults::{self, Fault};
use crate::state::ServiceState;

/// The profile name the configuration uses for this contract.
pub const PROFILE: &str = "health-contract";

/// Every simulated service reports this version.
const VERSION: &str = "1.0.0";

/// The §1 document.
#[derive(Serialize)]
struct HealthDocument<'a> {
    service: &'a str,
    /// Supplies `status` and `dependencies`.
    #[serde(flatten)]
    condition: &'a ServiceCondition,
    version: &'static str,
    timestamp: String,
    uptime_seconds: f64,
    metrics: Metrics,
}

/// A few numbers that move, so the console has `metrics.*` series to draw.
/// They are functions of uptime alone, so tests can predict them.
#[derive(Serialize)]
struct Metrics {
    active_positions: u64,
    /// Monotonic, like a real counter.
    orders_executed_total: u64,
    requests_per_second: f64,
}

impl Metrics {
    fn at(elapsed: Duration, status: Status) -> Self {
        let seconds = elapsed.as_secs();
        // Traffic falls away while the service struggles.
        let load = match status {
            Status::Ok => 1.0,
            Status::Degraded => 0.4,
            Status::Down => 0.0,
        };
        Metrics {
            active_positions: 3 + (seconds / 10) % 5,
            orders_executed_total: 1000 + seconds * 3,
            requests_per_second: (40.0 + (seconds % 7) as f64 * 0.5) * load,
        }
    }
}

/// `GET /health`.
pub(crate) async fn health(State(state): State<Arc<ServiceState>>) -> Response {
    state.count_health_request();
    let snapshot = state.snapshot();
    if snapshot.fault == Fault::Slow {
        tokio::time::sleep(snapshot.delay).await;
    }
    // Built after any delay, so timestamp and uptime say when it was sent.
    let document = document(&state.name, &snapshot.condition, state.elapsed());
    faults::respond(snapshot.fault, document, snapshot.retry_after_seconds)
}

/// The document for `service` in `condition`, `elapsed` after it started.
fn document(service: &str, condition: &ServiceCondition, elapsed: Duration) -> Value {
    let document = HealthDocument {
        service,
        condition,
        version: VERSION,
        timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        // One decimal, as the contract's example shows.
        uptime_seconds: (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        metrics: Metrics::at(elapsed, condition.status),
    };
    // Serialising plain strings and finite numbers cannot fail; should it
    // ever, an empty object is an answer the parser must survive anyway.
    serde_json::to_value(document).unwrap_or_else(|_| Value::Object(Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_every_contract_field() {
        let value = document(
            "execution-service",
            &ServiceCondition::healthy(),
            Duration::from_millis(3_600_540),
        );
        assert_eq!(value["service"], "execution-service");
        assert_eq!(value["status"], "OK");
        assert_eq!(value["version"], "1.0.0");
        assert_eq!(value["uptime_seconds"], 3600.5);
        let timestamp = value["timestamp"].as_str().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(timestamp).is_ok());
        assert!(timestamp.ends_with('Z'));
        for name in ["redis", "postgres", "exchange_api"] {
            assert_eq!(value["dependencies"][name]["status"], "OK");
            assert!(value["dependencies"][name]["latency_ms"].is_f64());
        }
        assert_eq!(value["metrics"]["orders_executed_total"], 1000 + 3600 * 3);
    }

    #[test]
    fn orders_counter_only_grows() {
        let mut previous = 0;
        for seconds in 0..200 {
            let metrics = Metrics::at(Duration::from_secs(seconds), Status::Ok);
            assert!(metrics.orders_executed_total >= previous);
            previous = metrics.orders_executed_total;
        }
    }
}
