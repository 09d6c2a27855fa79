//! The `health-contract` profile (docs/contracts.md): `GET /health` and the
//! document it answers, built from the service's current condition, which
//! its [`Script`] sets until the control endpoint pins it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{to_value, Simulation};
use crate::clock::Clock;
use crate::condition::{DependencyCondition, ServiceCondition, Status};
use crate::control::request::{DependencyPatch, ProfileChanges};
use crate::profile::Profile;
use crate::script::Script;
use crate::state::ServiceState;

/// Every simulated service reports this version.
const VERSION: &str = "1.0.0";

#[derive(Clone, Debug)]
pub(crate) struct HealthContract {
    script: Script,
    /// Where the script stands (time since start).
    now: Duration,
    /// `Some` while pinned: the script no longer drives the condition.
    pinned: Option<ServiceCondition>,
}

impl HealthContract {
    pub(crate) fn new(script: Script) -> Self {
        HealthContract {
            script,
            now: Duration::ZERO,
            pinned: None,
        }
    }

    /// The condition in force: pinned or scripted.
    fn condition(&self) -> &ServiceCondition {
        match &self.pinned {
            Some(condition) => condition,
            None => self.script.condition_at(self.now),
        }
    }
}

impl Simulation for HealthContract {
    const PROFILE: Profile = Profile::HealthContract;
    const ACCEPTS: &'static [&'static str] = &["status", "dependencies"];

    fn advance_to(&mut self, now: Duration) {
        self.now = now;
    }

    fn pin(&mut self, _now: Duration) {
        self.pinned = Some(self.condition().clone());
    }

    fn resume(&mut self) {
        self.pinned = None;
    }

    /// The overall status is never derived from the dependencies, so a test
    /// can also serve documents that contradict themselves.
    fn apply(&mut self, changes: &ProfileChanges, _now: Duration) -> Result<(), String> {
        let mut condition = self.condition().clone();
        if let Some(word) = &changes.status {
            condition.status = word.parse()?;
        }
        for (name, patch) in changes.dependencies.iter().flatten() {
            let dependency = condition
                .dependencies
                .entry(name.clone())
                .or_insert_with(|| DependencyCondition::ok(0.0));
            apply_dependency(patch, dependency)?;
        }
        self.pinned = Some(condition);
        Ok(())
    }

    fn view(&self, _clock: &Clock) -> Map<String, Value> {
        match to_value(self.condition()) {
            Value::Object(fields) => fields,
            _ => Map::new(),
        }
    }

    fn routes() -> Router<Arc<ServiceState<Self>>> {
        Router::new().route("/health", get(health))
    }
}

/// Changes one dependency; a new name starts as OK at 0 ms.
fn apply_dependency(
    patch: &DependencyPatch,
    dependency: &mut DependencyCondition,
) -> Result<(), String> {
    if let Some(word) = &patch.status {
        let status: Status = word.parse()?;
        dependency.status = status;
        // A dependency set back to OK without a word about its error
        // should not keep showing the old one.
        if status == Status::Ok && patch.error.is_none() {
            dependency.error = None;
        }
    }
    if let Some(latency_ms) = patch.latency_ms {
        dependency.latency_ms = latency_ms;
    }
    if let Some(error) = &patch.error {
        dependency.error = error.clone();
    }
    Ok(())
}

/// The `health-contract` document.
#[derive(Serialize)]
struct HealthDocument<'a> {
    service: &'a str,
    /// Supplies `status` and `dependencies`.
    #[serde(flatten)]
    condition: &'a ServiceCondition,
    version: &'static str,
    timestamp: String,
    uptime_seconds: f64,
    metrics: Metrics,
}

/// A few numbers that move, so the console has `metrics.*` series to draw.
/// They are functions of uptime alone, so tests can predict them.
#[derive(Serialize)]
struct Metrics {
    active_positions: u64,
    /// Monotonic, like a real counter.
    orders_executed_total: u64,
    requests_per_second: f64,
}

impl Metrics {
    fn at(elapsed: Duration, status: Status) -> Self {
        let seconds = elapsed.as_secs();
        // Traffic falls away while the service struggles.
        let load = match status {
            Status::Ok => 1.0,
            Status::Degraded => 0.4,
            Status::Down => 0.0,
        };
        Metrics {
            active_positions: 3 + (seconds / 10) % 5,
            orders_executed_total: 1000 + seconds * 3,
            requests_per_second: (40.0 + (seconds % 7) as f64 * 0.5) * load,
        }
    }
}

/// `GET /health`.
async fn health(State(state): State<Arc<ServiceState<HealthContract>>>) -> Response {
    let document = state.with_model(|model, now| document(&state.name, model.condition(), now));
    Json(document).into_response()
}

/// The document for `service` in `condition`, `elapsed` after it started.
fn document(service: &str, condition: &ServiceCondition, elapsed: Duration) -> Value {
    to_value(HealthDocument {
        service,
        condition,
        version: VERSION,
        timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        // One decimal, as the contract's example shows.
        uptime_seconds: (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        metrics: Metrics::at(elapsed, condition.status),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(json: &str) -> ProfileChanges {
        crate::control::request::parse::<crate::control::request::SetRequest>(json.as_bytes())
            .and_then(|request| request.split())
            .map(|(_, changes)| changes)
            .unwrap_or_default()
    }

    fn pinned(model: &HealthContract) -> ServiceCondition {
        model.condition().clone()
    }

    #[test]
    fn document_has_every_contract_field() {
        let value = document(
            "execution-service",
            &ServiceCondition::healthy(),
            Duration::from_millis(3_600_540),
        );
        assert_eq!(value["service"], "execution-service");
        assert_eq!(value["status"], "OK");
        assert_eq!(value["version"], "1.0.0");
        assert_eq!(value["uptime_seconds"], 3600.5);
        let timestamp = value["timestamp"].as_str().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(timestamp).is_ok());
        assert!(timestamp.ends_with('Z'));
        for name in ["redis", "postgres", "exchange_api"] {
            assert_eq!(value["dependencies"][name]["status"], "OK");
            assert!(value["dependencies"][name]["latency_ms"].is_f64());
        }
        assert_eq!(value["metrics"]["orders_executed_total"], 1000 + 3600 * 3);
    }

    #[test]
    fn orders_counter_only_grows() {
        let mut previous = 0;
        for seconds in 0..200 {
            let metrics = Metrics::at(Duration::from_secs(seconds), Status::Ok);
            assert!(metrics.orders_executed_total >= previous);
            previous = metrics.orders_executed_total;
        }
    }

    #[test]
    fn set_pins_the_current_condition_with_changes() {
        let mut model = HealthContract::new(Script::steady());
        let result = model.apply(
            &changes(
                r#"{"status": "degraded",
                    "dependencies": {"postgres": {"status": "DEGRADED", "latency_ms": 250.3, "error": "Slow query"}}}"#,
            ),
            Duration::ZERO,
        );
        assert_eq!(result, Ok(()));
        let condition = pinned(&model);
        assert_eq!(condition.status, Status::Degraded);
        assert_eq!(
            condition.dependencies["postgres"],
            DependencyCondition::failing(Status::Degraded, 250.3, "Slow query")
        );
        assert_eq!(
            condition.dependencies["redis"],
            DependencyCondition::ok(1.5)
        );
    }

    #[test]
    fn dependency_errors_clear_when_set_ok_or_null() {
        let failing = ServiceCondition::healthy().with_dependency(
            "redis",
            DependencyCondition::failing(Status::Down, 0.0, "Connection refused"),
        );
        let mut model = HealthContract::new(Script::steady());
        model.pinned = Some(failing.clone());
        let _ = model.apply(
            &changes(r#"{"dependencies": {"redis": {"status": "ok"}}}"#),
            Duration::ZERO,
        );
        assert_eq!(pinned(&model).dependencies["redis"].error, None);

        model.pinned = Some(failing);
        let _ = model.apply(
            &changes(r#"{"dependencies": {"redis": {"error": null}}}"#),
            Duration::ZERO,
        );
        let redis = pinned(&model).dependencies["redis"].clone();
        assert_eq!((redis.status, redis.error), (Status::Down, None));
    }

    #[test]
    fn new_dependencies_are_added() {
        let mut model = HealthContract::new(Script::steady());
        let _ = model.apply(
            &changes(r#"{"dependencies": {"eventbus": {"status": "DOWN", "error": "gone"}}}"#),
            Duration::ZERO,
        );
        assert_eq!(
            pinned(&model).dependencies["eventbus"],
            DependencyCondition::failing(Status::Down, 0.0, "gone")
        );
    }

    #[test]
    fn unknown_status_words_are_refused() {
        let mut model = HealthContract::new(Script::steady());
        for body in [
            r#"{"status": "up"}"#,
            r#"{"dependencies": {"redis": {"status": "fine"}}}"#,
        ] {
            assert!(
                model.apply(&changes(body), Duration::ZERO).is_err(),
                "{body}"
            );
        }
    }
}
