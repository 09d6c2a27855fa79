//! The `health-levels` profile (docs/contracts.md): liveness, readiness and
//! detailed health, and event-pipeline metrics that need the fleet's
//! `X-Internal-Key`. Its cache drifts and is cleared now and then; its
//! queue surges to backpressure and drains.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::{error, object, Simulation};
use crate::clock::Clock;
use crate::control::request::{DependencyPatch, ProfileChanges};
use crate::dynamics::cache::{Cache, CacheScript};
use crate::dynamics::queue::Queue;
use crate::dynamics::timeline::{round_to, wave, Cycle, Stepper};
use crate::profile::Profile;
use crate::state::ServiceState;

/// The header `/internal/events/metrics` requires.
pub(crate) const INTERNAL_KEY_HEADER: &str = "X-Internal-Key";

/// Database latency past which the database counts as degraded.
const SLOW_DATABASE_MS: f64 = 200.0;

/// A hit ratio under which the cache counts as degraded (it is cold).
const COLD_CACHE_RATIO: f64 = 0.5;

const DEPENDENCIES: [&str; 3] = ["database", "cache", "event_pipeline"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Healthy,
    Degraded,
    Unhealthy,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Healthy => "healthy",
            Level::Degraded => "degraded",
            Level::Unhealthy => "unhealthy",
        }
    }

    /// This profile's words, and `health-contract`'s as aliases so a test
    /// can say `DOWN` to any service.
    pub(crate) fn parse(word: &str) -> Result<Self, String> {
        crate::words::pick(
            word,
            &[
                ("healthy", Level::Healthy),
                ("degraded", Level::Degraded),
                ("unhealthy", Level::Unhealthy),
                ("ok", Level::Healthy),
                ("down", Level::Unhealthy),
            ],
            "status",
        )
    }
}

/// What the control endpoint pinned about one dependency.
#[derive(Clone, Debug, Default, PartialEq)]
struct Override {
    status: Option<Level>,
    error: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct HealthLevels {
    internal_key: Arc<str>,
    lively: bool,
    stepper: Stepper,
    offset: u64,
    database_latency_ms: f64,
    cache: Cache,
    queue: Queue,
    /// Pinned overall readiness; `None` derives it from the dependencies.
    status: Option<Level>,
    /// Per dependency, in the order of [`DEPENDENCIES`].
    overrides: [Override; 3],
}

impl HealthLevels {
    /// `lively` runs the demo script (drift, a cache clear every 7 min,
    /// a queue surge every 3 min); otherwise everything holds still.
    pub(crate) fn new(lively: bool, offset: u64, internal_key: Arc<str>) -> Self {
        let (cache, surges) = if lively {
            let cache = CacheScript {
                clears: Cycle::new(420, &[(240, 241)]).with_offset(offset),
                drift: true,
            };
            (cache, Cycle::new(180, &[(60, 80)]).with_offset(offset))
        } else {
            (CacheScript::quiet(), Cycle::never())
        };
        HealthLevels {
            internal_key,
            lively,
            stepper: Stepper::default(),
            offset,
            database_latency_ms: 3.1,
            cache: Cache::new(cache),
            queue: Queue::new(surges),
            status: None,
            overrides: Default::default(),
        }
    }

    fn dependency_level(&self, index: usize) -> Level {
        if let Some(level) = self.overrides[index].status {
            return level;
        }
        let slow = match DEPENDENCIES[index] {
            "database" => self.database_latency_ms > SLOW_DATABASE_MS,
            "cache" => self.cache.hit_ratio < COLD_CACHE_RATIO,
            _ => self.queue.backpressure(),
        };
        if slow {
            Level::Degraded
        } else {
            Level::Healthy
        }
    }

    /// Pinned, or the worst dependency.
    fn readiness(&self) -> Level {
        self.status.unwrap_or_else(|| {
            (0..DEPENDENCIES.len())
                .map(|index| self.dependency_level(index))
                .max()
                .unwrap_or(Level::Healthy)
        })
    }

    /// `{"status": …}` plus `error` when one is pinned.
    fn dependency_head(&self, index: usize) -> Map<String, Value> {
        let mut fields = object([("status", Value::from(self.dependency_level(index).as_str()))]);
        if let Some(message) = &self.overrides[index].error {
            fields.insert("error".to_owned(), Value::from(message.as_str()));
        }
        fields
    }

    fn cache_stats(&self) -> Value {
        json!({
            "hit_rate": self.cache.hit_rate_ratio(),
            "total_keys": self.cache.keys(),
            "hits": self.cache.hits,
            "misses": self.cache.misses,
            "memory_mb": self.cache.memory_mb,
        })
    }

    fn detailed(&self) -> Value {
        let mut database = self.dependency_head(0);
        database.insert(
            "latency_ms".to_owned(),
            Value::from(self.database_latency_ms),
        );
        let mut cache = self.dependency_head(1);
        cache.insert("stats".to_owned(), self.cache_stats());
        let mut pipeline = self.dependency_head(2);
        pipeline.extend(object([
            ("queue_size", Value::from(self.queue.depth)),
            ("throughput_per_second", Value::from(self.queue.throughput)),
            (
                "backpressure_active",
                Value::from(self.queue.backpressure()),
            ),
        ]));
        json!({
            "status": self.readiness().as_str(),
            "dependencies": {
                "database": database,
                "cache": cache,
                "event_pipeline": pipeline,
            },
        })
    }

    fn ready(&self) -> Value {
        let dependencies: Map<String, Value> = DEPENDENCIES
            .iter()
            .enumerate()
            .map(|(index, name)| {
                (
                    (*name).to_owned(),
                    Value::Object(self.dependency_head(index)),
                )
            })
            .collect();
        json!({"status": self.readiness().as_str(), "dependencies": dependencies})
    }

    fn event_metrics(&self) -> Value {
        let queue = &self.queue;
        json!({
            "events_processed": queue.processed_total,
            "events_failed": queue.failed_total,
            "events_in_queue": queue.depth,
            "avg_processing_time_ms": queue.avg_processing_time_ms(),
            "throughput_per_second": queue.throughput,
            "worker_utilization": queue.worker_utilization(),
            "backpressure_active": queue.backpressure(),
            "queue_capacity": queue.capacity,
            "dead_letter_count": queue.dead_letter,
        })
    }

    fn apply_dependency(&mut self, name: &str, patch: &DependencyPatch) -> Result<(), String> {
        let index = DEPENDENCIES
            .iter()
            .position(|known| *known == name)
            .ok_or_else(|| {
                format!(
                    "health-levels has no dependency {name:?}; it has {}",
                    DEPENDENCIES.join(", ")
                )
            })?;
        if patch.latency_ms.is_some() && name != "database" {
            return Err(format!(
                "dependencies.{name} has no latency_ms; only database does"
            ));
        }
        let level = patch.status.as_deref().map(Level::parse).transpose()?;
        if let Some(latency) = patch.latency_ms {
            self.database_latency_ms = latency;
        }
        let pinned = &mut self.overrides[index];
        if let Some(level) = level {
            pinned.status = Some(level);
            if level == Level::Healthy && patch.error.is_none() {
                pinned.error = None;
            }
        }
        if let Some(message) = &patch.error {
            pinned.error = message.clone();
        }
        Ok(())
    }
}

impl Simulation for HealthLevels {
    const PROFILE: Profile = Profile::HealthLevels;
    const ACCEPTS: &'static [&'static str] = &["status", "dependencies", "cache", "queue"];

    fn advance_to(&mut self, now: Duration) {
        for second in self.stepper.until(now) {
            self.cache.step(second);
            self.queue.step(second);
            let wobble = if self.lively {
                wave(second + self.offset, 45, 1.2)
            } else {
                0.0
            };
            self.database_latency_ms = round_to(3.1 + wobble.abs(), 1);
        }
    }

    fn resume(&mut self) {
        self.status = None;
        self.overrides = Default::default();
    }

    fn apply(&mut self, changes: &ProfileChanges, _now: Duration) -> Result<(), String> {
        if let Some(word) = &changes.status {
            self.status = Some(Level::parse(word)?);
        }
        for (name, patch) in changes.dependencies.iter().flatten() {
            self.apply_dependency(name, patch)?;
        }
        if let Some(patch) = &changes.cache {
            self.cache.apply(patch)?;
        }
        if let Some(patch) = &changes.queue {
            self.queue.apply(patch)?;
        }
        Ok(())
    }

    fn view(&self, _clock: &Clock) -> Map<String, Value> {
        let mut dependencies = Map::new();
        for (index, name) in DEPENDENCIES.iter().enumerate() {
            let mut fields = self.dependency_head(index);
            if index == 0 {
                fields.insert(
                    "latency_ms".to_owned(),
                    Value::from(self.database_latency_ms),
                );
            }
            dependencies.insert((*name).to_owned(), Value::Object(fields));
        }
        let queue = &self.queue;
        object([
            ("status", Value::from(self.readiness().as_str())),
            ("dependencies", Value::Object(dependencies)),
            (
                "cache",
                json!({
                    "hit_rate": self.cache.hit_rate_ratio(),
                    "hits": self.cache.hits,
                    "misses": self.cache.misses,
                    "keys": self.cache.keys(),
                    "memory_mb": self.cache.memory_mb,
                }),
            ),
            (
                "queue",
                json!({
                    "depth": queue.depth,
                    "capacity": queue.capacity,
                    "backpressure_active": queue.backpressure(),
                    "throughput_per_second": queue.throughput,
                    "events_processed": queue.processed_total,
                    "events_failed": queue.failed_total,
                    "dead_letter_count": queue.dead_letter,
                    "worker_utilization": queue.worker_utilization(),
                }),
            ),
        ])
    }

    fn routes() -> Router<Arc<ServiceState<Self>>> {
        Router::new()
            .route("/health", get(live))
            .route("/health/ready", get(ready))
            .route("/health/detailed", get(detailed))
            .route("/internal/events/metrics", get(event_metrics))
    }
}

type Shared = State<Arc<ServiceState<HealthLevels>>>;

/// `GET /health`: liveness answers fast and says nothing about dependencies.
async fn live() -> Response {
    Json(json!({"status": "healthy"})).into_response()
}

/// `GET /health/ready`.
async fn ready(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.ready())).into_response()
}

/// `GET /health/detailed`.
async fn detailed(State(state): Shared) -> Response {
    Json(state.with_model(|model, _| model.detailed())).into_response()
}

/// `GET /internal/events/metrics`, only with the fleet's internal key.
async fn event_metrics(State(state): Shared, headers: HeaderMap) -> Response {
    let given = headers
        .get(INTERNAL_KEY_HEADER)
        .and_then(|value| value.to_str().ok());
    state.with_model(|model, _| {
        if given != Some(&*model.internal_key) {
            return error(
                StatusCode::UNAUTHORIZED,
                format!("missing or wrong {INTERNAL_KEY_HEADER}"),
            );
        }
        Json(model.event_metrics()).into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> HealthLevels {
        HealthLevels::new(false, 0, Arc::from("key"))
    }

    #[test]
    fn quiet_documents_match_the_contract_example() {
        let mut model = quiet();
        model.advance_to(Duration::from_secs(30));
        let detailed = model.detailed();
        assert_eq!(detailed["status"], "healthy");
        let dependencies = &detailed["dependencies"];
        assert_eq!(
            dependencies["database"],
            json!({"status": "healthy", "latency_ms": 3.1})
        );
        assert_eq!(dependencies["cache"]["stats"]["hit_rate"], 0.85);
        assert_eq!(dependencies["cache"]["stats"]["total_keys"], 1234);
        assert_eq!(dependencies["event_pipeline"]["queue_size"], 50);
        assert_eq!(
            dependencies["event_pipeline"]["throughput_per_second"],
            100.0
        );
        assert_eq!(dependencies["event_pipeline"]["backpressure_active"], false);
        let metrics = model.event_metrics();
        assert_eq!(metrics["queue_capacity"], 1000);
        assert_eq!(metrics["events_in_queue"], 50);
    }

    #[test]
    fn the_demo_queue_reaches_backpressure_and_degrades_readiness() {
        let mut model = HealthLevels::new(true, 0, Arc::from("key"));
        model.advance_to(Duration::from_secs(59));
        assert_eq!(
            model.ready()["dependencies"]["event_pipeline"]["status"],
            "healthy"
        );
        model.advance_to(Duration::from_secs(75));
        assert_eq!(model.event_metrics()["backpressure_active"], true);
        assert_eq!(model.ready()["status"], "degraded");
        model.advance_to(Duration::from_secs(179));
        assert_eq!(model.event_metrics()["backpressure_active"], false);
        // The scripted clear at 240 s leaves the cache cold, hence degraded.
        model.advance_to(Duration::from_secs(241));
        assert_eq!(model.ready()["dependencies"]["cache"]["status"], "degraded");
    }

    #[test]
    fn pinned_statuses_and_errors_show_until_resumed() {
        let mut model = quiet();
        let patch = DependencyPatch {
            status: Some("unhealthy".to_owned()),
            latency_ms: Some(0.0),
            error: Some(Some("connection refused".to_owned())),
        };
        assert_eq!(model.apply_dependency("database", &patch), Ok(()));
        let ready = model.ready();
        assert_eq!(ready["status"], "unhealthy");
        assert_eq!(
            ready["dependencies"]["database"]["error"],
            "connection refused"
        );
        assert!(model.apply_dependency("redis", &patch).is_err());
        model.resume();
        assert_eq!(model.ready()["status"], "healthy");
    }

    #[test]
    fn status_words_include_the_contract_aliases() {
        assert_eq!(Level::parse("DOWN"), Ok(Level::Unhealthy));
        assert_eq!(Level::parse("Degraded"), Ok(Level::Degraded));
        assert!(Level::parse("up").is_err());
    }
}
