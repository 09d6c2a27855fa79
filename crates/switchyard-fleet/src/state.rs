//! The live state of one simulated service, shared by its HTTP handlers:
//! its profile's model, what the control endpoint has set, the request
//! counts, the clock that drives the model, and the hub of its streams.
//! Every breaker transition the model notes, whatever caused it, is handed
//! to the hub under the same lock, so streams relay them in order.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::actions::ActionLog;
use crate::clock::Clock;
use crate::control::request::{ControlChanges, ProfileChanges};
use crate::faults::{
    Fault, FaultParams, FaultTable, DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_SLOW_DELAY,
    DEFAULT_STATUS_CODE,
};
use crate::profiles::Simulation;
use crate::rate_limit::{RateWindow, Standing, ADVERTISED_LIMIT};
use crate::streams::hub::StreamHub;
use crate::streams::StreamKind;

/// Distinct paths counted one by one; past this, further paths (say, a
/// scan of breaker names) are counted together so the map stays bounded.
const COUNTED_PATHS: usize = 256;
const OTHER_PATHS: &str = "(other)";

/// What the control endpoint has set. The default is "the script drives,
/// no fault, no budget", which is also what resuming the script restores.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Control {
    /// True while the script is not driving the service: its model stands
    /// still apart from what requests and the control endpoint do to it.
    pub(crate) pinned: bool,
    pub(crate) faults: FaultTable,
    /// How long `slow` waits; `None` means [`DEFAULT_SLOW_DELAY`].
    pub(crate) delay: Option<Duration>,
    /// `Retry-After` of `rate_limited`; `None` means the default.
    pub(crate) retry_after_seconds: Option<u64>,
    /// The code `status` answers; `None` means the default.
    pub(crate) status_code: Option<u16>,
    /// Requests per second before `429`; `None` means no budget.
    pub(crate) rate_limit_per_second: Option<u32>,
    /// Breaker resets answer success but change nothing, so a console's
    /// verification has something to catch.
    pub(crate) ignore_resets: bool,
}

impl Control {
    fn params(&self) -> FaultParams {
        FaultParams {
            delay: self.delay.unwrap_or(DEFAULT_SLOW_DELAY),
            retry_after_seconds: self
                .retry_after_seconds
                .unwrap_or(DEFAULT_RETRY_AFTER_SECONDS),
            status_code: self.status_code.unwrap_or(DEFAULT_STATUS_CODE),
        }
    }
}

/// How the gate should treat one request, decided under the lock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Admission {
    pub(crate) fault: Fault,
    pub(crate) params: FaultParams,
    /// `None` when no rate-limit headers are due.
    pub(crate) standing: Option<Standing>,
}

struct Inner<M> {
    model: M,
    control: Control,
    /// Requests per path, whatever they answered.
    requests: BTreeMap<String, u64>,
    /// Write requests (resets, clears), kept across script resumes: they
    /// are what happened to the service, not something the script drives.
    actions: ActionLog,
    window: RateWindow,
}

pub(crate) struct ServiceState<M> {
    pub(crate) name: String,
    pub(crate) clock: Clock,
    /// Its streams' connections, settings and counters (idle for profiles
    /// without streams).
    pub(crate) streams: Arc<StreamHub>,
    /// Turns true (or closes) when the fleet stops; held requests watch it.
    stop: watch::Receiver<bool>,
    /// A std mutex: it is held only to step the model and copy values,
    /// never across an await.
    inner: Mutex<Inner<M>>,
}

impl<M: Simulation> ServiceState<M> {
    pub(crate) fn new(name: String, model: M, stop: watch::Receiver<bool>) -> Self {
        ServiceState {
            name,
            clock: Clock::start(),
            streams: StreamHub::new(),
            stop,
            inner: Mutex::new(Inner {
                model,
                control: Control::default(),
                requests: BTreeMap::new(),
                actions: ActionLog::default(),
                window: RateWindow::default(),
            }),
        }
    }

    /// Runs `f` on the model brought up to now (unless pinned), with the
    /// time since start.
    pub(crate) fn with_model<R>(&self, f: impl FnOnce(&mut M, Duration) -> R) -> R {
        let mut inner = self.lock();
        let now = self.clock.elapsed();
        inner.bring_up_to(now);
        let result = f(&mut inner.model, now);
        self.publish(&mut inner, now);
        result
    }

    /// Hands the transitions the model noted (up to `now`) to the streams.
    fn publish(&self, inner: &mut Inner<M>, now: Duration) {
        inner.model.observe(now);
        for transition in inner.model.take_transitions() {
            self.streams.publish(transition);
        }
    }

    /// Counts a request for `path` and decides its fault and budget.
    pub(crate) fn admit(&self, path: &str) -> Admission {
        let mut inner = self.lock();
        let counted = if inner.requests.contains_key(path) || inner.requests.len() < COUNTED_PATHS {
            path
        } else {
            OTHER_PATHS
        };
        *inner.requests.entry(counted.to_owned()).or_insert(0) += 1;
        let advertised = M::ADVERTISES_RATE_LIMIT.then_some(ADVERTISED_LIMIT);
        let enforced = inner.control.rate_limit_per_second;
        let standing = inner
            .window
            .admit(self.clock.elapsed(), enforced, advertised);
        Admission {
            fault: inner.control.faults.for_path(path),
            params: inner.control.params(),
            standing,
        }
    }

    /// Remembers a write request (see [`ActionLog`]); reads are not kept.
    pub(crate) fn record_action(
        &self,
        method: &axum::http::Method,
        uri: &axum::http::Uri,
        headers: &axum::http::HeaderMap,
    ) {
        if !ActionLog::is_write(method) {
            return;
        }
        let now = self.clock.elapsed();
        self.lock()
            .actions
            .record(method, uri.path(), uri.query(), headers, now);
    }

    /// Whether breaker resets are to be answered without resetting.
    pub(crate) fn ignores_resets(&self) -> bool {
        self.lock().control.ignore_resets
    }

    /// Applies `POST /_fleet/set`: pins the service, then changes it. All or
    /// nothing: on an error nothing has changed.
    pub(crate) fn set(
        &self,
        control: ControlChanges,
        changes: &ProfileChanges,
    ) -> Result<Value, String> {
        let refused: Vec<&str> = changes
            .named()
            .into_iter()
            .filter(|field| !M::ACCEPTS.contains(field))
            .collect();
        if !refused.is_empty() {
            return Err(format!(
                "{} does not apply to a {} service (it accepts {})",
                refused.join(", "),
                M::PROFILE,
                M::ACCEPTS.join(", ")
            ));
        }
        let stream = control.stream();
        if StreamKind::of(M::PROFILE).is_none() && !stream.named().is_empty() {
            return Err(format!(
                "{} does not apply to a {} service (it has no streams)",
                stream.named().join(", "),
                M::PROFILE,
            ));
        }
        let mut inner = self.lock();
        let now = self.clock.elapsed();
        inner.bring_up_to(now);
        // Changed on a copy, so a refused change leaves no trace.
        let mut model = inner.model.clone();
        if !inner.control.pinned {
            model.pin(now);
        }
        model.apply(changes, now)?;
        inner.model = model;
        inner.control.pinned = true;
        self.streams.change(control.stream());
        control.apply(&mut inner.control);
        self.publish(&mut inner, now);
        Ok(self.view_of(&inner, now))
    }

    /// Applies `POST /_fleet/script`.
    pub(crate) fn run_script(&self, running: bool) -> Value {
        let mut inner = self.lock();
        let now = self.clock.elapsed();
        if running {
            // Resuming undoes everything `set` did, faults included: the
            // script is back in sole charge.
            inner.model.resume();
            inner.control = Control::default();
            self.streams.reset();
            inner.bring_up_to(now);
        } else if !inner.control.pinned {
            inner.bring_up_to(now);
            inner.model.pin(now);
            inner.control.pinned = true;
        }
        self.publish(&mut inner, now);
        self.view_of(&inner, now)
    }

    /// `GET /_fleet/state`.
    pub(crate) fn view(&self) -> Value {
        let mut inner = self.lock();
        let now = self.clock.elapsed();
        inner.bring_up_to(now);
        self.publish(&mut inner, now);
        self.view_of(&inner, now)
    }

    fn view_of(&self, inner: &Inner<M>, now: Duration) -> Value {
        let mut view = Map::new();
        view.insert("service".to_owned(), Value::from(self.name.as_str()));
        view.insert("profile".to_owned(), Value::from(M::PROFILE.name()));
        view.extend(inner.model.view(&self.clock));
        let control = &inner.control;
        let params = control.params();
        let by_path: Map<String, Value> = control
            .faults
            .by_path
            .iter()
            .map(|(path, fault)| (path.clone(), Value::from(fault.as_str())))
            .collect();
        let requests: Map<String, Value> = inner
            .requests
            .iter()
            .map(|(path, count)| (path.clone(), Value::from(*count)))
            .collect();
        let fields = [
            ("pinned", Value::from(control.pinned)),
            ("fault", Value::from(control.faults.everywhere.as_str())),
            ("faults", Value::Object(by_path)),
            (
                "delay_ms",
                Value::from(u64::try_from(params.delay.as_millis()).unwrap_or(u64::MAX)),
            ),
            (
                "retry_after_seconds",
                Value::from(params.retry_after_seconds),
            ),
            ("status_code", Value::from(params.status_code)),
            (
                "rate_limit_per_second",
                control
                    .rate_limit_per_second
                    .map_or(Value::Null, Value::from),
            ),
            (
                "health_requests",
                Value::from(inner.requests.get("/health").copied().unwrap_or(0)),
            ),
            ("requests", Value::Object(requests)),
            ("actions", inner.actions.view(&self.clock)),
            ("ignore_resets", Value::from(control.ignore_resets)),
            ("uptime_seconds", Value::from(now.as_secs_f64())),
        ];
        view.extend(fields.map(|(name, value)| (name.to_owned(), value)));
        if StreamKind::of(M::PROFILE).is_some() {
            view.extend(self.streams.view());
        }
        Value::Object(view)
    }

    /// Resolves when the fleet stops (or was dropped without stopping).
    pub(crate) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.clone();
        async move {
            // Err means the sender is gone: that is a stop as well.
            let _ = stop.wait_for(|stop| *stop).await;
        }
    }

    /// A poisoned lock only means a handler panicked mid-update; the fields
    /// are plain values that are still usable, so keep serving.
    fn lock(&self) -> MutexGuard<'_, Inner<M>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<M: Simulation> Inner<M> {
    fn bring_up_to(&mut self, now: Duration) {
        if !self.control.pinned {
            self.model.advance_to(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{ServiceCondition, Status};
    use crate::profiles::health_contract::HealthContract;
    use crate::script::{Phase, Script};

    fn ok_then_down() -> Script {
        Script::cycle(vec![
            Phase::new(Duration::from_secs(40), ServiceCondition::healthy()),
            Phase::new(
                Duration::from_secs(20),
                ServiceCondition::healthy().with_status(Status::Down),
            ),
        ])
    }

    fn service() -> ServiceState<HealthContract> {
        // The sender is dropped at once: nothing here waits for a stop.
        let (_, stop) = watch::channel(false);
        ServiceState::new(
            "clocked".to_owned(),
            HealthContract::new(ok_then_down()),
            stop,
        )
    }

    fn status(state: &ServiceState<HealthContract>) -> Value {
        state.view()["status"].clone()
    }

    #[tokio::test(start_paused = true)]
    async fn the_script_follows_the_tokio_clock() {
        let state = service();
        assert_eq!(status(&state), "OK");
        tokio::time::advance(Duration::from_secs(40)).await;
        assert_eq!(status(&state), "DOWN");
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(status(&state), "OK");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pinned_service_ignores_the_clock_until_resumed() {
        let state = service();
        state.run_script(false);
        tokio::time::advance(Duration::from_secs(45)).await;
        let view = state.view();
        assert_eq!(view["pinned"], true);
        assert_eq!(view["status"], "OK");

        let resumed = state.run_script(true);
        assert_eq!(resumed["status"], "DOWN");
    }

    /// A seed model follows the tokio clock too, and freezes while pinned.
    #[tokio::test(start_paused = true)]
    async fn seed_dynamics_follow_the_tokio_clock_and_freeze_when_pinned() {
        use crate::profiles::breaker_registry::BreakerRegistry;
        let (_, stop) = watch::channel(false);
        let state = ServiceState::new("registry".to_owned(), BreakerRegistry::new(true, 0), stop);
        let exchange = |state: &ServiceState<BreakerRegistry>| {
            state.view()["breakers"]["exchange_api"]["state"].clone()
        };
        tokio::time::advance(Duration::from_secs(32)).await;
        assert_eq!(exchange(&state), "CLOSED");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(exchange(&state), "OPEN");
        state.run_script(false);
        tokio::time::advance(Duration::from_secs(500)).await;
        assert_eq!(exchange(&state), "OPEN", "pinned");
        // Resumed at 533 s, it catches up: the second burst (320–400 s)
        // tripped it again, and a probe closed it at 429 s.
        state.run_script(true);
        assert_eq!(exchange(&state), "CLOSED");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_are_counted_per_path_and_bounded() {
        let state = service();
        for _ in 0..3 {
            state.admit("/health");
        }
        for n in 0..COUNTED_PATHS + 10 {
            state.admit(&format!("/x/{n}"));
        }
        let view = state.view();
        assert_eq!(view["health_requests"], 3);
        let requests = view["requests"].as_object().cloned().unwrap_or_default();
        assert_eq!(requests.len(), COUNTED_PATHS + 1);
        assert_eq!(requests[OTHER_PATHS], 11);
    }
}
