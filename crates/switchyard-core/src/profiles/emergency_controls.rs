//! `emergency-controls` (docs/contracts.md): health with components, and per-operation
//! breakers. The contract has no reset endpoint: its breakers are shown read-only.

use super::json::{object_body, Fields};
use super::words::{breaker_state, health_status};
use super::{unexpected_endpoint, Endpoint, ParseError, Profile, Reading, Response};
use crate::model::{Breaker, Health};
use crate::profiles::health_contract::read_dependency;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::primary("/health"),
        Endpoint::secondary("/api/v1/admin/emergency/status", 1),
    ]
}

pub fn read(endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
    let map = object_body(response.body)?;
    let root = Fields::root(&map);
    let mut reading = Reading::default();
    match endpoint {
        "/health" => {
            let mut health = Health {
                status: health_status(root.required_str("status")?),
                version: None,
                uptime_seconds: None,
                dependencies: Vec::new(),
            };
            if let Some(components) = root.optional_object("components")? {
                for (name, component) in components.child_objects()? {
                    health.dependencies.push(read_dependency(name, &component)?);
                }
            }
            reading.health = Some(health);
            reading.sample(
                "ws.active_connections",
                root.optional_f64("websocket_active")?,
            );
        }
        "/api/v1/admin/emergency/status" => {
            if let Some(breakers) = root.optional_object("breakers")? {
                for (name, fields) in breakers.child_objects()? {
                    reading.breakers.push(breaker(name, &fields)?);
                }
            }
        }
        other => return Err(unexpected_endpoint(Profile::EmergencyControls, other)),
    }
    Ok(reading)
}

fn breaker(name: &str, fields: &Fields<'_>) -> Result<Breaker, ParseError> {
    Ok(Breaker {
        name: name.to_string(),
        state: breaker_state(fields.required_str("state")?),
        failure_count: fields.optional_f64("failures")?,
        success_count: None,
        failure_rate: None,
        backoff_seconds: None,
        health_score: None,
        call_count: None,
        since: fields.optional_str("last_failure")?.map(str::to_string),
        reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BreakerState;
    use crate::model::HealthStatus;

    fn read_doc(endpoint: &str, body: &str) -> Result<Reading, ParseError> {
        read(endpoint, &Response::of(body))
    }

    #[test]
    fn health_components_become_dependencies() {
        let reading = read_doc("/health", r#"{"status": "healthy", "components": {"Redis": {"status": "connected", "latency_ms": 1.2}}, "websocket_active": 14}"#).unwrap();
        let health = reading.health.unwrap();
        assert_eq!(health.status, HealthStatus::Ok);
        assert_eq!(health.dependencies[0].name, "Redis");
        assert_eq!(health.dependencies[0].status, HealthStatus::Ok);
        assert_eq!(reading.samples[0].series, "ws.active_connections");
    }

    #[test]
    fn per_operation_breakers_are_read() {
        let reading = read_doc("/api/v1/admin/emergency/status", r#"{"breakers": {"swap": {"state": "OPEN", "failures": 5, "last_failure": "2026-11-23T09:00:00Z"}, "deposit": {"state": "half-open", "failures": 0}}, "max_failures": 5, "timeout_seconds": 60}"#).unwrap();
        assert_eq!(reading.breakers.len(), 2);
        assert_eq!(reading.breakers[0].state, BreakerState::Open);
        assert_eq!(reading.breakers[1].state, BreakerState::HalfOpen);
    }
}
