//! `spring-actuator` (docs/contracts.md): Spring Boot Actuator health and Resilience4j's
//! breakers and event log.
//!
//! Choices the contract leaves open, made here:
//! - Health components nest to any depth; they are flattened into dependencies named by
//!   their path (`broker/us1`). Only leaves are listed: a composite's status is the
//!   aggregate of its children, which are listed themselves. Spring Boot 2.0/2.1 nested
//!   components under `details` instead of `components`; those are read too.
//! - A breaker's `call_count` is `notPermittedCalls` (calls refused while open), the same
//!   meaning the `prometheus` profile gives it; `success_count` is
//!   `bufferedCalls - failedCalls`.
//! - The event log is de-duplicated per breaker (Resilience4j keeps about 100 events per
//!   breaker, so remembering twice that many keys per breaker keeps every event still
//!   shown in memory). `STATE_TRANSITION` events become transitions; a `RESET` event
//!   becomes a transition to closed, because Resilience4j's reset closes the breaker
//!   without writing a `STATE_TRANSITION`. Other event kinds are ignored.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::health_contract::slow_threshold_ms;
use super::json::{describe, object_body, Fields};
use super::words::{breaker_state, fold};
use super::{unexpected_endpoint, Endpoint, ParseError, Profile, ProfileReader, Reading, Response};
use crate::model::{
    Breaker, BreakerState, Dependency, Health, HealthStatus, Transition, TransitionSource,
};

pub const HEALTH: &str = "/actuator/health";
pub const BREAKERS: &str = "/actuator/circuitbreakers";
pub const EVENTS: &str = "/actuator/circuitbreakerevents";

/// Event keys remembered per breaker: twice what Resilience4j keeps by default.
const REMEMBERED_PER_BREAKER: usize = 200;
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

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::primary(HEALTH),
        Endpoint::secondary(BREAKERS, 1),
        // Every round: the service forgets events, and a missed one is a lost transition.
        Endpoint::secondary(EVENTS, 1),
    ]
}

/// One identity of an event in the log: creation time, type and transition.
type EventKey = (String, String, String);

/// The keys seen for one breaker, oldest first, bounded.
#[derive(Default)]
struct SeenEvents {
    keys: HashSet<EventKey>,
    order: VecDeque<EventKey>,
}

impl SeenEvents {
    /// True the first time `key` is seen.
    fn remember(&mut self, key: EventKey) -> bool {
        if self.keys.contains(&key) {
            return false;
        }
        self.keys.insert(key.clone());
        self.order.push_back(key);
        if self.order.len() > REMEMBERED_PER_BREAKER {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
        true
    }
}

/// Reads one Spring Boot service; remembers which events it has already turned into
/// transitions.
#[derive(Default)]
pub struct Reader {
    seen: HashMap<String, SeenEvents>,
}

impl ProfileReader for Reader {
    fn read(&mut self, endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
        let map = object_body(response.body)?;
        let root = Fields::root(&map);
        match endpoint {
            HEALTH => read_health(&root),
            BREAKERS => read_breakers(&root),
            EVENTS => self.read_events(&root, response.received_at),
            other => Err(unexpected_endpoint(Profile::SpringActuator, other)),
        }
    }
}

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

fn read_health(root: &Fields<'_>) -> Result<Reading, ParseError> {
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

fn read_breakers(root: &Fields<'_>) -> Result<Reading, ParseError> {
    let mut reading = Reading::default();
    if let Some(breakers) = root.optional_object("circuitBreakers")? {
        for (name, fields) in breakers.child_objects()? {
            reading.breakers.push(breaker(name, &fields)?);
        }
    }
    Ok(reading)
}

fn breaker(name: &str, fields: &Fields<'_>) -> Result<Breaker, ParseError> {
    let buffered = fields.optional_f64("bufferedCalls")?;
    let failed = fields.optional_f64("failedCalls")?;
    Ok(Breaker {
        name: name.to_string(),
        state: breaker_state(fields.required_str("state")?),
        failure_count: failed,
        success_count: match (buffered, failed) {
            (Some(buffered), Some(failed)) => Some((buffered - failed).max(0.0)),
            _ => None,
        },
        failure_rate: rate(fields, "failureRate")?,
        backoff_seconds: None,
        health_score: None,
        call_count: fields.optional_f64("notPermittedCalls")?,
        since: None,
        reason: None,
    })
}

/// A Resilience4j rate: `"12.5%"`, `"12.5"` or `12.5`, in percent, as a ratio. Negative
/// (`"-1.0%"`) means "not enough calls yet": no data, never a rate.
pub fn rate(fields: &Fields<'_>, key: &str) -> Result<Option<f64>, ParseError> {
    let field = || {
        if fields.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", fields.path)
        }
    };
    let percent = match fields.map.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(text)) => Some(parse_percent(text).ok_or_else(|| {
            ParseError::new(
                "wrong_type",
                format!(
                    "`{}` is \"{text}\", expected a percentage such as \"12.5%\"",
                    field()
                ),
            )
        })?),
        Some(other) => {
            return Err(ParseError::new(
                "wrong_type",
                format!(
                    "`{}` is {}, expected a percentage string or a number",
                    field(),
                    describe(other)
                ),
            ))
        }
    };
    Ok(percent
        .filter(|p| p.is_finite() && *p >= 0.0)
        .map(|p| (p / 100.0).min(1.0)))
}

fn parse_percent(text: &str) -> Option<f64> {
    let number = text.trim().trim_end_matches('%').trim();
    number.parse::<f64>().ok()
}

impl Reader {
    fn read_events(
        &mut self,
        root: &Fields<'_>,
        received_at: DateTime<Utc>,
    ) -> Result<Reading, ParseError> {
        let mut reading = Reading::default();
        for event in root
            .optional_objects("circuitBreakerEvents")?
            .unwrap_or_default()
        {
            let kind = fold(event.required_str("type")?);
            let transition = event.optional_str("stateTransition")?;
            let (from, to) = match (kind.as_str(), transition) {
                ("state_transition", Some(words)) => match parse_transition(words) {
                    Some((from, to)) => (Some(from), to),
                    None => continue, // a transition word we cannot read moves no state
                },
                ("reset", _) => (None, BreakerState::Closed),
                _ => continue,
            };
            let name = event.required_str("circuitBreakerName")?;
            let created = event.optional_str("creationTime")?.unwrap_or_default();
            let key = (
                created.to_string(),
                kind.clone(),
                transition.map(fold).unwrap_or_default(),
            );
            if !self.seen.entry(name.to_string()).or_default().remember(key) {
                continue;
            }
            reading.transitions.push(Transition {
                breaker: name.to_string(),
                from,
                to,
                at: parse_creation_time(created).unwrap_or(received_at),
                source: TransitionSource::Poll,
                reason: (kind == "reset").then(|| "reset".to_string()),
            });
        }
        Ok(reading)
    }
}

/// `CLOSED_TO_OPEN`, `HALF_OPEN_TO_CLOSED`, … as (from, to). No state word contains
/// `_to_`, so the first occurrence splits it.
pub fn parse_transition(words: &str) -> Option<(BreakerState, BreakerState)> {
    let folded = fold(words);
    let (from, to) = folded.split_once("_to_")?;
    Some((breaker_state(from), breaker_state(to)))
}

/// Java's `ZonedDateTime.toString()`: RFC 3339 with a `[Region/City]` suffix, and the
/// seconds left out when they are zero (`2017-01-10T15:39+01:00[Europe/Berlin]`).
pub fn parse_creation_time(text: &str) -> Option<DateTime<Utc>> {
    let without_zone = text.split('[').next().unwrap_or(text).trim();
    let offset_fixed = match without_zone.strip_suffix('Z') {
        Some(local) => format!("{local}+00:00"),
        None => without_zone.to_string(),
    };
    DateTime::parse_from_rfc3339(&offset_fixed)
        .or_else(|_| DateTime::parse_from_str(&offset_fixed, "%Y-%m-%dT%H:%M%:z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_doc(reader: &mut Reader, endpoint: &str, body: &str) -> Result<Reading, ParseError> {
        reader.read(
            endpoint,
            &Response {
                body: body.as_bytes(),
                content_type: Some("application/vnd.spring-boot.actuator.v3+json"),
                received_at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap(),
            },
        )
    }

    fn health_of(body: &str) -> Health {
        read_doc(&mut Reader::default(), HEALTH, body)
            .unwrap()
            .health
            .unwrap()
    }

    #[test]
    fn status_words_map_as_the_contract_says() {
        for (word, status) in [
            ("UP", HealthStatus::Ok),
            ("DOWN", HealthStatus::Down),
            ("OUT_OF_SERVICE", HealthStatus::Down),
            ("out-of-service", HealthStatus::Down),
            ("CIRCUIT_OPEN", HealthStatus::Degraded),
            ("Circuit Half Open", HealthStatus::Degraded),
            ("UNKNOWN", HealthStatus::Unknown),
            ("DEGRADED", HealthStatus::Unknown),
        ] {
            assert_eq!(spring_status(word), status, "{word}");
        }
    }

    #[test]
    fn nested_components_flatten_with_slash_names() {
        let health = health_of(
            r#"{"status": "UP", "groups": ["liveness"], "components": {
                "db": {"status": "UP", "details": {"database": "PostgreSQL", "validationQuery": "isValid()"}},
                "broker": {"status": "DOWN", "components": {
                    "us1": {"status": "UP", "details": {"latencyMs": 12.5}},
                    "eu": {"status": "DOWN", "components": {
                        "fra": {"status": "DOWN", "details": {"error": "java.net.ConnectException: refused"}}}}}},
                "ping": {"status": "UP"}}}"#,
        );
        assert_eq!(health.status, HealthStatus::Ok);
        let names: Vec<&str> = health
            .dependencies
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(names, ["db", "broker/us1", "broker/eu/fra", "ping"]);
        assert_eq!(health.dependencies[1].latency_ms, Some(12.5));
        assert_eq!(health.dependencies[0].latency_ms, None);
        let fra = &health.dependencies[2];
        assert_eq!(fra.status, HealthStatus::Down);
        assert_eq!(
            fra.error.as_deref(),
            Some("java.net.ConnectException: refused")
        );
    }

    #[test]
    fn boot_2_0_details_nesting_is_read_too() {
        let health = health_of(
            r#"{"status": "DOWN", "details": {
                "diskSpace": {"status": "UP", "details": {"total": 1000, "free": 500, "threshold": 10}},
                "redis": {"status": "DOWN", "details": {"error": "timeout"}}}}"#,
        );
        assert_eq!(health.status, HealthStatus::Down);
        assert_eq!(health.dependencies.len(), 2);
        assert_eq!(health.dependencies[1].name, "redis");
        assert_eq!(health.dependencies[1].error.as_deref(), Some("timeout"));
    }

    #[test]
    fn a_bare_status_document_has_no_dependencies() {
        let health = health_of(r#"{"status": "UP"}"#);
        assert!(health.dependencies.is_empty());
    }

    #[test]
    fn a_status_of_the_wrong_type_is_named() {
        let err = read_doc(&mut Reader::default(), HEALTH, r#"{"status": 1}"#).unwrap_err();
        assert_eq!(err.reason, "wrong_type");
        assert_eq!(err.message, "`status` is a number, expected a string");
        let err = read_doc(
            &mut Reader::default(),
            HEALTH,
            r#"{"status": "UP", "components": {"db": {"status": ["UP"]}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "`components.db.status` is an array, expected a string"
        );
    }

    #[test]
    fn breakers_read_rates_counts_and_every_state() {
        let body = r#"{"circuitBreakers": {
            "backendA": {"failureRate": "-1.0%", "slowCallRate": "-1.0%", "failureRateThreshold": "50.0%",
                         "bufferedCalls": 0, "failedCalls": 0, "slowCalls": 0, "notPermittedCalls": 0, "state": "CLOSED"},
            "backendB": {"failureRate": "12.5%", "bufferedCalls": 8, "failedCalls": 1, "notPermittedCalls": 3,
                         "state": "HALF_OPEN", "somethingNew": {"x": 1}},
            "backendC": {"failureRate": 60.0, "state": "forced-open"},
            "backendD": {"failureRate": -1, "state": "Metrics Only"},
            "backendE": {"state": "DISABLED"},
            "backendF": {"failureRate": "100%", "state": "OPEN"}}}"#;
        let reading = read_doc(&mut Reader::default(), BREAKERS, body).unwrap();
        let b = &reading.breakers;
        assert_eq!(b.len(), 6);
        assert_eq!(b[0].failure_rate, None, "-1.0% is no data");
        assert_eq!(b[0].success_count, Some(0.0));
        assert_eq!(b[1].state, BreakerState::HalfOpen);
        assert_eq!(b[1].failure_rate, Some(0.125));
        assert_eq!(
            (b[1].failure_count, b[1].success_count, b[1].call_count),
            (Some(1.0), Some(7.0), Some(3.0))
        );
        assert_eq!(b[2].state, BreakerState::ForcedOpen);
        assert_eq!(b[2].failure_rate, Some(0.6));
        assert_eq!(b[2].success_count, None, "no counts, no success count");
        assert_eq!(b[3].state, BreakerState::MetricsOnly);
        assert_eq!(b[3].failure_rate, None);
        assert_eq!(b[4].state, BreakerState::Disabled);
        assert_eq!(b[5].failure_rate, Some(1.0));
    }

    #[test]
    fn a_rate_that_is_not_a_percentage_is_named() {
        let err = read_doc(
            &mut Reader::default(),
            BREAKERS,
            r#"{"circuitBreakers": {"a": {"state": "CLOSED", "failureRate": "lots"}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "`circuitBreakers.a.failureRate` is \"lots\", expected a percentage such as \"12.5%\""
        );
        let err = read_doc(
            &mut Reader::default(),
            BREAKERS,
            r#"{"circuitBreakers": {"a": {"state": "CLOSED", "failureRate": true}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.reason, "wrong_type");
        assert!(err.message.contains("is a boolean"), "{}", err.message);
    }

    #[test]
    fn an_empty_breaker_list_is_no_breakers() {
        let reading = read_doc(&mut Reader::default(), BREAKERS, "{}").unwrap();
        assert!(reading.breakers.is_empty());
    }

    fn event(name: &str, kind: &str, at: &str, transition: Option<&str>) -> String {
        let transition = transition.map_or("null".to_string(), |t| format!("\"{t}\""));
        format!(
            r#"{{"circuitBreakerName": "{name}", "type": "{kind}", "creationTime": "{at}",
                "errorMessage": null, "durationInMs": null, "stateTransition": {transition}}}"#
        )
    }

    fn events(items: &[String]) -> String {
        format!(r#"{{"circuitBreakerEvents": [{}]}}"#, items.join(","))
    }

    #[test]
    fn transitions_are_read_with_the_zone_suffix_stripped() {
        let body = events(&[
            event(
                "backendA",
                "ERROR",
                "2017-01-10T15:39:17.110+01:00[Europe/Berlin]",
                None,
            ),
            event(
                "backendA",
                "STATE_TRANSITION",
                "2017-01-10T15:39:17.117+01:00[Europe/Berlin]",
                Some("CLOSED_TO_OPEN"),
            ),
            event(
                "backendA",
                "STATE_TRANSITION",
                "2017-01-10T15:40+01:00[Europe/Berlin]",
                Some("OPEN_TO_HALF_OPEN"),
            ),
            event(
                "backendA",
                "STATE_TRANSITION",
                "not a time",
                Some("half-open to closed"),
            ),
        ]);
        let reading = read_doc(&mut Reader::default(), EVENTS, &body).unwrap();
        let t = &reading.transitions;
        assert_eq!(t.len(), 3, "the ERROR event moves no state");
        assert_eq!(
            (t[0].from, t[0].to),
            (Some(BreakerState::Closed), BreakerState::Open)
        );
        assert_eq!(t[0].at.to_rfc3339(), "2017-01-10T14:39:17.117+00:00");
        assert_eq!(t[0].source, TransitionSource::Poll);
        assert_eq!(t[1].at.to_rfc3339(), "2017-01-10T14:40:00+00:00");
        assert_eq!(
            (t[2].from, t[2].to),
            (Some(BreakerState::HalfOpen), BreakerState::Closed)
        );
        assert_eq!(
            t[2].at.to_rfc3339(),
            "2026-11-23T10:00:00+00:00",
            "an unreadable time falls back to when the answer arrived"
        );
    }

    #[test]
    fn each_event_lands_once_across_polls() {
        let mut reader = Reader::default();
        let first = events(&[
            event(
                "a",
                "STATE_TRANSITION",
                "2026-11-23T09:00:00Z[UTC]",
                Some("CLOSED_TO_OPEN"),
            ),
            event(
                "b",
                "STATE_TRANSITION",
                "2026-11-23T09:00:00Z[UTC]",
                Some("CLOSED_TO_OPEN"),
            ),
        ]);
        let second = events(&[
            event(
                "a",
                "STATE_TRANSITION",
                "2026-11-23T09:00:00Z[UTC]",
                Some("CLOSED_TO_OPEN"),
            ),
            event(
                "b",
                "STATE_TRANSITION",
                "2026-11-23T09:00:00Z[UTC]",
                Some("CLOSED_TO_OPEN"),
            ),
            event(
                "a",
                "STATE_TRANSITION",
                "2026-11-23T09:01:00Z[UTC]",
                Some("OPEN_TO_HALF_OPEN"),
            ),
            event("b", "RESET", "2026-11-23T09:02:00Z[UTC]", None),
        ]);
        assert_eq!(
            read_doc(&mut reader, EVENTS, &first)
                .unwrap()
                .transitions
                .len(),
            2
        );
        let again = read_doc(&mut reader, EVENTS, &second).unwrap().transitions;
        assert_eq!(again.len(), 2, "only the two new events: {again:?}");
        assert_eq!(
            (again[0].breaker.as_str(), again[0].to),
            ("a", BreakerState::HalfOpen)
        );
        assert_eq!(
            (again[1].breaker.as_str(), again[1].from, again[1].to),
            ("b", None, BreakerState::Closed)
        );
        assert_eq!(again[1].reason.as_deref(), Some("reset"));
        assert!(read_doc(&mut reader, EVENTS, &second)
            .unwrap()
            .transitions
            .is_empty());
    }

    #[test]
    fn memory_of_events_is_bounded_per_breaker() {
        let mut seen = SeenEvents::default();
        for i in 0..(REMEMBERED_PER_BREAKER + 50) {
            assert!(seen.remember((i.to_string(), "t".into(), String::new())));
        }
        assert_eq!(seen.keys.len(), REMEMBERED_PER_BREAKER);
        assert_eq!(seen.order.len(), REMEMBERED_PER_BREAKER);
        assert!(
            !seen.remember((
                (REMEMBERED_PER_BREAKER + 49).to_string(),
                "t".into(),
                String::new()
            )),
            "recent keys are still remembered"
        );
    }

    #[test]
    fn an_event_without_a_breaker_name_is_named() {
        let err = read_doc(
            &mut Reader::default(),
            EVENTS,
            r#"{"circuitBreakerEvents": [{"type": "RESET"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "`circuitBreakerEvents[0].circuitBreakerName` is missing"
        );
    }

    #[test]
    fn transition_words_split_on_to() {
        assert_eq!(
            parse_transition("HALF_OPEN_TO_CLOSED"),
            Some((BreakerState::HalfOpen, BreakerState::Closed))
        );
        assert_eq!(
            parse_transition("CLOSED_TO_FORCED_OPEN"),
            Some((BreakerState::Closed, BreakerState::ForcedOpen))
        );
        assert_eq!(
            parse_transition("METRICS_ONLY_TO_DISABLED"),
            Some((BreakerState::MetricsOnly, BreakerState::Disabled))
        );
        assert_eq!(parse_transition("OPEN"), None);
    }

    #[test]
    fn another_endpoint_is_refused() {
        let err = read_doc(&mut Reader::default(), "/actuator/info", "{}").unwrap_err();
        assert_eq!(err.reason, "unexpected_endpoint");
    }
}
