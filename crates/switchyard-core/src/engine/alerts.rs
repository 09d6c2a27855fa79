//! The engine's side of alerts: it owns the [`Evaluator`], feeds it every service
//! update and a one-second tick, records what changes in the store, and answers the
//! commands the UI sends (acknowledge, silence, edit rules).
//!
//! The evaluator itself knows no clock, channel or database (see [`crate::alerts`]);
//! this module is where those meet, still without Tauri. Time always comes from the
//! engine's injected clock, so a test with a [`crate::clock::ManualClock`] decides
//! when a `for` has elapsed.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;

use super::alert_setup::{AlertSetup, RulesSaved};
use super::EngineEvent;
use crate::alerts::{
    chart_thresholds, rules_from_specs, rules_to_toml, Acknowledgement, ActiveAlert, AlertError,
    AlertEvent, AlertKey, AlertPhase, Evaluator, Rule, RuleOrigin, RuleSpec, RuleView,
    RulesRejected, Severity, Silence, SilenceId, SilenceTarget,
};
use crate::charts::Threshold;
use crate::model::ServiceState;
use crate::store::{self, WriterHandle};

/// How many resolved alerts the panel's "recently resolved" list keeps in memory (the
/// store keeps them all).
const RECENT_RESOLVED: usize = 50;

/// Everything the alerts panel shows, in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AlertsState {
    /// Pending and firing alerts, most severe first.
    pub active: Vec<ActiveAlert>,
    /// The worst severity firing (acknowledged and silenced ones count): the tray colour.
    pub worst: Option<Severity>,
    /// The worst severity firing that nobody has acknowledged or silenced.
    pub worst_unhandled: Option<Severity>,
    pub silences: Vec<Silence>,
    /// Alerts that fired and resolved since the console started, newest first.
    pub recent: Vec<AlertEvent>,
    /// Who saved the rules in force from the UI; absent while they are the config's.
    pub rules_saved: Option<RulesSaved>,
}

/// Why an alert command did not happen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlertRequestError {
    #[error(transparent)]
    Refused(#[from] AlertError),
    #[error(transparent)]
    InvalidRules(#[from] RulesRejected),
    #[error("no silence numbered {0}")]
    NoSuchSilence(u64),
    #[error("cannot write the rules as TOML: {0}")]
    Export(String),
    #[error("the engine has stopped")]
    EngineStopped,
}

type Reply<T> = oneshot::Sender<Result<T, AlertRequestError>>;

/// What the engine's alerting is asked to do (through [`crate::engine::EngineHandle`]).
pub(crate) enum AlertCommand {
    State(oneshot::Sender<AlertsState>),
    Acknowledge {
        key: AlertKey,
        by: String,
        comment: String,
        reply: Reply<Acknowledgement>,
    },
    Silence {
        target: SilenceTarget,
        until: DateTime<Utc>,
        reason: String,
        by: String,
        reply: Reply<Silence>,
    },
    Unsilence {
        id: SilenceId,
        by: String,
        reply: Reply<Silence>,
    },
    Rules(oneshot::Sender<Vec<RuleView>>),
    SetRules {
        specs: Vec<RuleSpec>,
        by: String,
        reply: Reply<Vec<RuleView>>,
    },
    ExportRules(Reply<String>),
    Thresholds {
        service: String,
        series: String,
        reply: oneshot::Sender<Vec<Threshold>>,
    },
}

/// The evaluator and what goes with it, owned by the engine task.
pub(crate) struct Alerting {
    evaluator: Evaluator,
    writer: Option<WriterHandle>,
    rules_saved: Option<RulesSaved>,
    /// Alerts whose firing was seen, so a resolution can tell "fired and resolved" from
    /// "pending that cleared" for the recent list.
    fired: HashSet<AlertKey>,
    recent: VecDeque<AlertEvent>,
    /// The active list last published, so the tick publishes only changes.
    published: Vec<ActiveAlert>,
}

impl Alerting {
    pub(crate) fn new(
        setup: AlertSetup,
        writer: Option<WriterHandle>,
        now: DateTime<Utc>,
    ) -> Alerting {
        let mut evaluator = Evaluator::new(setup.rules);
        evaluator.number_silences_after(setup.last_silence_id);
        for silence in setup.silences {
            evaluator.restore_silence(silence);
        }
        let mut fired = HashSet::new();
        for alert in setup.carried {
            if alert.phase == AlertPhase::Firing {
                fired.insert(alert.key.clone());
            }
            evaluator.carry_over(alert, now);
        }
        Alerting {
            evaluator,
            writer,
            rules_saved: setup.rules_saved,
            fired,
            recent: VecDeque::new(),
            published: Vec::new(),
        }
    }

    /// A service's state changed (an observation, a stream update).
    pub(crate) fn observe(
        &mut self,
        state: &ServiceState,
        now: DateTime<Utc>,
    ) -> Option<EngineEvent> {
        let events = self.evaluator.evaluate(state, now);
        self.settle(events, now, false)
    }

    /// The instances of the service `instance_of`, each as a service of its own, for the
    /// per-instance rules.
    /// Whether any rule fires per instance (see [`Evaluator::reads_instances`]).
    pub(crate) fn reads_instances(&self) -> bool {
        self.evaluator.reads_instances()
    }

    pub(crate) fn observe_instances(
        &mut self,
        instance_of: &str,
        instances: &[ServiceState],
        now: DateTime<Utc>,
    ) -> Option<EngineEvent> {
        let events = instances
            .iter()
            .flat_map(|state| self.evaluator.evaluate_instance(instance_of, state, now))
            .collect();
        self.settle(events, now, false)
    }

    /// Time passed: `for` and `keep_firing` elapse, staleness grows, silences end.
    /// Publishes also when only the active list changed (values, resolving).
    pub(crate) fn tick(
        &mut self,
        states: &[ServiceState],
        instances: &[(String, ServiceState)],
        now: DateTime<Utc>,
    ) -> Option<EngineEvent> {
        let events = self.evaluator.tick_with_instances(states, instances, now);
        self.settle(events, now, true)
    }

    /// Records the events and says what to publish.
    fn settle(
        &mut self,
        events: Vec<AlertEvent>,
        now: DateTime<Utc>,
        compare: bool,
    ) -> Option<EngineEvent> {
        for event in &events {
            self.remember(event);
        }
        if events.is_empty() && !compare {
            return None;
        }
        let active = self.evaluator.active(now);
        if events.is_empty() && active == self.published {
            return None;
        }
        Some(self.publish(active, events))
    }

    fn publish(&mut self, active: Vec<ActiveAlert>, events: Vec<AlertEvent>) -> EngineEvent {
        self.published.clone_from(&active);
        EngineEvent::AlertsChanged {
            active,
            worst: self.evaluator.worst_firing(),
            events,
        }
    }

    fn remember(&mut self, event: &AlertEvent) {
        // A repeat announces a firing already recorded (its silence ended).
        if event.repeat {
            return;
        }
        if let Some(writer) = &self.writer {
            writer.record_alert(store_event(event));
        }
        match event.phase {
            AlertPhase::Firing => {
                self.fired.insert(event.key.clone());
            }
            AlertPhase::Resolved => {
                if self.fired.remove(&event.key) {
                    self.recent.push_front(event.clone());
                    self.recent.truncate(RECENT_RESOLVED);
                }
            }
            AlertPhase::Pending => {}
        }
    }

    pub(crate) fn state(&self, now: DateTime<Utc>) -> AlertsState {
        AlertsState {
            active: self.evaluator.active(now),
            worst: self.evaluator.worst_firing(),
            worst_unhandled: self.evaluator.worst_unhandled(now),
            silences: self.evaluator.silences().to_vec(),
            recent: self.recent.iter().cloned().collect(),
            rules_saved: self.rules_saved.clone(),
        }
    }

    /// Answers a command; returns what to publish when the alerts changed.
    pub(crate) fn handle(
        &mut self,
        command: AlertCommand,
        states: &[ServiceState],
        now: DateTime<Utc>,
    ) -> Option<EngineEvent> {
        match command {
            AlertCommand::State(reply) => {
                let _ = reply.send(self.state(now));
                None
            }
            AlertCommand::Acknowledge {
                key,
                by,
                comment,
                reply,
            } => {
                let result = self.evaluator.acknowledge(&key, &by, &comment, now);
                let changed = result.is_ok();
                if let (Ok(ack), Some(writer)) = (&result, &self.writer) {
                    writer.acknowledge_alert(store::AlertAcknowledgement {
                        rule: key.rule.clone(),
                        service: key.service.clone(),
                        subject: Some(key.subject.clone()),
                        by: ack.by.clone(),
                        at: ack.at,
                        comment: ack.comment.clone(),
                    });
                }
                let _ = reply.send(result.map_err(AlertRequestError::from));
                changed.then(|| self.republish(now))
            }
            AlertCommand::Silence {
                target,
                until,
                reason,
                by,
                reply,
            } => {
                let result = self
                    .evaluator
                    .silence(target, until, &reason, &by, now)
                    .map_err(AlertRequestError::from)
                    .and_then(|id| {
                        self.evaluator
                            .silences()
                            .iter()
                            .find(|s| s.id == id)
                            .cloned()
                            .ok_or(AlertRequestError::NoSuchSilence(id.0))
                    });
                let changed = result.is_ok();
                if let (Ok(silence), Some(writer)) = (&result, &self.writer) {
                    writer.record_silence(store::SilenceSet {
                        id: silence.id.0,
                        rule: silence.target.rule.clone(),
                        service: silence.target.service.clone(),
                        until: silence.until,
                        reason: silence.reason.clone(),
                        by: silence.by.clone(),
                        at: silence.created_at,
                    });
                }
                let _ = reply.send(result);
                changed.then(|| self.republish(now))
            }
            AlertCommand::Unsilence { id, by, reply } => {
                let result = self
                    .evaluator
                    .unsilence(id)
                    .ok_or(AlertRequestError::NoSuchSilence(id.0));
                let changed = result.is_ok();
                if let (true, Some(writer)) = (changed, &self.writer) {
                    writer.record_silence_removed(store::SilenceRemoved {
                        id: id.0,
                        by,
                        at: now,
                    });
                }
                let _ = reply.send(result);
                // What the silence hid is announced again by the next tick.
                changed.then(|| self.republish(now))
            }
            AlertCommand::Rules(reply) => {
                let _ = reply.send(self.evaluator.rules().iter().map(Rule::view).collect());
                None
            }
            AlertCommand::SetRules { specs, by, reply } => {
                let rules = match rules_from_specs(&specs) {
                    Ok(rules) => rules,
                    Err(rejected) => {
                        let _ = reply.send(Err(rejected.into()));
                        return None;
                    }
                };
                let toml = match rules_to_toml(&rules) {
                    Ok(toml) => toml,
                    Err(e) => {
                        let _ = reply.send(Err(AlertRequestError::Export(e.to_string())));
                        return None;
                    }
                };
                let events = self.evaluator.set_rules(rules, now);
                if let Some(writer) = &self.writer {
                    writer.record_alert_rules(store::AlertRulesSaved {
                        rules_toml: toml,
                        by: by.clone(),
                        at: now,
                    });
                }
                self.rules_saved = Some(RulesSaved { by, at: now });
                let _ = reply.send(Ok(self.evaluator.rules().iter().map(Rule::view).collect()));
                // Re-evaluate at once so a changed threshold shows without waiting.
                let mut events = events;
                for state in states {
                    events.extend(self.evaluator.evaluate(state, now));
                }
                for event in &events {
                    self.remember(event);
                }
                let active = self.evaluator.active(now);
                Some(self.publish(active, events))
            }
            AlertCommand::ExportRules(reply) => {
                let editable: Vec<Rule> = self
                    .evaluator
                    .rules()
                    .iter()
                    .filter(|r| !matches!(r.origin, RuleOrigin::Service { .. }))
                    .cloned()
                    .collect();
                let _ = reply.send(
                    rules_to_toml(&editable).map_err(|e| AlertRequestError::Export(e.to_string())),
                );
                None
            }
            AlertCommand::Thresholds {
                service,
                series,
                reply,
            } => {
                let lines = states
                    .iter()
                    .find(|s| s.name == service)
                    .map(|state| chart_thresholds(self.evaluator.rules(), state, &series))
                    .unwrap_or_default();
                let _ = reply.send(lines);
                None
            }
        }
    }

    fn republish(&mut self, now: DateTime<Utc>) -> EngineEvent {
        let active = self.evaluator.active(now);
        self.publish(active, Vec::new())
    }
}

/// The evaluator's event as the store keeps it.
fn store_event(event: &AlertEvent) -> store::AlertEvent {
    store::AlertEvent {
        rule: event.key.rule.clone(),
        service: event.key.service.clone(),
        severity: event.severity.as_str().to_string(),
        state: match event.phase {
            AlertPhase::Pending => store::AlertState::Pending,
            AlertPhase::Firing => store::AlertState::Firing,
            AlertPhase::Resolved => store::AlertState::Resolved,
        },
        value: event.value,
        at: event.at,
        subject: Some(event.key.subject.clone()),
        detail: event.state.clone(),
        silenced_until: event.silenced_until,
    }
}
