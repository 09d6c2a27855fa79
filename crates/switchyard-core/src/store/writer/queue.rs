//! The bounded queue in front of the writer: rounds that may be dropped (the oldest
//! first, when it is full), events that never are, and the [`WriterHandle`] producers
//! use to fill it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::{StoreHealth, WriterFault};
use crate::model::{Health, Observation, Reachability, Sample, Transition};
use crate::store::events::{
    ActionIntent, ActionOutcome, AlertAcknowledgement, AlertEvent, AlertRulesSaved, AlertSilence,
    SilenceRemoved, SilenceSet, StreamStateChange,
};

/// One poll round's raw part: the health row and the samples. Droppable.
pub(super) struct Round {
    pub(super) service: String,
    pub(super) profile: String,
    pub(super) at_ms: i64,
    pub(super) reachability: Reachability,
    pub(super) health: Option<Health>,
    pub(super) samples: Vec<Sample>,
}

impl Round {
    pub(super) fn weight(&self) -> usize {
        self.samples.len().max(1)
    }
}

/// Never dropped.
pub(super) enum Event {
    Breakers {
        service: String,
        profile: String,
        transitions: Vec<Transition>,
    },
    Alert(AlertEvent),
    AlertAck(AlertAcknowledgement),
    AlertSilence(AlertSilence),
    SilenceSet(SilenceSet),
    SilenceRemoved(SilenceRemoved),
    AlertRules(AlertRulesSaved),
    ActionStarted(ActionIntent, Option<oneshot::Sender<i64>>),
    ActionFinished(i64, ActionOutcome),
    Stream(StreamStateChange),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

impl Event {
    /// Something waits for this: write without waiting for the batch to fill.
    pub(super) fn is_urgent(&self) -> bool {
        matches!(self, Event::Flush(_) | Event::ActionStarted(..))
    }

    pub(super) fn counts(&self) -> u64 {
        match self {
            Event::Breakers { transitions, .. } => transitions.len() as u64,
            Event::Flush(_) => 0,
            _ => 1,
        }
    }
}

#[derive(Default)]
pub(super) struct Queued {
    pub(super) events: VecDeque<Event>,
    pub(super) rounds: VecDeque<Round>,
    /// Sum of the queued rounds' weights.
    pub(super) samples: usize,
    pub(super) urgent: bool,
    pub(super) closed: bool,
}

pub(super) struct Shared {
    pub(super) queue: Mutex<Queued>,
    pub(super) wake: Notify,
    pub(super) capacity: usize,
    pub(super) dropped_rounds: AtomicU64,
    pub(super) dropped_samples: AtomicU64,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Queued> {
        // A panic while holding the lock leaves a consistent queue: keep going.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops the oldest rounds until the queue fits; the caller holds the lock.
    pub(super) fn trim(&self, queued: &mut Queued) {
        while queued.samples > self.capacity {
            let Some(oldest) = queued.rounds.pop_front() else {
                break;
            };
            queued.samples -= oldest.weight();
            self.dropped_rounds.fetch_add(1, Ordering::Relaxed);
            let total = self
                .dropped_samples
                .fetch_add(oldest.samples.len() as u64, Ordering::Relaxed)
                + oldest.samples.len() as u64;
            if self
                .dropped_rounds
                .load(Ordering::Relaxed)
                .is_power_of_two()
            {
                tracing::warn!(
                    dropped_samples = total,
                    "history writer is behind; oldest samples dropped"
                );
            }
        }
    }

    fn push_event(&self, event: Event) -> bool {
        {
            let mut queued = self.lock();
            if queued.closed {
                return false;
            }
            queued.urgent |= event.is_urgent();
            queued.events.push_back(event);
        }
        self.wake.notify_one();
        true
    }

    fn push_round(&self, round: Round) {
        {
            let mut queued = self.lock();
            if queued.closed {
                return;
            }
            queued.samples += round.weight();
            queued.rounds.push_back(round);
            self.trim(&mut queued);
        }
        self.wake.notify_one();
    }
}

/// A cloneable way to hand things to the writer: the alerts and actions modules each
/// hold one. Everything is queued without waiting except [`WriterHandle::action_started`]
/// and [`WriterHandle::flush`], which wait for the commit.
#[derive(Clone)]
pub struct WriterHandle {
    pub(super) shared: Arc<Shared>,
    pub(super) health: watch::Receiver<StoreHealth>,
    pub(super) faults: mpsc::UnboundedSender<WriterFault>,
}

/// The writer stopped before the commit (the store was closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the history writer has stopped")]
pub struct WriterStopped;

impl WriterHandle {
    /// Queues an observation: its transitions (the engine decided them) as events, its
    /// health row and samples as a droppable round.
    pub fn record(&self, observation: Observation) {
        let Observation {
            service,
            profile,
            observed_at,
            reachability,
            health,
            samples,
            transitions,
            ..
        } = observation;
        let at_ms = observed_at.timestamp_millis();
        if !transitions.is_empty() {
            self.shared.push_event(Event::Breakers {
                service: service.clone(),
                profile: profile.clone(),
                transitions,
            });
        }
        self.shared.push_round(Round {
            service,
            profile,
            at_ms,
            reachability,
            health,
            samples,
        });
    }

    /// Queues breaker transitions learnt outside a poll round (a stream message, an
    /// action). Never dropped.
    pub fn record_transitions(&self, service: &str, profile: &str, transitions: Vec<Transition>) {
        if transitions.is_empty() {
            return;
        }
        self.shared.push_event(Event::Breakers {
            service: service.to_string(),
            profile: profile.to_string(),
            transitions,
        });
    }

    pub fn record_alert(&self, event: AlertEvent) {
        self.shared.push_event(Event::Alert(event));
    }

    /// Marks the latest event of the rule on the service as acknowledged.
    pub fn acknowledge_alert(&self, acknowledgement: AlertAcknowledgement) {
        self.shared.push_event(Event::AlertAck(acknowledgement));
    }

    /// Marks the latest event of the rule on the service as silenced until a time.
    pub fn silence_alert(&self, silence: AlertSilence) {
        self.shared.push_event(Event::AlertSilence(silence));
    }

    /// Records a silence (its own row, whatever it covers).
    pub fn record_silence(&self, silence: SilenceSet) {
        self.shared.push_event(Event::SilenceSet(silence));
    }

    /// Marks a silence as removed before its end.
    pub fn record_silence_removed(&self, removed: SilenceRemoved) {
        self.shared.push_event(Event::SilenceRemoved(removed));
    }

    /// Keeps the alert rules as saved from the UI (the newest set is the one in force).
    pub fn record_alert_rules(&self, saved: AlertRulesSaved) {
        self.shared.push_event(Event::AlertRules(saved));
    }

    pub fn record_stream_state(&self, change: StreamStateChange) {
        self.shared.push_event(Event::Stream(change));
    }

    /// Writes the intent row of an action and waits for its commit; returns the id to
    /// give [`WriterHandle::action_finished`]. While the database fails this waits (the
    /// caller decides how long an audit row may be late).
    pub async fn action_started(&self, intent: ActionIntent) -> Result<i64, WriterStopped> {
        let (reply, id) = oneshot::channel();
        if !self
            .shared
            .push_event(Event::ActionStarted(intent, Some(reply)))
        {
            return Err(WriterStopped);
        }
        id.await.map_err(|_| WriterStopped)
    }

    /// Records the outcome of an action started with [`WriterHandle::action_started`].
    pub fn action_finished(&self, id: i64, outcome: ActionOutcome) {
        self.shared.push_event(Event::ActionFinished(id, outcome));
    }

    /// Waits until everything queued before the call is committed.
    pub async fn flush(&self) -> Result<(), WriterStopped> {
        let (reply, done) = oneshot::channel();
        if !self.shared.push_event(Event::Flush(reply)) {
            return Err(WriterStopped);
        }
        done.await.map_err(|_| WriterStopped)
    }

    /// Whether history is being written; changes when a write fails or succeeds again.
    pub fn health(&self) -> watch::Receiver<StoreHealth> {
        self.health.clone()
    }

    /// Samples dropped so far because the queue was full.
    pub fn dropped_samples(&self) -> u64 {
        self.shared.dropped_samples.load(Ordering::Relaxed)
    }

    #[doc(hidden)]
    pub fn inject_fault(&self, fault: WriterFault) {
        let _ = self.faults.send(fault);
    }
}
