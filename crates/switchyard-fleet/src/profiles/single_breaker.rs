//! The `single-breaker` profile (docs/contracts.md): one breaker (a trading
//! halt) with its status, a guarded reset (`409` unless active or
//! overridden) and the history every activation and reset is written to.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{object, Simulation};
use crate::clock::Clock;
use crate::control::request::ProfileChanges;
use crate::dynamics::halt::{Halt, LossScript, NotActive};
use crate::dynamics::timeline::{Cycle, Stepper};
use crate::profile::Profile;
use crate::state::ServiceState;

#[derive(Clone, Debug)]
pub(crate) struct SingleBreaker {
    stepper: Stepper,
    halt: Halt,
}

impl SingleBreaker {
    /// `lively` runs the demo script: a losing streak from 60 s into every
    /// 10 minutes, one loss per 12 s, so the halt activates ("max
    /// drawdown") about 108 s in and stays active until reset.
    pub(crate) fn new(lively: bool, offset: u64) -> Self {
        let script = if lively {
            LossScript {
                losses: Cycle::new(600, &[(60, 130)]).with_offset(offset),
                every: 12,
            }
        } else {
            LossScript::quiet()
        };
        SingleBreaker {
            stepper: Stepper::default(),
            halt: Halt::new(script),
        }
    }

    fn breaker(&self, clock: &Clock) -> Value {
        let halt = &self.halt;
        json!({
            "active": halt.active,
            "state": if halt.active { "OPEN" } else { "CLOSED" },
            "failure_count": halt.failure_count,
            "activated_at": halt.activated_at.map(|at| clock.timestamp(at)),
            "reason": halt.reason,
        })
    }

    fn status(&self, clock: &Clock) -> Value {
        json!({"status": "ok", "circuit_breaker": self.breaker(clock)})
    }

    fn history(&self, clock: &Clock) -> Value {
        let entries: Vec<Value> = self
            .halt
            .history()
            .map(|entry| {
                json!({
                    "event": entry.event.as_str(),
                    "at": clock.timestamp(entry.at),
                    "reason": entry.reason,
                    "override": entry.overridden,
                })
            })
            .collect();
        json!({ "history": entries })
    }
}

impl Simulation for SingleBreaker {
    const PROFILE: Profile = Profile::SingleBreaker;
    const ACCEPTS: &'static [&'static str] = &["single_breaker"];

    fn advance_to(&mut self, now: Duration) {
        for second in self.stepper.until(now) {
            self.halt.step(second);
        }
    }

    fn apply(&mut self, changes: &ProfileChanges, now: Duration) -> Result<(), String> {
        if let Some(patch) = &changes.single_breaker {
            self.halt.apply(patch, now);
        }
        Ok(())
    }

    fn view(&self, clock: &Clock) -> Map<String, Value> {
        object([
            ("single_breaker", self.breaker(clock)),
            ("history_length", Value::from(self.halt.history().count())),
        ])
    }

    fn routes() -> Router<Arc<ServiceState<Self>>> {
        Router::new()
            .route("/api/circuit-breaker/status", get(status))
            .route("/api/circuit-breaker/reset", post(reset))
            .route("/api/circuit-breaker/history", get(history))
    }
}

type Shared = State<Arc<ServiceState<SingleBreaker>>>;

/// `GET /api/circuit-breaker/status`.
async fn status(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.status(&state.clock))).into_response()
}

/// The query of `POST /api/circuit-breaker/reset`.
#[derive(Debug, Default, Deserialize)]
struct ResetQuery {
    /// `true` resets even when the breaker is not active.
    #[serde(default, rename = "override")]
    overridden: bool,
    reason: Option<String>,
}

/// `POST /api/circuit-breaker/reset[?override=true&reason=…]`. With
/// `ignore_resets` set, a reset the guard allows is answered as done but
/// leaves the halt (and its history) as it was.
async fn reset(State(state): Shared, Query(query): Query<ResetQuery>) -> Response {
    let ignore = state.ignores_resets();
    let result = state.with_model(|model, now| {
        if ignore {
            return if model.halt.active || query.overridden {
                Ok(model.breaker(&state.clock))
            } else {
                Err(NotActive)
            };
        }
        model
            .halt
            .reset(now, query.overridden, query.reason)
            .map(|()| model.breaker(&state.clock))
    });
    match result {
        Ok(breaker) => Json(json!({
            "status": "ok",
            "message": "circuit breaker reset",
            "circuit_breaker": breaker,
        }))
        .into_response(),
        Err(NotActive) => (
            StatusCode::CONFLICT,
            Json(json!({"status": "error", "message": "circuit breaker not active"})),
        )
            .into_response(),
    }
}

/// `GET /api/circuit-breaker/history`.
async fn history(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.history(&state.clock))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_demo_halt_activates_and_shows_in_status_and_history() {
        let clock = Clock::start();
        let mut model = SingleBreaker::new(true, 0);
        model.advance_to(Duration::from_secs(107));
        assert_eq!(model.status(&clock)["circuit_breaker"]["active"], false);
        assert_eq!(model.status(&clock)["circuit_breaker"]["failure_count"], 4);
        model.advance_to(Duration::from_secs(108));
        let status = model.status(&clock);
        assert_eq!(status["status"], "ok");
        assert_eq!(status["circuit_breaker"]["state"], "OPEN");
        assert_eq!(status["circuit_breaker"]["reason"], "max drawdown");
        assert_eq!(
            status["circuit_breaker"]["activated_at"],
            clock.timestamp(Duration::from_secs(108))
        );
        let history = model.history(&clock);
        assert_eq!(history["history"][0]["event"], "activated");
        assert_eq!(history["history"][0]["override"], false);
    }
}
