//! The `breaker-registry` profile (docs/contracts.md): named breakers with
//! resets, a cache with clear and pattern invalidation, current metrics,
//! alert thresholds that can be edited, a health score and WebSocket
//! statistics (the real connections of its streams, see
//! `streams::registry`, unless pinned). Answers always carry
//! `X-RateLimit-*` headers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{error, json_body, object, to_value, Simulation};
use crate::clock::Clock;
use crate::control::request::ProfileChanges;
use crate::dynamics::alerts::{AlertRules, ThresholdRequest};
use crate::dynamics::breaker::{Breaker, BreakerPolicy, BreakerState, Traffic};
use crate::dynamics::cache::{Cache, CacheScript};
use crate::dynamics::system::{System, SystemScript};
use crate::dynamics::timeline::{Cycle, Stepper};
use crate::dynamics::transitions::{Transition, TransitionLog};
use crate::profile::Profile;
use crate::state::ServiceState;

mod exposition;

/// The policy of every registry breaker: five failures trip it, and the
/// backoff starts at the breaker's timeout and doubles per further failure.
fn policy(timeout_seconds: u64) -> BreakerPolicy {
    BreakerPolicy {
        failure_threshold: 5,
        timeout: Duration::from_secs(timeout_seconds),
        exponential: true,
    }
}

/// A breaker and the scripted calls through it.
#[derive(Clone, Debug)]
struct Entry {
    breaker: Breaker,
    traffic: Traffic,
}

/// WebSocket statistics pinned through the control API; what is not
/// pinned is counted from the live connections.
#[derive(Clone, Debug, Default, PartialEq)]
struct WsPins {
    active_connections: Option<u64>,
    channels: Option<BTreeMap<String, u64>>,
}

/// The control API's change to the WebSocket statistics: pins them (a
/// poller's test wants exact numbers); `channels` replaces the whole map.
/// Resuming the script unpins them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WsPatch {
    active_connections: Option<u64>,
    channels: Option<BTreeMap<String, u64>>,
}

#[derive(Clone, Debug)]
pub(crate) struct BreakerRegistry {
    stepper: Stepper,
    breakers: BTreeMap<String, Entry>,
    cache: Cache,
    system: System,
    alerts: AlertRules,
    ws: WsPins,
    /// Every breaker transition, for the streams.
    transitions: TransitionLog,
    /// Pinned through the control API; `None` derives the score.
    health_score: Option<u8>,
}

impl BreakerRegistry {
    /// `lively` runs the demo script: `exchange_api` fails for 80 s of
    /// every 5 min (trips, fails its first probe, recovers),
    /// `market_data_feed` trips briefly every 3 min, `database` every
    /// 10 min, `redis` never; a cache clear every 8 min; a CPU spike past
    /// the 80 % threshold every 6 min. Otherwise all is calm and still.
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
        let breakers = [
            ("exchange_api", 30, traffic(300, &[(20, 100)], 3)),
            (
                "market_data_feed",
                20,
                traffic(180, &[(60, 63), (130, 140)], 2),
            ),
            ("database", 60, traffic(600, &[(400, 406)], 1)),
            ("redis", 30, Traffic::healthy(1)),
        ]
        .into_iter()
        .map(|(name, timeout, traffic)| {
            let entry = Entry {
                breaker: Breaker::new(policy(timeout)),
                traffic,
            };
            (name.to_owned(), entry)
        })
        .collect::<BTreeMap<_, _>>();
        let transitions =
            TransitionLog::baseline(breakers.iter().map(|(name, entry)| (name, &entry.breaker)));
        let (cache, system) = if lively {
            (
                CacheScript {
                    clears: Cycle::new(480, &[(330, 331)]).with_offset(offset),
                    drift: true,
                },
                SystemScript {
                    cpu_spikes: Cycle::new(360, &[(200, 260)]).with_offset(offset),
                    breathe: true,
                },
            )
        } else {
            (CacheScript::quiet(), SystemScript::quiet())
        };
        let mut registry = BreakerRegistry {
            stepper: Stepper::default(),
            breakers,
            cache: Cache::new(cache),
            system: System::new(system),
            alerts: AlertRules::defaults(),
            ws: WsPins::default(),
            transitions,
            health_score: None,
        };
        registry.evaluate_alerts(Duration::ZERO);
        registry
    }

    /// The value of `metric` for alert rules.
    fn metric(&self, metric: &str) -> Option<f64> {
        metric_value(&self.system, &self.cache, metric)
    }

    fn evaluate_alerts(&mut self, now: Duration) {
        let (system, cache) = (&self.system, &self.cache);
        self.alerts
            .evaluate(|metric| metric_value(system, cache, metric), now);
    }

    /// 100, less 15 per open breaker, 5 per half-open one, the alerts'
    /// severities, and 10 for a cold cache; unless pinned.
    fn health_score(&self) -> u8 {
        if let Some(score) = self.health_score {
            return score;
        }
        let breakers: u32 = self
            .breakers
            .values()
            .map(|entry| match entry.breaker.state {
                BreakerState::Open => 15,
                BreakerState::HalfOpen => 5,
                BreakerState::Closed => 0,
            })
            .sum();
        let alerts: u32 = self
            .alerts
            .alerts(|metric| self.metric(metric))
            .iter()
            .map(|alert| alert.severity.penalty())
            .sum();
        let cold_cache = if self.cache.hit_ratio < 0.5 { 10 } else { 0 };
        100u32.saturating_sub(breakers + alerts + cold_cache) as u8
    }

    fn breaker_document(&self, name: &str, clock: &Clock) -> Option<Value> {
        let breaker = &self.breakers.get(name)?.breaker;
        Some(json!({
            "name": name,
            "state": breaker.state.as_str(),
            "failure_count": breaker.failure_count,
            "success_count": breaker.success_count,
            "current_backoff_seconds": breaker.current_backoff_seconds(),
            "success_rate": breaker.success_rate_percent(),
            "health_score": breaker.health_score(),
            "last_failure_time": breaker.last_failure.map(|at| clock.timestamp(at)),
        }))
    }

    fn stats(&self, clock: &Clock) -> Value {
        let breakers: Map<String, Value> = self
            .breakers
            .keys()
            .filter_map(|name| Some((name.clone(), self.breaker_document(name, clock)?)))
            .collect();
        json!({ "breakers": breakers })
    }

    fn cache_stats(&self) -> Value {
        json!({
            "hits": self.cache.hits,
            "misses": self.cache.misses,
            "hit_rate": self.cache.hit_rate_percent(),
            "keys": self.cache.keys(),
            "memory_mb": self.cache.memory_mb,
        })
    }

    fn current_metrics(&self, now: Duration) -> Value {
        let system = &self.system;
        json!({
            "cpu_percent": system.cpu_percent,
            "memory_percent": system.memory_percent,
            "disk_percent": system.disk_percent,
            "uptime_seconds": now.as_secs(),
            "requests_total": system.requests_total,
            "cache_hit_rate": self.cache.hit_rate_percent(),
            "response_time_ms": system.response_time_ms,
        })
    }

    fn alert_list(&self, clock: &Clock) -> Value {
        let alerts: Vec<Value> = self
            .alerts
            .alerts(|metric| self.metric(metric))
            .into_iter()
            .map(|alert| {
                json!({
                    "metric": alert.metric,
                    "value": alert.value,
                    "threshold": alert.threshold,
                    "severity": alert.severity_word(),
                    "since": clock.timestamp(alert.since),
                })
            })
            .collect();
        json!({ "alerts": alerts })
    }

    fn thresholds(&self) -> Value {
        json!({ "thresholds": to_value(self.alerts.thresholds()) })
    }

    /// `GET /api/ws/stats`: the pins, else `active` and `channels` as counted.
    fn ws_stats(&self, active: u64, channels: BTreeMap<String, u64>) -> Value {
        json!({
            "active_connections": self.ws.active_connections.unwrap_or(active),
            "channels": self.ws.channels.clone().unwrap_or(channels),
        })
    }
}

impl Simulation for BreakerRegistry {
    const PROFILE: Profile = Profile::BreakerRegistry;
    const ACCEPTS: &'static [&'static str] = &["breakers", "cache", "system", "ws", "health_score"];
    const ADVERTISES_RATE_LIMIT: bool = true;

    fn advance_to(&mut self, now: Duration) {
        for second in self.stepper.until(now) {
            for entry in self.breakers.values_mut() {
                entry.traffic.step(&mut entry.breaker, second);
            }
            self.observe(Duration::from_secs(second));
            self.cache.step(second);
            self.system.step(second);
            self.evaluate_alerts(Duration::from_secs(second));
        }
    }

    fn resume(&mut self) {
        self.health_score = None;
        self.ws = WsPins::default();
    }

    fn apply(&mut self, changes: &ProfileChanges, now: Duration) -> Result<(), String> {
        for (name, patch) in changes.breakers.iter().flatten() {
            let entry = self.breakers.entry(name.clone()).or_insert_with(|| Entry {
                breaker: Breaker::new(policy(60)),
                traffic: Traffic::healthy(1),
            });
            entry.breaker.apply(patch, now)?;
        }
        if let Some(patch) = &changes.cache {
            self.cache.apply(patch)?;
        }
        if let Some(patch) = &changes.system {
            self.system.apply(patch)?;
        }
        if let Some(patch) = &changes.ws {
            if let Some(connections) = patch.active_connections {
                self.ws.active_connections = Some(connections);
            }
            if let Some(channels) = &patch.channels {
                self.ws.channels = Some(channels.clone());
            }
        }
        if let Some(score) = changes.health_score {
            if score > 100 {
                return Err(format!("health_score is 0..100, got {score}"));
            }
            self.health_score = Some(score);
        }
        self.evaluate_alerts(now);
        Ok(())
    }

    fn view(&self, clock: &Clock) -> Map<String, Value> {
        let breakers: Map<String, Value> = self
            .breakers
            .keys()
            .filter_map(|name| {
                let mut document = self.breaker_document(name, clock)?;
                if let Some(fields) = document.as_object_mut() {
                    fields.remove("name");
                }
                Some((name.clone(), document))
            })
            .collect();
        let system = &self.system;
        object([
            ("breakers", Value::Object(breakers)),
            (
                "cache",
                json!({
                    "hit_rate": self.cache.hit_ratio,
                    "hits": self.cache.hits,
                    "misses": self.cache.misses,
                    "keys": self.cache.keys(),
                    "memory_mb": self.cache.memory_mb,
                }),
            ),
            (
                "system",
                json!({
                    "cpu_percent": system.cpu_percent,
                    "memory_percent": system.memory_percent,
                    "disk_percent": system.disk_percent,
                    "response_time_ms": system.response_time_ms,
                    "requests_total": system.requests_total,
                }),
            ),
            (
                "ws",
                json!({
                    "active_connections": self.ws.active_connections,
                    "channels": self.ws.channels,
                }),
            ),
            ("health_score", Value::from(self.health_score())),
            ("thresholds", self.thresholds()["thresholds"].clone()),
        ])
    }

    fn routes() -> Router<Arc<ServiceState<Self>>> {
        Router::new()
            .route("/api/circuit-breakers/stats", get(stats))
            .route("/api/circuit-breakers/{name}", get(breaker))
            .route("/api/circuit-breakers/{name}/reset", post(reset))
            .route("/api/cache/stats", get(cache_stats))
            .route("/api/cache/clear", post(cache_clear))
            .route("/api/cache/invalidate/pattern", post(cache_invalidate))
            .route("/api/metrics/current", get(current))
            .route("/api/metrics/alerts", get(alerts))
            .route(
                "/api/metrics/alerts/thresholds",
                get(thresholds).post(add_threshold),
            )
            .route(
                "/api/metrics/alerts/thresholds/{metric}",
                delete(remove_threshold),
            )
            .route("/api/metrics/health-score", get(health_score))
            .route("/api/ws/stats", get(ws_stats))
            .route("/metrics", get(exposition::metrics))
    }

    fn observe(&mut self, now: Duration) {
        for (name, entry) in &self.breakers {
            self.transitions.observe(name, &entry.breaker, now);
        }
    }

    fn take_transitions(&mut self) -> Vec<Transition> {
        self.transitions.take()
    }

    fn latest_transitions(&self) -> Vec<Transition> {
        self.transitions.latest()
    }
}

/// Anything `/api/metrics/current` serves, by name, for alert rules.
fn metric_value(system: &System, cache: &Cache, metric: &str) -> Option<f64> {
    Some(match metric {
        "cpu_percent" => system.cpu_percent,
        "memory_percent" => system.memory_percent,
        "disk_percent" => system.disk_percent,
        "response_time_ms" => system.response_time_ms,
        "requests_total" => system.requests_total as f64,
        "cache_hit_rate" => cache.hit_rate_percent(),
        _ => return None,
    })
}

type Shared = State<Arc<ServiceState<BreakerRegistry>>>;

fn no_breaker(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no circuit breaker named {name:?}"),
    )
}

/// `GET /api/circuit-breakers/stats`.
async fn stats(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.stats(&state.clock))).into_response()
}

/// `GET /api/circuit-breakers/{name}`.
async fn breaker(State(state): Shared, Path(name): Path<String>) -> Response {
    match state.with_model(|model, _| model.breaker_document(&name, &state.clock)) {
        Some(document) => Json(document).into_response(),
        None => no_breaker(&name),
    }
}

/// `POST /api/circuit-breakers/{name}/reset`: back to CLOSED, answering the
/// breaker; with `ignore_resets` set, answered the same but left as it was.
async fn reset(State(state): Shared, Path(name): Path<String>) -> Response {
    let ignore = state.ignores_resets();
    let document = state.with_model(|model, now| {
        let entry = model.breakers.get_mut(&name)?;
        if !ignore {
            entry.breaker.close();
            model.evaluate_alerts(now);
        }
        model.breaker_document(&name, &state.clock)
    });
    match document {
        Some(document) => Json(document).into_response(),
        None => no_breaker(&name),
    }
}

/// `GET /api/cache/stats`: `hit_rate` in percent here.
async fn cache_stats(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.cache_stats())).into_response()
}

/// `POST /api/cache/clear`.
async fn cache_clear(State(state): Shared) -> Response {
    let removed = state.with_model(|model, now| {
        let keys = model.cache.keys();
        model.cache.clear();
        model.evaluate_alerts(now);
        keys
    });
    Json(json!({"status": "cleared", "keys_removed": removed})).into_response()
}

#[derive(Deserialize)]
struct PatternRequest {
    pattern: String,
}

/// `POST /api/cache/invalidate/pattern` with `{"pattern": "market_data:*"}`.
async fn cache_invalidate(State(state): Shared, body: Bytes) -> Response {
    let request: PatternRequest = match json_body(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let invalidated = state.with_model(|model, _| model.cache.invalidate(&request.pattern));
    Json(json!({ "invalidated": invalidated })).into_response()
}

/// `GET /api/metrics/current`.
async fn current(State(state): Shared) -> Response {
    Json(state.with_model(|model, now| model.current_metrics(now))).into_response()
}

/// `GET /api/metrics/alerts`.
async fn alerts(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.alert_list(&state.clock))).into_response()
}

/// `GET /api/metrics/alerts/thresholds`.
async fn thresholds(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.thresholds())).into_response()
}

/// `POST /api/metrics/alerts/thresholds`: adds a rule (replacing one for
/// the same metric) and answers `201` with it.
async fn add_threshold(State(state): Shared, body: Bytes) -> Response {
    let request: ThresholdRequest = match json_body(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let threshold = match request.into_threshold() {
        Ok(threshold) => threshold,
        Err(message) => return error(StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let answer = to_value(&threshold);
    state.with_model(|model, now| {
        model.alerts.upsert(threshold);
        model.evaluate_alerts(now);
    });
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// `DELETE /api/metrics/alerts/thresholds/{metric}`: `204`, or `404`.
async fn remove_threshold(State(state): Shared, Path(metric): Path<String>) -> Response {
    if state.with_model(|model, _| model.alerts.remove(&metric)) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(
            StatusCode::NOT_FOUND,
            format!("no threshold for metric {metric:?}"),
        )
    }
}

/// `GET /api/metrics/health-score`.
async fn health_score(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| json!({"health_score": model.health_score()}))).into_response()
}

/// `GET /api/ws/stats`.
async fn ws_stats(State(state): Shared) -> Response {
    let (active, channels) = state.streams.occupancy();
    Json(state.with_model(|model, _| model.ws_stats(active, channels))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(model: &mut BreakerRegistry, seconds: u64) {
        model.advance_to(Duration::from_secs(seconds));
    }

    fn state_of(model: &BreakerRegistry, name: &str) -> BreakerState {
        model.breakers[name].breaker.state
    }

    #[test]
    fn quiet_registries_stay_closed_and_calm() {
        let mut model = BreakerRegistry::new(false, 0);
        at(&mut model, 3600);
        assert!(model
            .breakers
            .values()
            .all(|entry| entry.breaker.state == BreakerState::Closed));
        assert_eq!(model.health_score(), 100);
        assert_eq!(model.cache_stats()["hit_rate"], 85.0);
    }

    #[test]
    fn the_demo_timeline_trips_and_recovers_exchange_api() {
        let mut model = BreakerRegistry::new(true, 0);
        at(&mut model, 32);
        assert_eq!(state_of(&model, "exchange_api"), BreakerState::Closed);
        at(&mut model, 33);
        assert_eq!(state_of(&model, "exchange_api"), BreakerState::Open);
        assert_eq!(model.health_score(), 85);
        at(&mut model, 63);
        assert_eq!(state_of(&model, "exchange_api"), BreakerState::HalfOpen);
        at(&mut model, 66);
        assert_eq!(state_of(&model, "exchange_api"), BreakerState::Open);
        assert_eq!(
            model.breakers["exchange_api"]
                .breaker
                .current_backoff_seconds(),
            60.0
        );
        at(&mut model, 129);
        assert_eq!(state_of(&model, "exchange_api"), BreakerState::Closed);
    }

    #[test]
    fn the_cpu_spike_raises_an_alert_and_lowers_the_score() {
        let mut model = BreakerRegistry::new(true, 0);
        at(&mut model, 199);
        assert_eq!(model.alert_list(&Clock::start())["alerts"], json!([]));
        at(&mut model, 201);
        let alerts = model.alert_list(&Clock::start());
        assert_eq!(alerts["alerts"][0]["metric"], "cpu_percent");
        assert_eq!(alerts["alerts"][0]["severity"], "high");
        assert_eq!(alerts["alerts"][0]["threshold"], 80.0);
        assert!(model.health_score() <= 90);
    }
}
