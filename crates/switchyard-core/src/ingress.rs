//! The one way news enters the engine. Every source (a poll round, a stream message;
//! a team's engine's refresh; an instance's poll and a discovery refresh) sends a [`SourceEvent`] on the one
//! channel the engine reads, so there is one place where news is applied, one place
//! where breaker transitions are decided ([`crate::transitions`]) and one place that
//! hands them to the history.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::discovery::Instance;
use crate::model::{Breaker, EngineStatus, EngineView, Observation, StreamStatus};

/// News about one service.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEvent {
    /// The service's configured name.
    pub service: String,
    pub news: News,
}

/// What a source learnt.
#[derive(Debug, Clone, PartialEq)]
pub enum News {
    /// A poll round ended. `consecutive_failures` is the poller's count, which also
    /// decides its backoff: counted there once, shown as it is.
    Poll {
        observation: Observation,
        consecutive_failures: u32,
        /// When the round began (the observation is stamped when it ended): what a
        /// reader waiting for news made after some moment compares with.
        started_at: DateTime<Utc>,
    },
    /// One instance of a service polled at several (`instances`, `discover`) ended a
    /// poll round: the engine keeps it per instance and combines the service from them.
    InstancePoll {
        instance: Instance,
        observation: Observation,
        consecutive_failures: u32,
        started_at: DateTime<Utc>,
    },
    /// Which instances the service has now, after a discovery refresh. `error` says why
    /// DNS could not be read; the instances known before are then kept.
    Instances {
        present: Vec<Instance>,
        error: Option<String>,
        at: DateTime<Utc>,
    },
    /// A stream session with one instance of a service of several had news (a status
    /// or a breaker, as below): applied to that instance, then to the combination.
    InstanceStream { instance: Instance, news: Box<News> },
    /// A stream session's state or counters changed.
    StreamStatus(StreamStatus),
    /// A breaker's state, as a stream just said.
    StreamBreaker { breaker: Breaker, at: DateTime<Utc> },
    /// A team's engine reported the service (the engines module): applied like a poll
    /// round, and a service the engine state does not hold yet is added to it.
    EngineRound {
        observation: Observation,
        view: EngineView,
        started_at: DateTime<Utc>,
    },
    /// The engine that reported the service cannot be read, or no longer reports it:
    /// its last values stay, marked stale (not down).
    EngineStale {
        engine: String,
        reason: String,
        since: DateTime<Utc>,
    },
    /// How an engine is doing after a refresh; the event's `service` is the engine's
    /// name.
    EngineStatus(EngineStatus),
}

/// The sending side every source holds. Bounded: a source that outruns the engine waits.
pub type Ingress = mpsc::Sender<SourceEvent>;

/// How many events may wait for the engine before sources wait for it.
pub const INGRESS_CAPACITY: usize = 2048;

/// A new ingress and the engine's receiving end.
pub fn channel() -> (Ingress, mpsc::Receiver<SourceEvent>) {
    mpsc::channel(INGRESS_CAPACITY)
}
