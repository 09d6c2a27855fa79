//! The control endpoint tests use to drive a service deterministically:
//! `POST /_fleet/set` pins the service and changes it, `POST /_fleet/script`
//! pauses or resumes its script, `GET /_fleet/state` shows where it stands.
//! None of them is counted, rate-limited or faulted.

pub(crate) mod request;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::profiles::Simulation;
use crate::state::ServiceState;
use request::{parse, SetRequest};

/// Body of `POST /_fleet/script`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptRequest {
    running: bool,
}

/// The three control routes, for a service of any profile.
pub(crate) fn routes<M: Simulation>() -> Router<Arc<ServiceState<M>>> {
    Router::new()
        .route("/_fleet/set", post(set::<M>))
        .route("/_fleet/script", post(script::<M>))
        .route("/_fleet/state", get(state::<M>))
}

/// `POST /_fleet/set`: answers the resulting state.
async fn set<M: Simulation>(State(state): State<Arc<ServiceState<M>>>, body: Bytes) -> Response {
    let request: SetRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    let (control, changes) = match request.split() {
        Ok(parts) => parts,
        Err(message) => return bad_request(message),
    };
    match state.set(control, &changes) {
        Ok(view) => Json(view).into_response(),
        Err(message) => bad_request(message),
    }
}

/// `POST /_fleet/script`.
async fn script<M: Simulation>(State(state): State<Arc<ServiceState<M>>>, body: Bytes) -> Response {
    match parse::<ScriptRequest>(&body) {
        Ok(request) => Json(state.run_script(request.running)).into_response(),
        Err(message) => bad_request(message),
    }
}

/// `GET /_fleet/state`.
async fn state<M: Simulation>(State(state): State<Arc<ServiceState<M>>>) -> Response {
    Json(state.view()).into_response()
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_requests_need_running() {
        assert!(parse::<ScriptRequest>(b"{}").is_err());
        assert!(parse::<ScriptRequest>(br#"{"running": "yes"}"#).is_err());
        assert!(parse::<ScriptRequest>(br#"{"running": true}"#).is_ok());
    }
}
