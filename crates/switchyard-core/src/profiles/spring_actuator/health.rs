//! `/actuator/health` read into the service's health: Spring's status words, and the
//! components, nested to any depth, flattened into dependencies named by their path.

use serde_json::Value;

use crate::model::{Dependency, Health, HealthStatus};
use crate::profiles::health_contract::slow_threshold_ms;
use crate::profiles::json::Fields;
use crate::profiles::words::fold;
use crate::profiles::{ParseError, Reading};

/// Health components deeper than this are not followed: no real application nests this
/// far, and a bound keeps a hostile document from exhausting the stack.
const MAX_DEPTH: usize = 32;
/// Detail fields taken as a component's latency in milliseconds, when numeric.
const LATENCY_FIELDS: &[&str] = &[
    "latency_ms",
    "latencyMs",
    "latency",
    "responseTimeMs",
    "response_time_ms",
    "responseTime",
];
/// Spring's status words (docs/contracts.md, "spring-actuator"). Deliberately narrower than
/// [`super::words::health_status`]: the contract sends every custom word to unknown.
pub fn spring_status(word: &str) -> HealthStatus {
    match fold(word).as_str() {
        "up" => HealthStatus::Ok,
        "down" | "out_of_service" => HealthStatus::Down,
        "circuit_open" | "circuit_half_open" => HealthStatus::Degraded,
        _ => HealthStatus::Unknown,
    }
}

pub(super) fn read_health(root: &Fields<'_>) -> Result<Reading, ParseError> {
    let mut dependencies = Vec::new();
    collect_components(root, "", 0, &mut dependencies)?;
    Ok(Reading {
        health: Some(Health {
            status: spring_status(root.required_str("status")?),
            version: None,
            uptime_seconds: None,
            dependencies,
        }),
        ..Reading::default()
    })
}

/// The nested health documents under `node`: `components` (Boot 2.2+), else the members
/// of `details` that are themselves health documents (Boot 2.0/2.1).
fn children<'a>(node: &Fields<'a>) -> Result<Vec<(&'a str, Fields<'a>)>, ParseError> {
    if let Some(components) = node.optional_object("components")? {
        return components.child_objects();
    }
    let Some(details) = node.optional_object("details")? else {
        return Ok(Vec::new());
    };
    Ok(details
        .map
        .iter()
        .filter_map(|(key, value)| match value {
            Value::Object(map) if map.get("status").is_some_and(Value::is_string) => Some((
                key.as_str(),
                Fields {
                    path: format!("{}.{key}", details.path),
                    map,
                },
            )),
            _ => None,
        })
        .collect())
}

fn collect_components(
    node: &Fields<'_>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<Dependency>,
) -> Result<(), ParseError> {
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    for (name, component) in children(node)? {
        let full_name = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        if children(&component)?.is_empty() {
            out.push(dependency(full_name, &component)?);
        } else {
            collect_components(&component, &full_name, depth + 1, out)?;
        }
    }
    Ok(())
}

fn dependency(name: String, component: &Fields<'_>) -> Result<Dependency, ParseError> {
    let status = component
        .optional_str("status")?
        .map_or(HealthStatus::Unknown, spring_status);
    let details = component.optional_object("details")?;
    let latency_ms = match &details {
        Some(details) => latency(details),
        None => None,
    };
    // Spring writes the exception of a failed check into `details.error`.
    let error = match &details {
        Some(details) => details.map.get("error").and_then(Value::as_str),
        None => None,
    };
    Ok(Dependency {
        slow: latency_ms.is_some_and(|ms| ms > slow_threshold_ms(&name)),
        name,
        status,
        latency_ms,
        error: error.map(str::to_string),
    })
}

/// The first numeric latency-like detail. Details are free-form per indicator, so a
/// non-numeric field of that name is skipped rather than failing the health read.
fn latency(details: &Fields<'_>) -> Option<f64> {
    LATENCY_FIELDS
        .iter()
        .find_map(|key| details.map.get(*key).and_then(Value::as_f64))
}
