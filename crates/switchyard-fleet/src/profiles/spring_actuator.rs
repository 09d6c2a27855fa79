//! The `spring-actuator` profile (docs/contracts.md): a Spring Boot service's actuator
//! with Resilience4j. Its index of links (`GET /actuator`), health, the breakers and
//! their events, the breakers' state changes (`POST /actuator/circuitbreakers/{name}`
//! with `{"updateState": "CLOSE" | "FORCE_OPEN" | "DISABLE"}`) and cache evictions.
//! Quiet: nothing moves but what the control endpoint and the actions change. With
//! `ignore_resets` set, a state change is answered as done and not made, so a console's
//! verification can find it was not.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{error, json_body, object, Simulation};
use crate::clock::Clock;
use crate::control::request::ProfileChanges;
use crate::profile::Profile;
use crate::state::ServiceState;

/// The breakers a new service has, all closed.
const BREAKERS: [&str; 2] = ["backendA", "backendB"];
/// The caches it lists.
const CACHES: [&str; 2] = ["users", "prices"];

/// Resilience4j's state words, as the control endpoint may name them.
const STATES: [&str; 6] = [
    "CLOSED",
    "OPEN",
    "HALF_OPEN",
    "FORCED_OPEN",
    "DISABLED",
    "METRICS_ONLY",
];

#[derive(Clone, Debug)]
pub(crate) struct SpringActuator {
    /// Each breaker's state word.
    breakers: BTreeMap<String, String>,
}

impl SpringActuator {
    pub(crate) fn new() -> Self {
        SpringActuator {
            breakers: BREAKERS
                .iter()
                .map(|name| (name.to_string(), "CLOSED".to_string()))
                .collect(),
        }
    }

    fn breakers_document(&self) -> Value {
        let breakers: Map<String, Value> = self
            .breakers
            .iter()
            .map(|(name, state)| {
                let fields = json!({"failureRate": "-1.0%", "slowCallRate": "-1.0%",
                    "failureRateThreshold": "50.0%", "bufferedCalls": 0, "failedCalls": 0,
                    "notPermittedCalls": 0, "state": state});
                (name.clone(), fields)
            })
            .collect();
        json!({ "circuitBreakers": breakers })
    }
}

impl Simulation for SpringActuator {
    const PROFILE: Profile = Profile::SpringActuator;
    const ACCEPTS: &'static [&'static str] = &["breakers"];

    fn advance_to(&mut self, _now: Duration) {}

    fn apply(&mut self, changes: &ProfileChanges, _now: Duration) -> Result<(), String> {
        for (name, patch) in changes.breakers.iter().flatten() {
            let Some(word) = patch.state_word() else {
                continue;
            };
            let state = crate::words::pick(
                word,
                &STATES.map(|s| (s, s)),
                "a Resilience4j breaker state",
            )?;
            self.breakers.insert(name.clone(), state.to_string());
        }
        Ok(())
    }

    fn view(&self, _clock: &Clock) -> Map<String, Value> {
        object([(
            "breakers",
            self.breakers_document()["circuitBreakers"].clone(),
        )])
    }

    fn routes() -> Router<Arc<ServiceState<Self>>> {
        Router::new()
            .route("/actuator", get(index))
            .route("/actuator/health", get(health))
            .route("/actuator/circuitbreakers", get(breakers))
            .route("/actuator/circuitbreakers/{name}", post(update))
            .route("/actuator/circuitbreakerevents", get(events))
            .route("/actuator/caches", get(caches).delete(evict_all))
            .route("/actuator/caches/{name}", delete(evict))
    }
}

type Shared = State<Arc<ServiceState<SpringActuator>>>;

/// `GET /actuator`: the links of what the service exposes.
async fn index() -> Response {
    let link = |path: &str| json!({"href": format!("http://localhost{path}"), "templated": false});
    Json(json!({"_links": {
        "self": link("/actuator"),
        "health": link("/actuator/health"),
        "circuitbreakers": link("/actuator/circuitbreakers"),
        "circuitbreakerevents": link("/actuator/circuitbreakerevents"),
        "caches": link("/actuator/caches"),
    }}))
    .into_response()
}

/// `GET /actuator/health`: down while a breaker is open, as Resilience4j's health
/// indicator reports it.
async fn health(State(state): Shared) -> Response {
    let open = state.with_model(|model, _| model.breakers.values().any(|s| s == "OPEN"));
    let status = if open { "DOWN" } else { "UP" };
    Json(json!({"status": status, "components": {
        "circuitBreakers": {"status": if open { "CIRCUIT_OPEN" } else { "UP" }},
        "ping": {"status": "UP"},
    }}))
    .into_response()
}

async fn breakers(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.breakers_document())).into_response()
}

async fn events() -> Response {
    Json(json!({"circuitBreakerEvents": []})).into_response()
}

/// `POST /actuator/circuitbreakers/{name}` with `{"updateState": …}`.
async fn update(State(state): Shared, Path(name): Path<String>, body: Bytes) -> Response {
    let request: Value = match json_body(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let new_state = match request["updateState"].as_str() {
        Some("CLOSE") => "CLOSED",
        Some("FORCE_OPEN") => "FORCED_OPEN",
        Some("DISABLE") => "DISABLED",
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "updateState is CLOSE, FORCE_OPEN or DISABLE",
            )
        }
    };
    let ignore = state.ignores_resets();
    let known = state.with_model(|model, _| match model.breakers.get_mut(&name) {
        Some(current) => {
            if !ignore {
                *current = new_state.to_string();
            }
            true
        }
        None => false,
    });
    if !known {
        return error(
            StatusCode::NOT_FOUND,
            format!("no circuit breaker named {name}"),
        );
    }
    Json(
        json!({"circuitBreakerName": name, "currentState": new_state,
        "message": format!("{name} state has been changed successfully")}),
    )
    .into_response()
}

async fn caches() -> Response {
    let listed: Map<String, Value> = CACHES
        .iter()
        .map(|name| {
            (
                name.to_string(),
                json!({"target": "java.util.concurrent.ConcurrentHashMap"}),
            )
        })
        .collect();
    Json(json!({"cacheManagers": {"cacheManager": {"caches": listed}}})).into_response()
}

async fn evict_all() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

async fn evict(Path(name): Path<String>) -> Response {
    if CACHES.contains(&name.as_str()) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, format!("no cache named {name}"))
    }
}
