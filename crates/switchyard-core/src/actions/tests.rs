//! The safety checks of [`plan`](super::plan), one per rule, without a network.

use serde_json::json;

use super::*;
use crate::config::ServiceConfig;
use crate::model::ServiceState;
use crate::profiles::Profile;

fn service(profile: Profile) -> ServiceConfig {
    let mut service = ServiceConfig::new("orders", "http://127.0.0.1:8001/", Some(profile));
    service.allow_actions = true;
    service
}

fn request(kind: ActionKind, target: Option<&str>, reason: &str) -> ActionRequest {
    ActionRequest {
        service: "orders".into(),
        kind,
        target: target.map(str::to_string),
        reason: reason.into(),
        override_checks: false,
        instance: None,
    }
}

/// The engine's state with these breakers last seen. Built from JSON so that fields the
/// engine adds later keep their defaults here.
fn seen(profile: &str, breakers: serde_json::Value) -> ServiceState {
    serde_json::from_value(json!({
        "name": "orders", "profile": profile, "base_url": "http://127.0.0.1:8001",
        "tags": [], "poll_interval_ms": 1000.0, "consecutive_failures": 0,
        "last_good": {
            "service": "orders", "profile": profile, "observed_at": "2026-11-23T10:00:00Z",
            "reachability": {"kind": "reachable", "latency_ms": 1.0},
            "breakers": breakers,
        },
    }))
    .expect("a service state")
}

fn refusal(result: Result<ActionPlan, Refusal>) -> Refusal {
    match result {
        Ok(plan) => panic!("expected a refusal, got {}", plan.description),
        Err(refusal) => refusal,
    }
}

#[test]
fn a_service_with_actions_turned_off_is_refused_and_says_so() {
    let mut config = service(Profile::BreakerRegistry);
    config.allow_actions = false;
    let r = refusal(plan(
        &config,
        &request(
            ActionKind::ResetBreaker,
            Some("exchange_api"),
            "upstream fixed",
        ),
        None,
    ));
    assert_eq!(r.code, RefusalCode::ActionsNotAllowed);
    assert!(r.message.contains("allow_actions = false"), "{}", r.message);
}

#[test]
fn emergency_controls_are_read_only() {
    let r = refusal(plan(
        &service(Profile::EmergencyControls),
        &request(ActionKind::ResetBreaker, Some("swap"), "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::ReadOnly);
    assert!(r
        .message
        .contains("read-only: the service has no reset endpoint"));
}

#[test]
fn actions_a_profile_does_not_offer_are_refused() {
    let r = refusal(plan(
        &service(Profile::SingleBreaker),
        &request(ActionKind::ClearCache, None, "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::NotOffered);
    assert!(
        r.message.contains("it offers: reset_breaker"),
        "{}",
        r.message
    );
    let r = refusal(plan(
        &service(Profile::HealthContract),
        &request(ActionKind::ResetBreaker, Some("x"), "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::NotOffered);
}

#[test]
fn a_reason_is_required_and_trimmed() {
    let config = service(Profile::BreakerRegistry);
    for blank in ["", "   \n\t"] {
        let r = refusal(plan(
            &config,
            &request(ActionKind::ClearCache, None, blank),
            None,
        ));
        assert_eq!(r.code, RefusalCode::ReasonRequired);
    }
    let long = "x".repeat(MAX_REASON_CHARS + 1);
    let r = refusal(plan(
        &config,
        &request(ActionKind::ClearCache, None, &long),
        None,
    ));
    assert_eq!(r.code, RefusalCode::ReasonTooLong);
    let ok = plan(
        &config,
        &request(ActionKind::ClearCache, None, "  cache poisoned  "),
        None,
    )
    .expect("planned");
    assert_eq!(ok.request.reason, "cache poisoned");
}

#[test]
fn breaker_actions_need_a_breaker_that_exists_when_the_state_is_known() {
    let config = service(Profile::BreakerRegistry);
    let r = refusal(plan(
        &config,
        &request(ActionKind::ResetBreaker, None, "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::TargetRequired);
    let state = seen(
        "breaker-registry",
        json!([{"name": "exchange_api", "state": "open"}, {"name": "redis", "state": "closed"}]),
    );
    let r = refusal(plan(
        &config,
        &request(ActionKind::ResetBreaker, Some("exchange"), "why"),
        Some(&state),
    ));
    assert_eq!(r.code, RefusalCode::UnknownBreaker);
    assert!(r.message.contains("exchange_api, redis"), "{}", r.message);
    // Unknown state: the service decides.
    assert!(plan(
        &config,
        &request(ActionKind::ResetBreaker, Some("exchange"), "why"),
        None
    )
    .is_ok());
}

#[test]
fn resetting_a_closed_breaker_needs_override_and_says_why() {
    let config = service(Profile::BreakerRegistry);
    let state = seen(
        "breaker-registry",
        json!([{"name": "redis", "state": "closed"}]),
    );
    let mut asked = request(ActionKind::ResetBreaker, Some("redis"), "why");
    let r = refusal(plan(&config, &asked, Some(&state)));
    assert_eq!(r.code, RefusalCode::AlreadyInState);
    assert!(r.overridable);
    assert!(
        r.message
            .contains("already closed: a reset would change nothing"),
        "{}",
        r.message
    );
    asked.override_checks = true;
    let planned = plan(&config, &asked, Some(&state)).expect("overridden");
    assert_eq!(planned.overridden.len(), 1);
    assert_eq!(
        planned.breaker.map(|b| b.state),
        Some(crate::model::BreakerState::Closed)
    );
}

#[test]
fn plans_say_what_will_be_sent_without_secrets() {
    let mut config = service(Profile::BreakerRegistry);
    config.base_url = "http://ops:hunter2@127.0.0.1:8001".into();
    let planned = plan(
        &config,
        &request(ActionKind::ResetBreaker, Some("exchange api/1"), "why"),
        None,
    )
    .expect("planned");
    assert_eq!(planned.method, "POST");
    assert_eq!(
        planned.path,
        "/api/circuit-breakers/exchange%20api%2F1/reset"
    );
    assert_eq!(planned.place, "127.0.0.1:8001");
    assert!(!planned.description.contains("hunter2"));
    assert!(planned.effect.contains("CLOSED"), "{}", planned.effect);
    // The request itself never crosses IPC.
    let sent = serde_json::to_value(&planned).expect("serialises");
    assert!(!sent.to_string().contains("hunter2"));
    let back: ActionPlan = serde_json::from_value(sent).expect("deserialises");
    assert!(back.call.is_none());

    let planned = plan(
        &config,
        &request(
            ActionKind::InvalidateCachePattern,
            Some("market_data:*"),
            "why",
        ),
        None,
    )
    .expect("planned");
    assert_eq!(
        planned.body.as_deref(),
        Some(r#"{"pattern":"market_data:*"}"#)
    );
    let r = refusal(plan(
        &config,
        &request(ActionKind::ClearCache, Some("market_data:*"), "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::TargetNotAccepted);
}

#[test]
fn single_breaker_names_its_one_breaker_and_overrides_with_the_reason() {
    let config = service(Profile::SingleBreaker);
    let planned = plan(
        &config,
        &request(ActionKind::ResetBreaker, None, "drawdown reviewed"),
        None,
    )
    .expect("planned");
    assert_eq!(planned.request.target.as_deref(), Some("circuit_breaker"));
    assert_eq!(planned.path, "/api/circuit-breaker/reset");
    let mut asked = request(ActionKind::ResetBreaker, None, "drawdown reviewed & ok");
    asked.override_checks = true;
    let planned = plan(&config, &asked, None).expect("planned");
    assert_eq!(
        planned.path,
        "/api/circuit-breaker/reset?override=true&reason=drawdown%20reviewed%20%26%20ok"
    );
    let r = refusal(plan(
        &config,
        &request(ActionKind::ResetBreaker, Some("other"), "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::UnknownBreaker);
}

#[test]
fn spring_actuator_updates_state_and_evicts_caches() {
    let config = service(Profile::SpringActuator);
    for (kind, word, expect) in [
        (ActionKind::ResetBreaker, "CLOSE", BreakerState::Closed),
        (
            ActionKind::ForceOpenBreaker,
            "FORCE_OPEN",
            BreakerState::ForcedOpen,
        ),
        (
            ActionKind::DisableBreaker,
            "DISABLE",
            BreakerState::Disabled,
        ),
    ] {
        let planned =
            plan(&config, &request(kind, Some("backendA"), "why"), None).expect("planned");
        assert_eq!(planned.path, "/actuator/circuitbreakers/backendA");
        assert_eq!(planned.body, Some(format!(r#"{{"updateState":"{word}"}}"#)));
        assert_eq!(planned.expect, Some(expect));
    }
    let all = plan(&config, &request(ActionKind::ClearCache, None, "why"), None).expect("planned");
    assert_eq!(
        (all.method.as_str(), all.path.as_str()),
        ("DELETE", "/actuator/caches")
    );
    let one = plan(
        &config,
        &request(ActionKind::ClearCache, Some("users"), "why"),
        None,
    )
    .expect("planned");
    assert_eq!(one.path, "/actuator/caches/users");
}

#[test]
fn the_profile_can_come_from_the_engine_when_it_was_detected() {
    let mut config = service(Profile::BreakerRegistry);
    config.profile = None;
    let r = refusal(plan(
        &config,
        &request(ActionKind::ClearCache, None, "why"),
        None,
    ));
    assert_eq!(r.code, RefusalCode::ProfileUnknown);
    let state = seen("breaker-registry", json!([]));
    assert!(plan(
        &config,
        &request(ActionKind::ClearCache, None, "why"),
        Some(&state)
    )
    .is_ok());
}

#[test]
fn the_same_action_cannot_be_in_flight_twice() {
    let config = service(Profile::BreakerRegistry);
    let planned =
        plan(&config, &request(ActionKind::ClearCache, None, "why"), None).expect("planned");
    let in_flight = InFlight::default();
    let first = in_flight.begin(&planned).expect("first");
    assert_eq!(
        in_flight.begin(&planned).map(|_| ()).unwrap_err().code,
        RefusalCode::InFlight
    );
    drop(first);
    assert!(in_flight.begin(&planned).is_ok());
}

#[test]
fn verification_words_for_the_audit_log() {
    let verified = Verification::Verified {
        state: BreakerState::Closed,
        after_ms: 512.0,
    };
    assert_eq!(verified.audit_word().as_deref(), Some("closed"));
    assert_eq!(verified.line(), "verified: closed");
    let not = Verification::NotVerified {
        state: Some(BreakerState::Open),
        after_ms: 10_000.0,
        message: "exchange_api is still open after 10s (expected closed)".into(),
    };
    assert_eq!(
        not.audit_word().as_deref(),
        Some("not verified: open after 10 s")
    );
}
