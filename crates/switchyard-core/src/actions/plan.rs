//! The safety checks and the request each profile's contract (docs/contracts.md, "Actions")
//! asks for. Checks run in the order an engineer would want to hear about them: is this
//! service allowed to be touched at all, can it do this, did you say why, does the thing
//! exist, and is it worth doing.

use reqwest::Method;
use serde_json::{json, Value};

use super::{ActionPlan, ActionRequest, Refusal, RefusalCode, MAX_REASON_CHARS};
use crate::config::ServiceConfig;
use crate::model::ServiceState;
use crate::model::{ActionKind, Breaker, BreakerState, Observation};
use crate::profiles::single_breaker::BREAKER_NAME;
use crate::profiles::Profile;
use crate::sources::http::describe_place;

/// The request a plan will send. Kept out of serialisation: it holds the service's
/// configuration (header references) and is only ever built here.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Call {
    pub(super) service: ServiceConfig,
    pub(super) method: Method,
    /// Base URL, path and query.
    pub(super) url: String,
    pub(super) json: Option<Value>,
    /// A `single-breaker` reset sent without override: a 409 may be overridden.
    pub(super) guarded: bool,
}

/// Checks `request` against the service's configuration, its profile and, when known,
/// its current state, and says what will be sent. `current` is the engine's state of the
/// service; without it the breaker checks are left to the service.
pub fn plan(
    service: &ServiceConfig,
    request: &ActionRequest,
    current: Option<&ServiceState>,
) -> Result<ActionPlan, Refusal> {
    plan_observed(service, request, current.and_then(|s| s.last_good.as_ref()))
}

/// [`plan`] for a caller without an engine (the CLI): `last_good` is the latest
/// observation in which the service answered, e.g. from one poll just before.
pub fn plan_observed(
    service: &ServiceConfig,
    request: &ActionRequest,
    last_good: Option<&Observation>,
) -> Result<ActionPlan, Refusal> {
    let last_good = last_good.filter(|o| o.is_reachable());
    if request.service != service.name {
        return Err(refuse(
            RefusalCode::UnknownService,
            format!(
                "the request is for `{}` but the configuration given is `{}`",
                request.service, service.name
            ),
        ));
    }
    if !service.allow_actions {
        return Err(refuse(
            RefusalCode::ActionsNotAllowed,
            format!(
                "actions are turned off for {}: its configuration says allow_actions = false",
                service.name
            ),
        ));
    }
    let profile = service
        .profile
        .or_else(|| last_good.and_then(|o| Profile::from_name(&o.profile).ok()))
        .ok_or_else(|| {
            refuse(
                RefusalCode::ProfileUnknown,
                format!(
                    "the profile of {} is not known yet (it is detected on the first poll); \
                     try again in a moment or set `profile` in the configuration",
                    service.name
                ),
            )
        })?;
    if profile == Profile::EmergencyControls {
        return Err(refuse(
            RefusalCode::ReadOnly,
            format!(
                "{} is read-only: the service has no reset endpoint (emergency-controls \
                 breakers close on their own after their timeout)",
                service.name
            ),
        ));
    }
    let offered = profile.actions();
    if !offered.contains(&request.kind) {
        let offered: Vec<&str> = offered.iter().map(|k| k.as_str()).collect();
        return Err(refuse(
            RefusalCode::NotOffered,
            format!(
                "a {} service offers no {}{}",
                profile.name(),
                request.kind.as_str(),
                if offered.is_empty() {
                    " (it offers no actions)".to_string()
                } else {
                    format!(" (it offers: {})", offered.join(", "))
                }
            ),
        ));
    }
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(refuse(
            RefusalCode::ReasonRequired,
            "a reason is required: say why, for the audit log and the service's own records",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(refuse(
            RefusalCode::ReasonTooLong,
            format!("the reason is over {MAX_REASON_CHARS} characters; keep it to a sentence"),
        ));
    }
    let target = request
        .target
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let normalised = ActionRequest {
        service: request.service.clone(),
        kind: request.kind,
        target: target.map(str::to_string),
        reason: reason.to_string(),
        override_checks: request.override_checks,
        instance: request.instance.clone(),
    };
    let known = last_good
        .map(|o| o.breakers.as_slice())
        .filter(|b| !b.is_empty());
    let shape = shape(profile, &normalised, service)?;
    let mut overridden = Vec::new();
    let breaker = match (&shape.breaker, known) {
        (Some(name), Some(breakers)) => {
            let Some(breaker) = breakers.iter().find(|b| &b.name == name) else {
                let names: Vec<&str> = breakers.iter().map(|b| b.name.as_str()).collect();
                return Err(refuse(
                    RefusalCode::UnknownBreaker,
                    format!(
                        "{} has no breaker `{name}` (it has: {})",
                        service.name,
                        names.join(", ")
                    ),
                ));
            };
            if let Some(expect) = shape.expect.filter(|e| *e == breaker.state) {
                let why = format!(
                    "{name} is already {}{}",
                    expect.as_str(),
                    match (profile, expect) {
                        (Profile::SingleBreaker, BreakerState::Closed) =>
                            ": the service would refuse the reset (409, not active)",
                        (_, BreakerState::Closed) => ": a reset would change nothing",
                        _ => ": sending it again would change nothing",
                    }
                );
                if !normalised.override_checks {
                    return Err(Refusal {
                        code: RefusalCode::AlreadyInState,
                        message: format!("{why}; confirm with override to send it anyway"),
                        overridable: true,
                    });
                }
                overridden.push(why);
            }
            Some(breaker.clone())
        }
        _ => None,
    };
    Ok(finish(
        service, profile, normalised, shape, breaker, overridden,
    ))
}

/// What one profile's contract makes of a request: the request and what it means.
struct Shape {
    method: Method,
    /// Path and query.
    path: String,
    json: Option<Value>,
    /// The breaker the action is about.
    breaker: Option<String>,
    expect: Option<BreakerState>,
    effect: String,
    guarded: bool,
}

fn shape(
    profile: Profile,
    request: &ActionRequest,
    service: &ServiceConfig,
) -> Result<Shape, Refusal> {
    let target = request.target.as_deref();
    let named = |what: &str| {
        target.map(str::to_string).ok_or_else(|| {
            refuse(
                RefusalCode::TargetRequired,
                format!("{} needs {what}", request.kind.as_str()),
            )
        })
    };
    let no_target = |why: &str| match target {
        Some(t) => Err(refuse(
            RefusalCode::TargetNotAccepted,
            format!("`{t}` was given, but {why}"),
        )),
        None => Ok(()),
    };
    let shape = match (profile, request.kind) {
        (Profile::BreakerRegistry, ActionKind::ResetBreaker) => {
            let name = named("the breaker's name")?;
            Shape {
                method: Method::POST,
                path: format!("/api/circuit-breakers/{}/reset", encode(&name)),
                json: None,
                effect: format!(
                    "resets breaker {name} of {} to CLOSED: calls go through again at once",
                    service.name
                ),
                breaker: Some(name),
                expect: Some(BreakerState::Closed),
                guarded: false,
            }
        }
        (Profile::BreakerRegistry, ActionKind::ClearCache) => {
            no_target(
                "a breaker-registry service clears its whole cache; \
                 use invalidate_cache_pattern for part of it",
            )?;
            Shape {
                method: Method::POST,
                path: "/api/cache/clear".into(),
                json: None,
                effect: format!(
                    "evicts every entry of {}'s cache: reads miss (and load the database) \
                     until it warms up again",
                    service.name
                ),
                breaker: None,
                expect: None,
                guarded: false,
            }
        }
        (Profile::BreakerRegistry, ActionKind::InvalidateCachePattern) => {
            let pattern = named("a pattern such as market_data:*")?;
            Shape {
                method: Method::POST,
                path: "/api/cache/invalidate/pattern".into(),
                json: Some(json!({ "pattern": pattern })),
                effect: format!(
                    "evicts the entries of {}'s cache matching `{pattern}`",
                    service.name
                ),
                breaker: None,
                expect: None,
                guarded: false,
            }
        }
        (Profile::SingleBreaker, ActionKind::ResetBreaker) => {
            if let Some(t) = target.filter(|t| *t != BREAKER_NAME) {
                return Err(refuse(
                    RefusalCode::UnknownBreaker,
                    format!(
                        "a single-breaker service has one breaker, `{BREAKER_NAME}`; `{t}` is not it"
                    ),
                ));
            }
            let (path, effect) = if request.override_checks {
                (
                    format!(
                        "/api/circuit-breaker/reset?override=true&reason={}",
                        encode(&request.reason)
                    ),
                    format!(
                        "resets {}'s circuit breaker even if the service's guard says it is not \
                         active (override); trading resumes",
                        service.name
                    ),
                )
            } else {
                (
                    "/api/circuit-breaker/reset".to_string(),
                    format!(
                        "resets {}'s circuit breaker; the service refuses (409) when it is not \
                         active, and the console then offers to reset anyway",
                        service.name
                    ),
                )
            };
            Shape {
                method: Method::POST,
                path,
                json: None,
                breaker: Some(BREAKER_NAME.to_string()),
                expect: Some(BreakerState::Closed),
                effect,
                guarded: !request.override_checks,
            }
        }
        (
            Profile::SpringActuator,
            kind @ (ActionKind::ResetBreaker
            | ActionKind::ForceOpenBreaker
            | ActionKind::DisableBreaker),
        ) => {
            let name = named("the breaker's name")?;
            let (word, expect, does) = match kind {
                ActionKind::ForceOpenBreaker => (
                    "FORCE_OPEN",
                    BreakerState::ForcedOpen,
                    "forces breaker {name} open: every call through it is refused until it is closed again",
                ),
                ActionKind::DisableBreaker => (
                    "DISABLE",
                    BreakerState::Disabled,
                    "disables breaker {name}: calls always go through and failures no longer trip it",
                ),
                _ => (
                    "CLOSE",
                    BreakerState::Closed,
                    "closes breaker {name}: calls go through again at once",
                ),
            };
            Shape {
                method: Method::POST,
                path: format!("/actuator/circuitbreakers/{}", encode(&name)),
                json: Some(json!({ "updateState": word })),
                effect: format!("{} (updateState {word})", does.replace("{name}", &name)),
                breaker: Some(name),
                expect: Some(expect),
                guarded: false,
            }
        }
        (Profile::SpringActuator, ActionKind::ClearCache) => {
            let (path, effect) = match target {
                Some(cache) => (
                    format!("/actuator/caches/{}", encode(cache)),
                    format!("evicts every entry of {}'s cache `{cache}`", service.name),
                ),
                None => (
                    "/actuator/caches".to_string(),
                    format!("evicts every entry of every cache of {}", service.name),
                ),
            };
            Shape {
                method: Method::DELETE,
                path,
                json: None,
                effect,
                breaker: None,
                expect: None,
                guarded: false,
            }
        }
        (profile, kind) => {
            // `Profile::actions` and this table disagree: say so rather than guess.
            return Err(refuse(
                RefusalCode::NotOffered,
                format!(
                    "the console does not know how to send {} to a {} service",
                    kind.as_str(),
                    profile.name()
                ),
            ));
        }
    };
    Ok(shape)
}

fn finish(
    service: &ServiceConfig,
    profile: Profile,
    request: ActionRequest,
    shape: Shape,
    breaker: Option<Breaker>,
    overridden: Vec<String>,
) -> ActionPlan {
    let place = describe_place(&service.base_url)
        .trim_end_matches('/')
        .to_string();
    let mut request = request;
    if request.target.is_none() {
        // single-breaker: name the one breaker, for the audit log.
        request.target.clone_from(&shape.breaker);
    }
    let description = format!(
        "{} {place}{}{} — {}",
        shape.method,
        shape.path,
        shape
            .json
            .as_ref()
            .map(|body| format!(" {body}"))
            .unwrap_or_default(),
        shape.effect
    );
    ActionPlan {
        profile: profile.name().to_string(),
        method: shape.method.to_string(),
        place,
        path: shape.path.clone(),
        body: shape.json.as_ref().map(Value::to_string),
        effect: shape.effect,
        description,
        breaker,
        expect: shape.expect,
        overridden,
        instances: Vec::new(),
        call: Some(Call {
            service: service.clone(),
            method: shape.method,
            url: format!("{}{}", service.base_url, shape.path),
            json: shape.json,
            guarded: shape.guarded,
        }),
        request,
    }
}

fn refuse(code: RefusalCode, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        overridable: false,
    }
}

/// Percent-encodes a path segment or query value: everything but RFC 3986's unreserved
/// characters, so a breaker named `a/b` or a reason with `&` cannot change the request.
pub(super) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A header value: printable ASCII as is, everything else (and `%`) percent-encoded, so
/// any reason fits a header and reads plainly in the common case.
pub(super) fn encode_header(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
