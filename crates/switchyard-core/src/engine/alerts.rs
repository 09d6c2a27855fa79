//! The engine's side of alerts: it owns the [`Evaluator`], feeds it every service
//! update and a one-second tick, records what changes in the store, and answers the
//! commands the UI sends (acknowledge, silence, edit rules).
//!
//! The evaluator itself knows no clock, channel or database (see [`crate::alerts`]);
//! this module is where those meet, still without Tauri. Time always comes from the
//! engine's injected clock, so a test with a [`crate::clock::ManualClock`] decides
//! when a `for` has elapsed.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::time::Instant;
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

/// The shortest gap between two publications of the alerts. Each carries the whole
/// active list; at thousands of services, a burst of changes (a fleet going stale at
/// once, its polls' alerts firing together) published one by one was the engine's
/// largest cost and flooded the window with copies of the list. The first change after
/// a quiet gap is published at once.
pub(crate) const PUBLISH_GAP: Duration = Duration::from_millis(100);

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
    /// Changes recorded but not yet published (within [`PUBLISH_GAP`] of the last
    /// publication), in order.
    unpublished: Vec<AlertEvent>,
    /// When the alerts were last published.
    published_at: Option<Instant>,
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
            unpublished: Vec::new(),
            published_at: None,
        }
    }

    /// A service's state changed (an observation, a stream update). What it changed is
    /// recorded at once and published as soon as [`PUBLISH_GAP`] allows.
    pub(crate) fn observe(
        &mut self,
        state: &ServiceState,
        now: DateTime<Utc>,
    ) -> Option<EngineEvent> {
        let events = self.evaluator.evaluate(state, now);
        self.settle(events, now, false)
    }

    /// When changes wait to be published: the moment they may be.
    pub(crate) fn publish_due(&self) -> Option<Instant> {
        if self.unpublished.is_empty() {
            return None;
        }
        Some(
            self.published_at
                .map_or_else(Instant::now, |at| at + PUBLISH_GAP),
        )
    }

    /// Publishes the changes that waited for [`PUBLISH_GAP`].
    pub(crate) fn publish_waiting(&mut self, now: DateTime<Utc>) -> Option<EngineEvent> {
        self.settle(Vec::new(), now, false)
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
        self.unpublished.extend(events);
        let waiting = !self.unpublished.is_empty();
        if !waiting && !compare {
            return None;
        }
        if waiting && self.publish_due().is_some_and(|due| Instant::now() < due) {
            // Published on the next ingress, tick or the engine's timer for it.
            return None;
        }
        let active = self.evaluator.active(now);
        if !waiting && active == self.published {
            return None;
        }
        let events = std::mem::take(&mut self.unpublished);
        Some(self.publish(active, events))
    }

    fn publish(&mut self, active: Vec<ActiveAlert>, events: Vec<AlertEvent>) -> EngineEvent {
        self.published.clone_from(&active);
        self.published_at = Some(Instant::now());
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

    /// After a command: at once, with whatever changes were waiting.
    fn republish(&mut self, now: DateTime<Utc>) -> EngineEvent {
        let active = self.evaluator.active(now);
        let events = std::mem::take(&mut self.unpublished);
        self.publish(active, events)
    }
}

/// Wakes when alert changes that waited may be published; never when none wait.
pub(crate) async fn publish_timer(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::alerts::default_rules;
    use crate::config::ServiceConfig;
    use crate::model::{Observation, Reachability, Sample};

    /// `count` services whose cache hit rate just fell under the default rule's line.
    fn low_hit_rates(count: usize, now: DateTime<Utc>) -> Vec<ServiceState> {
        (0..count)
            .map(|i| {
                let service = ServiceConfig::new(&format!("svc{i}"), "http://127.0.0.1:1", None);
                let mut state = super::super::initial_state(&service, now);
                let observation = Observation {
                    service: state.name.clone(),
                    profile: "prometheus".into(),
                    observed_at: now,
                    reachability: Reachability::Reachable { latency_ms: 1.0 },
                    health: None,
                    breakers: Vec::new(),
                    samples: vec![Sample {
                        series: "cache.hit_rate".into(),
                        value: 0.5,
                    }],
                    actions: Vec::new(),
                    transitions: Vec::new(),
                    service_alerts: Vec::new(),
                    thresholds: Vec::new(),
                    problems: Vec::new(),
                };
                state.latest = Some(observation.clone());
                state.last_good = Some(observation);
                state
            })
            .collect()
    }

    fn changes(event: Option<EngineEvent>) -> Option<(usize, usize)> {
        match event? {
            EngineEvent::AlertsChanged { active, events, .. } => Some((active.len(), events.len())),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_changes_is_published_once_per_gap_and_nothing_is_lost() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
        let rules = default_rules()
            .into_iter()
            .filter(|r| r.name == "cache hit rate low")
            .collect();
        let setup = AlertSetup {
            rules,
            ..AlertSetup::default()
        };
        let mut alerting = Alerting::new(setup, None, now);
        let states = low_hit_rates(100, now);

        // The first change after a quiet gap goes out at once, alone.
        assert_eq!(changes(alerting.observe(&states[0], now)), Some((1, 1)));
        // The other 99 in the same instant wait for the gap, then go out together.
        for state in &states[1..] {
            assert_eq!(changes(alerting.observe(state, now)), None);
        }
        let due = alerting.publish_due().expect("changes wait");
        assert_eq!(due - Instant::now(), PUBLISH_GAP);
        tokio::time::advance(PUBLISH_GAP - Duration::from_millis(1)).await;
        assert_eq!(
            changes(alerting.publish_waiting(now)),
            None,
            "not before the gap"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(changes(alerting.publish_waiting(now)), Some((100, 99)));
        assert_eq!(alerting.publish_due(), None, "nothing left waiting");

        // An observation after the gap publishes what waited with it, in order.
        tokio::time::advance(PUBLISH_GAP / 2).await;
        let later = now + chrono::Duration::seconds(1);
        let recovered = {
            let mut state = states[7].clone();
            let observation = state.latest.as_mut().unwrap();
            observation.samples[0].value = 0.99;
            observation.observed_at = later;
            state.last_good = state.latest.clone();
            state
        };
        assert_eq!(
            changes(alerting.observe(&recovered, later)),
            None,
            "within the gap"
        );
        tokio::time::advance(PUBLISH_GAP / 2).await;
        assert_eq!(changes(alerting.observe(&states[0], later)), Some((99, 1)));
    }
}
