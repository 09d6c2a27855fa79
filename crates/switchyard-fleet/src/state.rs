//! The live state of one simulated service, shared by its HTTP handlers:
//! its script and start time, what the control endpoint has pinned, and the
//! count of health polls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::condition::ServiceCondition;
use crate::faults::{Fault, DEFAULT_RETRY_AFTER_SECONDS, DEFAULT_SLOW_DELAY};
use crate::script::Script;

/// What the control endpoint has set. The default is "the script drives,
/// no fault", which is also what resuming the script restores.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Control {
    /// `Some` while the service is pinned: the script no longer drives it.
    pub(crate) pinned: Option<ServiceCondition>,
    pub(crate) fault: Fault,
    /// How long `slow` waits; `None` means [`DEFAULT_SLOW_DELAY`].
    pub(crate) delay: Option<Duration>,
    /// `Retry-After` of `rate_limited`; `None` means the default.
    pub(crate) retry_after_seconds: Option<u64>,
}

/// A consistent view of the state at one instant, taken under the lock so a
/// handler never mixes a condition with another moment's fault.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    pub(crate) condition: ServiceCondition,
    pub(crate) pinned: bool,
    pub(crate) fault: Fault,
    pub(crate) delay: Duration,
    pub(crate) retry_after_seconds: u64,
    pub(crate) elapsed: Duration,
    pub(crate) health_requests: u64,
}

pub(crate) struct ServiceState {
    pub(crate) name: String,
    script: Script,
    /// A tokio instant so that tests with paused time move the script.
    started: Instant,
    /// A std mutex: it is held only to copy or replace a few fields, never
    /// across an await.
    control: Mutex<Control>,
    health_requests: AtomicU64,
}

impl ServiceState {
    pub(crate) fn new(name: String, script: Script) -> Self {
        ServiceState {
            name,
            script,
            started: Instant::now(),
            control: Mutex::new(Control::default()),
            health_requests: AtomicU64::new(0),
        }
    }

    /// Time since the service started, on the tokio clock.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Counts one `GET /health`, whatever fault answers it.
    pub(crate) fn count_health_request(&self) {
        self.health_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let control = self.lock();
        self.snapshot_of(&control)
    }

    /// Changes the control state. `change` gets the control and the
    /// condition currently in force (pinned or scripted), so a change can
    /// start from what the service shows now. Answers the resulting state.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Control, &ServiceCondition)) -> Snapshot {
        let mut control = self.lock();
        let current = self.current_condition(&control);
        change(&mut control, &current);
        self.snapshot_of(&control)
    }

    fn snapshot_of(&self, control: &Control) -> Snapshot {
        Snapshot {
            condition: self.current_condition(control),
            pinned: control.pinned.is_some(),
            fault: control.fault,
            delay: control.delay.unwrap_or(DEFAULT_SLOW_DELAY),
            retry_after_seconds: control
                .retry_after_seconds
                .unwrap_or(DEFAULT_RETRY_AFTER_SECONDS),
            elapsed: self.elapsed(),
            health_requests: self.health_requests.load(Ordering::Relaxed),
        }
    }

    fn current_condition(&self, control: &Control) -> ServiceCondition {
        match &control.pinned {
            Some(condition) => condition.clone(),
            None => self.script.condition_at(self.elapsed()).clone(),
        }
    }

    /// A poisoned lock only means a handler panicked mid-update; the fields
    /// are plain values that are still usable, so keep serving.
    fn lock(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::Status;
    use crate::script::Phase;

    fn ok_then_down() -> Script {
        Script::cycle(vec![
            Phase::new(Duration::from_secs(40), ServiceCondition::healthy()),
            Phase::new(
                Duration::from_secs(20),
                ServiceCondition::healthy().with_status(Status::Down),
            ),
        ])
    }

    #[tokio::test(start_paused = true)]
    async fn the_script_follows_the_tokio_clock() {
        let state = ServiceState::new("clocked".to_owned(), ok_then_down());
        assert_eq!(state.snapshot().condition.status, Status::Ok);
        tokio::time::advance(Duration::from_secs(40)).await;
        assert_eq!(state.snapshot().condition.status, Status::Down);
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(state.snapshot().condition.status, Status::Ok);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pinned_service_ignores_the_clock_until_resumed() {
        let state = ServiceState::new("pinned".to_owned(), ok_then_down());
        state.update(|control, current| control.pinned = Some(current.clone()));
        tokio::time::advance(Duration::from_secs(45)).await;
        let snapshot = state.snapshot();
        assert!(snapshot.pinned);
        assert_eq!(snapshot.condition.status, Status::Ok);

        let resumed = state.update(|control, _| *control = Control::default());
        assert_eq!(resumed.condition.status, Status::Down);
    }
}
