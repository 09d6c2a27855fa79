//! The Spring Actuator reader's tests: status words, nested components, breakers and
//! their rates, the event log read once per event with its memory bounded.

use chrono::{DateTime, Utc};

use super::events::REMEMBERED_PER_BREAKER;
use super::*;
use crate::model::{BreakerState, Health, HealthStatus, TransitionSource};

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
