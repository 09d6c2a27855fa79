//! The `emergency-controls` profile (docs/contracts.md): a health document
//! with components and a WebSocket count, and per-operation breakers
//! (CLOSED → OPEN after 5 failures → HALF_OPEN after 60 s → CLOSED after
//! one success) that can only be read: there is no reset endpoint. Their
//! transitions are streamed on `WS /ws/breakers` (see `streams::emergency`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{object, Simulation};
use crate::clock::Clock;
use crate::control::request::ProfileChanges;
use crate::dynamics::breaker::{Breaker, BreakerPolicy, Traffic};
use crate::dynamics::timeline::{round_to, wave, Cycle, Stepper};
use crate::dynamics::transitions::{Transition, TransitionLog};
use crate::profile::Profile;
use crate::state::ServiceState;

const MAX_FAILURES: u32 = 5;
const TIMEOUT_SECONDS: u64 = 60;

/// Component latency past which the service reports itself degraded.
const SLOW_COMPONENT_MS: f64 = 100.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Connected,
    Disconnected,
}

impl Link {
    fn as_str(self) -> &'static str {
        match self {
            Link::Connected => "connected",
            Link::Disconnected => "disconnected",
        }
    }

    fn parse(word: &str) -> Result<Self, String> {
        crate::words::pick(
            word,
            &[
                ("connected", Link::Connected),
                ("disconnected", Link::Disconnected),
            ],
            "component status",
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Component {
    link: Link,
    latency_ms: f64,
}

/// The control API's change to one component; a new name is added.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComponentPatch {
    /// `connected` or `disconnected`.
    status: Option<String>,
    latency_ms: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overall {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Overall {
    fn as_str(self) -> &'static str {
        match self {
            Overall::Healthy => "healthy",
            Overall::Degraded => "degraded",
            Overall::Unhealthy => "unhealthy",
        }
    }

    fn parse(word: &str) -> Result<Self, String> {
        crate::words::pick(
            word,
            &[
                ("healthy", Overall::Healthy),
                ("degraded", Overall::Degraded),
                ("unhealthy", Overall::Unhealthy),
                ("ok", Overall::Healthy),
                ("down", Overall::Unhealthy),
            ],
            "status",
        )
    }
}

#[derive(Clone, Debug)]
struct Operation {
    breaker: Breaker,
    traffic: Traffic,
}

#[derive(Clone, Debug)]
pub(crate) struct EmergencyControls {
    lively: bool,
    offset: u64,
    stepper: Stepper,
    operations: BTreeMap<String, Operation>,
    components: BTreeMap<String, Component>,
    /// Windows in which Redis drops its connection.
    redis_outages: Cycle,
    websocket_active: u64,
    /// Every breaker transition, for the streams.
    transitions: TransitionLog,
    /// Pinned overall status; `None` derives it from the components.
    status: Option<Overall>,
}

fn policy() -> BreakerPolicy {
    BreakerPolicy {
        failure_threshold: MAX_FAILURES,
        timeout: Duration::from_secs(TIMEOUT_SECONDS),
        exponential: false,
    }
}

impl EmergencyControls {
    /// `lively` runs the demo script: `swap` fails for 30 s of every 4 min
    /// (trips, half-opens 60 s later, closes), `withdraw` has short blips
    /// that never trip it, `deposit` is always fine, and Redis drops out
    /// for 15 s every 5 min. Otherwise all is calm.
    pub(crate) fn new(lively: bool, offset: u64) -> Self {
        let traffic = |length, windows: &[(u64, u64)], call_every| {
            if lively {
                Traffic {
                    failing: Cycle::new(length, windows).with_offset(offset),
                    call_every,
                }
            } else {
                Traffic::healthy(call_every)
            }
        };
        let operations = [
            ("swap", traffic(240, &[(15, 45)], 5)),
            ("withdraw", traffic(240, &[(150, 160)], 5)),
            ("deposit", Traffic::healthy(10)),
        ]
        .into_iter()
        .map(|(name, traffic)| {
            let operation = Operation {
                breaker: Breaker::new(policy()),
                traffic,
            };
            (name.to_owned(), operation)
        })
        .collect::<BTreeMap<_, _>>();
        let transitions = TransitionLog::baseline(
            operations
                .iter()
                .map(|(name, operation)| (name, &operation.breaker)),
        );
        let components = [("Redis", 1.2), ("Database", 3.4)]
            .into_iter()
            .map(|(name, latency_ms)| {
                let component = Component {
                    link: Link::Connected,
                    latency_ms,
                };
                (name.to_owned(), component)
            })
            .collect();
        let redis_outages = if lively {
            Cycle::new(300, &[(200, 215)]).with_offset(offset)
        } else {
            Cycle::never()
        };
        EmergencyControls {
            lively,
            offset,
            stepper: Stepper::default(),
            operations,
            components,
            redis_outages,
            websocket_active: 14,
            transitions,
            status: None,
        }
    }

    /// Pinned, or: a component disconnected is unhealthy, a slow one degraded.
    fn overall(&self) -> Overall {
        if let Some(status) = self.status {
            return status;
        }
        let components = self.components.values();
        if components.clone().any(|c| c.link == Link::Disconnected) {
            Overall::Unhealthy
        } else if components.clone().any(|c| c.latency_ms > SLOW_COMPONENT_MS) {
            Overall::Degraded
        } else {
            Overall::Healthy
        }
    }

    fn components_document(&self) -> Map<String, Value> {
        self.components
            .iter()
            .map(|(name, component)| {
                let document = json!({
                    "status": component.link.as_str(),
                    "latency_ms": component.latency_ms,
                });
                (name.clone(), document)
            })
            .collect()
    }

    fn health(&self) -> Value {
        json!({
            "status": self.overall().as_str(),
            "components": self.components_document(),
            "websocket_active": self.websocket_active,
        })
    }

    fn breakers(&self, clock: &Clock) -> Map<String, Value> {
        self.operations
            .iter()
            .map(|(name, operation)| {
                let breaker = &operation.breaker;
                let document = json!({
                    "state": breaker.state.as_str(),
                    "failures": breaker.failure_count,
                    "last_failure": breaker.last_failure.map(|at| clock.timestamp(at)),
                });
                (name.clone(), document)
            })
            .collect()
    }

    fn emergency_status(&self, clock: &Clock) -> Value {
        json!({
            "breakers": self.breakers(clock),
            "max_failures": MAX_FAILURES,
            "timeout_seconds": TIMEOUT_SECONDS,
        })
    }
}

impl Simulation for EmergencyControls {
    const PROFILE: Profile = Profile::EmergencyControls;
    const ACCEPTS: &'static [&'static str] =
        &["status", "breakers", "components", "websocket_active"];

    fn advance_to(&mut self, now: Duration) {
        for second in self.stepper.until(now) {
            for operation in self.operations.values_mut() {
                operation.traffic.step(&mut operation.breaker, second);
            }
            self.observe(Duration::from_secs(second));
            if !self.lively {
                continue;
            }
            let shifted = second + self.offset;
            let outage = self.redis_outages.contains(second);
            if let Some(redis) = self.components.get_mut("Redis") {
                redis.link = if outage {
                    Link::Disconnected
                } else {
                    Link::Connected
                };
                redis.latency_ms = if outage {
                    0.0
                } else {
                    round_to(1.2 + wave(shifted, 50, 0.4).abs(), 1)
                };
            }
            if let Some(database) = self.components.get_mut("Database") {
                database.latency_ms = round_to(3.4 + wave(shifted, 70, 1.1).abs(), 1);
            }
            self.websocket_active = (14.0 + wave(shifted, 150, 5.0)).round() as u64;
        }
    }

    fn resume(&mut self) {
        self.status = None;
    }

    fn apply(&mut self, changes: &ProfileChanges, now: Duration) -> Result<(), String> {
        if let Some(word) = &changes.status {
            self.status = Some(Overall::parse(word)?);
        }
        for (name, patch) in changes.breakers.iter().flatten() {
            let operation = self
                .operations
                .entry(name.clone())
                .or_insert_with(|| Operation {
                    breaker: Breaker::new(policy()),
                    traffic: Traffic::healthy(5),
                });
            operation.breaker.apply(patch, now)?;
        }
        for (name, patch) in changes.components.iter().flatten() {
            let link = patch.status.as_deref().map(Link::parse).transpose()?;
            if let Some(latency) = patch.latency_ms {
                if latency < 0.0 {
                    return Err(format!(
                        "components.{name}.latency_ms must not be negative, got {latency}"
                    ));
                }
            }
            let component = self.components.entry(name.clone()).or_insert(Component {
                link: Link::Connected,
                latency_ms: 0.0,
            });
            if let Some(link) = link {
                component.link = link;
            }
            if let Some(latency) = patch.latency_ms {
                component.latency_ms = latency;
            }
        }
        if let Some(count) = changes.websocket_active {
            self.websocket_active = count;
        }
        Ok(())
    }

    fn view(&self, clock: &Clock) -> Map<String, Value> {
        object([
            ("status", Value::from(self.overall().as_str())),
            ("components", Value::Object(self.components_document())),
            ("websocket_active", Value::from(self.websocket_active)),
            ("breakers", Value::Object(self.breakers(clock))),
        ])
    }

    fn routes() -> Router<Arc<ServiceState<Self>>> {
        Router::new()
            .route("/health", get(health))
            .route("/api/v1/admin/emergency/status", get(emergency_status))
    }

    fn observe(&mut self, now: Duration) {
        for (name, operation) in &self.operations {
            self.transitions.observe(name, &operation.breaker, now);
        }
    }

    fn take_transitions(&mut self) -> Vec<Transition> {
        self.transitions.take()
    }

    fn latest_transitions(&self) -> Vec<Transition> {
        self.transitions.latest()
    }
}

type Shared = State<Arc<ServiceState<EmergencyControls>>>;

/// `GET /health`.
async fn health(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.health())).into_response()
}

/// `GET /api/v1/admin/emergency/status`.
async fn emergency_status(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.emergency_status(&state.clock))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::breaker::BreakerState;

    fn swap(model: &EmergencyControls) -> (BreakerState, u32) {
        let breaker = &model.operations["swap"].breaker;
        (breaker.state, breaker.failure_count)
    }

    /// Calls every 5 s, failing from 15 s to 45 s: failures at 15, 20, 25,
    /// 30, 35 trip it at 35 s; HALF_OPEN at 95 s; the call at 95 s came
    /// first and was refused, so the probe at 100 s closes it.
    #[test]
    fn swap_trips_after_five_failures_and_closes_after_one_success() {
        let mut model = EmergencyControls::new(true, 0);
        model.advance_to(Duration::from_secs(34));
        assert_eq!(swap(&model), (BreakerState::Closed, 4));
        model.advance_to(Duration::from_secs(35));
        assert_eq!(swap(&model), (BreakerState::Open, 5));
        model.advance_to(Duration::from_secs(94));
        assert_eq!(swap(&model).0, BreakerState::Open);
        model.advance_to(Duration::from_secs(95));
        assert_eq!(swap(&model).0, BreakerState::HalfOpen);
        model.advance_to(Duration::from_secs(100));
        assert_eq!(swap(&model), (BreakerState::Closed, 0));
        // `withdraw`'s blips never reach five failures in a row.
        model.advance_to(Duration::from_secs(240));
        assert_eq!(
            model.operations["withdraw"].breaker.state,
            BreakerState::Closed
        );
    }

    #[test]
    fn redis_outages_make_the_service_unhealthy() {
        let mut model = EmergencyControls::new(true, 0);
        model.advance_to(Duration::from_secs(199));
        assert_eq!(model.health()["status"], "healthy");
        model.advance_to(Duration::from_secs(200));
        let health = model.health();
        assert_eq!(health["status"], "unhealthy");
        assert_eq!(health["components"]["Redis"]["status"], "disconnected");
        model.advance_to(Duration::from_secs(215));
        assert_eq!(model.health()["status"], "healthy");
    }
}
