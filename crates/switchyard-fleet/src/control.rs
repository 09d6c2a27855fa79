//! The control endpoint tests use to drive a service deterministically:
//! `POST /_fleet/set` pins a condition and a fault, `POST /_fleet/script`
//! pauses or resumes the script, `GET /_fleet/state` shows where it stands.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::condition::{DependencyCondition, ServiceCondition, Status};
use crate::faults::Fault;
use crate::state::{Control, ServiceState, Snapshot};

/// Body of `POST /_fleet/set`. Every field is optional; whatever is given
/// changes, the rest stays as it is now. Unknown fields are refused so a
/// typo in a test fails loudly instead of silently doing nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRequest {
    /// The overall status. It is never derived from the dependencies, so a
    /// test can also serve documents that contradict themselves.
    status: Option<Status>,
    #[serde(default)]
    dependencies: BTreeMap<String, DependencyPatch>,
    fault: Option<Fault>,
    delay_ms: Option<u64>,
    retry_after_seconds: Option<u64>,
}

/// Changes to one dependency; a name the service does not have yet is added.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DependencyPatch {
    status: Option<Status>,
    latency_ms: Option<f64>,
    /// Absent: unchanged (but see [`DependencyPatch::apply`]); `null`: cleared.
    #[serde(default, deserialize_with = "present")]
    error: Option<Option<String>>,
}

/// Body of `POST /_fleet/script`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptRequest {
    running: bool,
}

/// The answer of all three routes: the condition in the same shape `set`
/// accepts, plus what only the fleet knows.
#[derive(Serialize)]
struct StateView<'a> {
    service: &'a str,
    /// Supplies `status` and `dependencies`.
    #[serde(flatten)]
    condition: &'a ServiceCondition,
    /// True while the script is not driving the service.
    pinned: bool,
    fault: Fault,
    /// In force for `slow` (the default when none was set).
    delay_ms: u64,
    /// In force for `rate_limited` (the default when none was set).
    retry_after_seconds: u64,
    /// `GET /health` requests served so far, whatever they answered.
    health_requests: u64,
    uptime_seconds: f64,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`,
/// through `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

impl SetRequest {
    fn validate(&self) -> Result<(), String> {
        for (name, patch) in &self.dependencies {
            if let Some(latency) = patch.latency_ms {
                // serde_json never yields NaN or infinities, so this is the only bad number.
                if latency < 0.0 {
                    return Err(format!(
                        "dependencies.{name}.latency_ms must not be negative, got {latency}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Pins the service at `current` changed by this request.
    fn apply(self, control: &mut Control, current: &ServiceCondition) {
        let mut condition = current.clone();
        if let Some(status) = self.status {
            condition.status = status;
        }
        for (name, patch) in self.dependencies {
            let dependency = condition
                .dependencies
                .entry(name)
                .or_insert_with(|| DependencyCondition::ok(0.0));
            patch.apply(dependency);
        }
        control.pinned = Some(condition);
        if let Some(fault) = self.fault {
            control.fault = fault;
        }
        if let Some(delay_ms) = self.delay_ms {
            control.delay = Some(Duration::from_millis(delay_ms));
        }
        if let Some(seconds) = self.retry_after_seconds {
            control.retry_after_seconds = Some(seconds);
        }
    }
}

impl DependencyPatch {
    fn apply(self, dependency: &mut DependencyCondition) {
        if let Some(status) = self.status {
            dependency.status = status;
            // A dependency set back to OK without a word about its error
            // should not keep showing the old one.
            if status == Status::Ok && self.error.is_none() {
                dependency.error = None;
            }
        }
        if let Some(latency_ms) = self.latency_ms {
            dependency.latency_ms = latency_ms;
        }
        if let Some(error) = self.error {
            dependency.error = error;
        }
    }
}

/// `POST /_fleet/set`.
pub(crate) async fn set(State(state): State<Arc<ServiceState>>, body: Bytes) -> Response {
    let request: SetRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    if let Err(message) = request.validate() {
        return bad_request(message);
    }
    let snapshot = state.update(|control, current| request.apply(control, current));
    state_response(&state.name, &snapshot)
}

/// `POST /_fleet/script`.
pub(crate) async fn script(State(state): State<Arc<ServiceState>>, body: Bytes) -> Response {
    let request: ScriptRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    let snapshot = state.update(|control, current| {
        if request.running {
            // Resuming undoes everything `set` did, fault included: the
            // script is back in sole charge.
            *control = Control::default();
        } else if control.pinned.is_none() {
            control.pinned = Some(current.clone());
        }
    });
    state_response(&state.name, &snapshot)
}

/// `GET /_fleet/state`.
pub(crate) async fn state(State(state): State<Arc<ServiceState>>) -> Response {
    state_response(&state.name, &state.snapshot())
}

/// Parses a JSON body; an empty body counts as `{}` so `curl -X POST` works.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|error| error.to_string())
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

fn state_response(service: &str, snapshot: &Snapshot) -> Response {
    Json(StateView {
        service,
        condition: &snapshot.condition,
        pinned: snapshot.pinned,
        fault: snapshot.fault,
        delay_ms: u64::try_from(snapshot.delay.as_millis()).unwrap_or(u64::MAX),
        retry_after_seconds: snapshot.retry_after_seconds,
        health_requests: snapshot.health_requests,
        uptime_seconds: snapshot.elapsed.as_secs_f64(),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> SetRequest {
        match parse(json.as_bytes()) {
            Ok(request) => request,
            Err(message) => panic!("{json} refused: {message}"),
        }
    }

    #[test]
    fn set_pins_the_current_condition_with_changes() {
        let mut control = Control::default();
        request(
            r#"{"status": "degraded",
                "dependencies": {"postgres": {"status": "DEGRADED", "latency_ms": 250.3, "error": "Slow query"}},
                "fault": "slow", "delay_ms": 1500}"#,
        )
        .apply(&mut control, &ServiceCondition::healthy());
        let pinned = control.pinned.unwrap_or_else(ServiceCondition::healthy);
        assert_eq!(pinned.status, Status::Degraded);
        assert_eq!(
            pinned.dependencies["postgres"],
            DependencyCondition::failing(Status::Degraded, 250.3, "Slow query")
        );
        assert_eq!(pinned.dependencies["redis"], DependencyCondition::ok(1.5));
        assert_eq!(control.fault, Fault::Slow);
        assert_eq!(control.delay, Some(Duration::from_millis(1500)));
        assert_eq!(control.retry_after_seconds, None);
    }

    #[test]
    fn empty_set_pins_without_changing_anything() {
        let mut control = Control::default();
        request("").apply(&mut control, &ServiceCondition::healthy());
        assert_eq!(control.pinned, Some(ServiceCondition::healthy()));
        assert_eq!(control.fault, Fault::None);
    }

    #[test]
    fn dependency_errors_clear_when_set_ok_or_null() {
        let failing = ServiceCondition::healthy().with_dependency(
            "redis",
            DependencyCondition::failing(Status::Down, 0.0, "Connection refused"),
        );
        let mut control = Control::default();
        request(r#"{"dependencies": {"redis": {"status": "ok"}}}"#).apply(&mut control, &failing);
        let redis = control
            .pinned
            .as_ref()
            .map(|c| c.dependencies["redis"].clone());
        assert_eq!(redis.and_then(|r| r.error), None);

        let mut control = Control::default();
        request(r#"{"dependencies": {"redis": {"error": null}}}"#).apply(&mut control, &failing);
        let redis = control
            .pinned
            .as_ref()
            .map(|c| c.dependencies["redis"].clone());
        assert_eq!(
            redis.map(|r| (r.status, r.error)),
            Some((Status::Down, None))
        );
    }

    #[test]
    fn new_dependencies_are_added() {
        let mut control = Control::default();
        request(r#"{"dependencies": {"eventbus": {"status": "DOWN", "error": "gone"}}}"#)
            .apply(&mut control, &ServiceCondition::healthy());
        let eventbus = control.pinned.map(|c| c.dependencies["eventbus"].clone());
        assert_eq!(
            eventbus,
            Some(DependencyCondition::failing(Status::Down, 0.0, "gone"))
        );
    }

    #[test]
    fn bad_bodies_are_refused() {
        for body in [
            "not json",
            r#"{"status": "up"}"#,
            r#"{"fault": "explode"}"#,
            r#"{"stauts": "OK"}"#,
            r#"{"delay_ms": -1}"#,
            r#"{"dependencies": {"redis": {"latency": 3}}}"#,
        ] {
            assert!(parse::<SetRequest>(body.as_bytes()).is_err(), "{body}");
        }
        let negative = request(r#"{"dependencies": {"redis": {"latency_ms": -3}}}"#);
        assert!(negative.validate().is_err());
        assert!(parse::<ScriptRequest>(b"{}").is_err());
    }
}
