//! The seed profiles' HTTP faces: for each, a model (what the service
//! knows), the routes that serve it in the contract's shapes, and how the
//! control endpoint changes it.

pub(crate) mod breaker_registry;
pub(crate) mod emergency_controls;
pub(crate) mod health_contract;
pub(crate) mod health_levels;
pub(crate) mod single_breaker;
pub(crate) mod spring_actuator;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::control::request::ProfileChanges;
use crate::dynamics::transitions::Transition;
use crate::profile::Profile;
use crate::state::ServiceState;

/// One profile's model, driven by its script and changed by the control
/// endpoint. Cloned to apply a change all or nothing, so keep it small.
pub(crate) trait Simulation: Clone + Send + Sync + Sized + 'static {
    const PROFILE: Profile;
    /// The `POST /_fleet/set` fields (besides faults and the rate budget)
    /// this profile understands; others are refused.
    const ACCEPTS: &'static [&'static str];
    /// Whether every answer carries `X-RateLimit-*` headers even with no
    /// budget set (`breaker-registry` documents them).
    const ADVERTISES_RATE_LIMIT: bool = false;

    /// Steps the script up to `now`, the time since start.
    fn advance_to(&mut self, now: Duration);
    /// The script stops driving the service (after `advance_to(now)`).
    fn pin(&mut self, _now: Duration) {}
    /// The script drives again; forget what the control endpoint pinned.
    fn resume(&mut self) {}
    /// Applies the profile part of `POST /_fleet/set`.
    fn apply(&mut self, changes: &ProfileChanges, now: Duration) -> Result<(), String>;
    /// The profile part of `GET /_fleet/state`, in the shapes `apply` takes.
    fn view(&self, clock: &Clock) -> Map<String, Value>;
    /// The profile's routes (the gate and the state are added by the server).
    fn routes() -> Router<Arc<ServiceState<Self>>>;

    /// Notes the breakers' states at `now` after a request or a control
    /// change, for the streams; models without breakers ignore it.
    fn observe(&mut self, _now: Duration) {}
    /// The breaker transitions noted since the last call, oldest first.
    fn take_transitions(&mut self) -> Vec<Transition> {
        Vec::new()
    }
    /// The latest transition of every breaker: what a stream flood repeats.
    fn latest_transitions(&self) -> Vec<Transition> {
        Vec::new()
    }
}

/// A JSON error answer, `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// A request body parsed as JSON, or the message of the `400` to answer.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

/// Serialises a document built from plain values; should that ever fail,
/// an empty object is an answer parsers must survive anyway.
pub(crate) fn to_value(document: impl serde::Serialize) -> Value {
    serde_json::to_value(document).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// A JSON object from `(name, value)` pairs.
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Map<String, Value> {
    fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}
