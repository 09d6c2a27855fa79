//! The engine's side of alerts: it owns the [`Evaluator`], feeds it every service
//! update and a one-second tick, records what changes in the store, and answers the
//! commands the UI sends (acknowledge, silence, edit rules).
//!
//! The evaluator itself knows no clock, channel or database (see [`crate::alerts`]);
//! this module is where those meet, still without Tauri. Time always comes from the
//! engine's injected clock, so a test with a [`crate::alerts::ManualClock`] decides
//! when a `for` has elapsed.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;

use crate::alerts::{
    default_rules, rules_to_toml, with_defaults, Acknowledgement, ActiveAlert, AlertError,
    AlertEvent, AlertKey, AlertPhase, CarriedAlert, Comparison, Condition, Evaluator, Rule,
    RuleError, RuleField, RuleOrigin, RuleSpec, RuleView, Severity, Silence, SilenceId,
    SilenceTarget, Subject,
};
use crate::charts::{Breach, Threshold};
use crate::config::Config;
use crate::engine::EngineEvent;
use crate::model::ServiceState;
use crate::store::{self, Store, StoreError, WriterHandle};

/// How many resolved alerts the panel's "recently resolved" list keeps in memory (the
/// store keeps them all).
const RECENT_RESOLVED: usize = 50;

/// Who saved the rule set in force, and when (absent: the configuration's rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RulesSaved {
    pub by: String,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// What the engine starts alerting with.
#[derive(Debug, Clone, Default)]
pub struct AlertSetup {
    /// The configured and default rules (imported ones arrive with observations).
    pub rules: Vec<Rule>,
    /// Set when `rules` are the ones saved from the UI rather than the configuration's.
    pub rules_saved: Option<RulesSaved>,
    /// Silences still in force, with their numbers.
    pub silences: Vec<Silence>,
    /// The highest silence number ever used: new ones number on from it.
    pub last_silence_id: u64,
    /// Alerts that were firing when the console stopped: their episodes go on.
    pub carried: Vec<CarriedAlert>,
}

impl AlertSetup {
    /// The configuration's `[[alert]]` rules over the defaults; no silences.
    pub fn from_config(config: &Config) -> AlertSetup {
        AlertSetup {
            rules: with_defaults(config.alerts.clone()),
            ..AlertSetup::default()
        }
    }

    /// What the history remembers: the rules as last saved from the UI (else the
    /// configuration's) and the silences still in force at `now`. A saved rule set that
    /// no longer reads (written by another version) is skipped with a warning rather
    /// than leaving the console without alerts.
    pub async fn load(
        store: &Store,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<AlertSetup, StoreError> {
        let mut setup = AlertSetup::from_config(config);
        if let Some(saved) = store.latest_alert_rules().await? {
            match rules_from_toml(&saved.rules_toml) {
                Ok(rules) => {
                    setup.rules = rules;
                    setup.rules_saved = Some(RulesSaved {
                        by: saved.saved_by,
                        at: store::time_from_ms(saved.saved_at_ms).unwrap_or(now),
                    });
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "the alert rules saved in the history do not read; using the configuration's"
                ),
            }
        }
        setup.silences = store
            .silences_in_force(now)
            .await?
            .into_iter()
            .filter_map(silence_from_record)
            .collect();
        setup.last_silence_id = store.last_silence_id().await?;
        setup.carried = store
            .open_alerts()
            .await?
            .into_iter()
            .filter_map(carried_from_record)
            .collect();
        Ok(setup)
    }
}

fn carried_from_record(record: store::OpenAlertRecord) -> Option<CarriedAlert> {
    let acknowledged = match (record.acknowledged_by, record.acknowledged_at_ms) {
        (Some(by), Some(at_ms)) => Some(Acknowledgement {
            by,
            comment: record.ack_comment,
            at: store::time_from_ms(at_ms)?,
        }),
        _ => None,
    };
    let phase = match record.state.as_str() {
        "pending" => AlertPhase::Pending,
        "firing" => AlertPhase::Firing,
        _ => return None,
    };
    Some(CarriedAlert {
        key: AlertKey::new(&record.rule, &record.service, &record.subject),
        phase,
        since: store::time_from_ms(record.since_ms)?,
        acknowledged,
    })
}

fn silence_from_record(record: store::SilenceRecord) -> Option<Silence> {
    Some(Silence {
        id: SilenceId(u64::try_from(record.id).ok()?),
        target: SilenceTarget {
            rule: record.rule,
            service: record.service,
        },
        until: store::time_from_ms(record.until_ms)?,
        reason: record.reason,
        by: record.created_by,
        created_at: store::time_from_ms(record.created_at_ms)?,
    })
}

/// A rule set refused: every bad rule, so the editor can mark them all at once.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize, TS)]
#[error("{}", describe_errors(.errors))]
pub struct RulesRejected {
    pub errors: Vec<RuleError>,
}

fn describe_errors(errors: &[RuleError]) -> String {
    match errors {
        [] => "the rules were refused".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// Builds and validates the configured and default rules from their text form (the
/// UI's editor). A rule identical to a built-in one keeps the `default` origin; names
/// must be unique. Rules that services declare are not edited here.
pub fn rules_from_specs(specs: &[RuleSpec]) -> Result<Vec<Rule>, RulesRejected> {
    let defaults = default_rules();
    let mut rules = Vec::with_capacity(specs.len());
    let mut errors = Vec::new();
    for spec in specs {
        match Rule::from_spec(spec, RuleOrigin::Config) {
            Ok(mut rule) => {
                let as_default = Rule {
                    origin: RuleOrigin::Default,
                    ..rule.clone()
                };
                if defaults.contains(&as_default) {
                    rule.origin = RuleOrigin::Default;
                }
                rules.push(rule);
            }
            Err(e) => errors.push(e),
        }
    }
    let mut seen = HashSet::new();
    for rule in &rules {
        if !seen.insert(rule.name.as_str()) {
            errors.push(RuleError {
                rule: rule.name.clone(),
                field: RuleField::Name,
                message: "another rule has this name; names must be unique".to_string(),
            });
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RulesRejected { errors })
    }
}

/// Reads rules written by [`rules_to_toml`] (the saved set, an exported file).
pub fn rules_from_toml(text: &str) -> Result<Vec<Rule>, String> {
    #[derive(Deserialize)]
    struct Alerts {
        #[serde(default)]
        alert: Vec<RuleSpec>,
    }
    let alerts: Alerts = toml::from_str(text).map_err(|e| e.to_string())?;
    rules_from_specs(&alerts.alert).map_err(|e| e.to_string())
}

/// The lines a chart of `series` on `service` should draw: the thresholds of the rules
/// watching that series there (the imported ones included), each shaded on the side
/// that fires.
pub fn chart_thresholds(rules: &[Rule], state: &ServiceState, series: &str) -> Vec<Threshold> {
    rule_thresholds(rules, &state.name, &state.tags, series)
}

/// The numeric rules watching `series` on a service with these tags, as chart lines
/// (the dashboard and the snapshot draw the same ones).
pub fn rule_thresholds(
    rules: &[Rule],
    service: &str,
    tags: &[String],
    series: &str,
) -> Vec<Threshold> {
    rules
        .iter()
        .filter(|r| r.selector.services.matches(service, tags))
        .filter(|r| matches!(&r.selector.subject, Subject::Series(s) if s == series))
        .filter_map(|r| match r.condition {
            Condition::Compare { op, threshold } => Some(Threshold {
                label: r.name.clone(),
                value: threshold,
                breach: match op {
                    Comparison::Gt | Comparison::Ge => Some(Breach::Above),
                    Comparison::Lt | Comparison::Le => Some(Breach::Below),
                    Comparison::Eq => None,
                },
            }),
            Condition::StateIs(_) => None,
        })
        .collect()
}

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

    /// Time passed: `for` and `keep_firing` elapse, staleness grows, silences end.
    /// Publishes also when only the active list changed (values, resolving).
    pub(crate) fn tick(
        &mut self,
        states: &[ServiceState],
        now: DateTime<Utc>,
    ) -> Option<EngineEvent> {
        let events = self.evaluator.tick(states, now);
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

/// The longest silence the console accepts: past a week it is a rule to edit, not a
/// silence to forget about.
pub const LONGEST_SILENCE: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// When a silence asked for as a duration (`30m`, `2h`) ends.
pub fn silence_until(now: DateTime<Utc>, duration: &str) -> Result<DateTime<Utc>, String> {
    let length = crate::units::parse_duration(duration)?;
    if length.is_zero() {
        return Err("a silence must last some time, e.g. 30m or 2h".to_string());
    }
    if length > LONGEST_SILENCE {
        return Err(format!(
            "a silence lasts at most 7 days (asked: {}); edit the rule instead",
            duration.trim()
        ));
    }
    let length = chrono::Duration::from_std(length).map_err(|e| e.to_string())?;
    Ok(now + length)
}

/// What the window's alerts panel is sent on its channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlertNotice {
    /// As [`EngineEvent::AlertsChanged`]: the active list, the worst firing severity,
    /// and the phase changes since the last notice.
    Changed {
        active: Vec<ActiveAlert>,
        worst: Option<Severity>,
        events: Vec<AlertEvent>,
    },
    /// The engineer clicked an alert's desktop notification: show this service.
    OpenService { service: String },
}

/// A desktop notification about an alert, as the shell shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// `high: queue backpressure on events`.
    pub title: String,
    /// What happened, the rule's description, and the value or state that decided it.
    pub body: String,
    /// The service to open when the engineer follows it up.
    pub service: String,
}

/// The notification an event calls for: only firing and resolved events marked
/// `notify` (the evaluator already left out acknowledged and silenced alerts).
pub fn announcement(event: &AlertEvent) -> Option<Announcement> {
    if !event.notify {
        return None;
    }
    let opening = match event.phase {
        AlertPhase::Firing => "Firing.",
        AlertPhase::Resolved => "Resolved.",
        AlertPhase::Pending => return None,
    };
    let reading = match (&event.state, event.value) {
        (Some(words), _) => Some(format!("state {words}")),
        (None, Some(value)) => Some(format!("value {}", number(value))),
        (None, None) => None,
    };
    let mut body = format!("{opening} {}", event.description.trim());
    if let Some(reading) = reading {
        body.push_str(&format!(
            "
{}: {reading}",
            event.key.subject
        ));
    }
    Some(Announcement {
        title: format!(
            "{}: {} on {}",
            event.severity, event.key.rule, event.key.service
        ),
        body,
        service: event.key.service.clone(),
    })
}

/// A number as an engineer reads it: at most three decimals, no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// The tray icon's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayLevel {
    /// Nothing firing, or only `info`.
    Green,
    /// A `warning` firing.
    Amber,
    /// A `high` or `critical` alert firing.
    Red,
}

/// What the tray shows: a colour and a line of counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TraySummary {
    pub level: TrayLevel,
    /// `2 firing (1 acknowledged, 1 silenced), 1 pending`, or `No alerts firing`.
    pub text: String,
}

/// The tray's colour comes from the worst firing severity (acknowledged and silenced
/// alerts still count: they are still broken); the text counts what is active.
pub fn tray_summary(active: &[ActiveAlert], worst: Option<Severity>) -> TraySummary {
    let level = match worst {
        None | Some(Severity::Info) => TrayLevel::Green,
        Some(Severity::Warning) => TrayLevel::Amber,
        Some(Severity::High | Severity::Critical) => TrayLevel::Red,
    };
    let firing: Vec<&ActiveAlert> = active
        .iter()
        .filter(|a| a.phase == AlertPhase::Firing)
        .collect();
    let pending = active.len() - firing.len();
    let acknowledged = firing.iter().filter(|a| a.acknowledged.is_some()).count();
    let silenced = firing.iter().filter(|a| a.silenced).count();
    let mut text = if firing.is_empty() {
        "No alerts firing".to_string()
    } else {
        format!("{} firing", firing.len())
    };
    let handled: Vec<String> = [(acknowledged, "acknowledged"), (silenced, "silenced")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
    if !handled.is_empty() {
        text.push_str(&format!(" ({})", handled.join(", ")));
    }
    if pending > 0 {
        text.push_str(&format!(", {pending} pending"));
    }
    TraySummary { level, text }
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
    use super::*;

    use crate::alerts::{SelectSpec, Target};

    fn spec(name: &str, when: &str) -> RuleSpec {
        RuleSpec {
            name: name.into(),
            select: SelectSpec {
                series: Some("system.cpu_percent".into()),
                ..SelectSpec::default()
            },
            when: when.into(),
            for_duration: Some("2m".into()),
            severity: Some("high".into()),
            ..RuleSpec::default()
        }
    }

    fn state(name: &str, tags: &[&str]) -> ServiceState {
        ServiceState {
            name: name.into(),
            profile: "breaker-registry".into(),
            base_url: "http://127.0.0.1:1".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            poll_interval_ms: 1000.0,
            latest: None,
            last_good: None,
            consecutive_failures: 0,
            round_started_at: None,
            streams: vec![],
        }
    }

    #[test]
    fn the_defaults_read_back_as_defaults_and_an_edit_becomes_config() {
        let mut specs: Vec<RuleSpec> = default_rules().iter().map(Rule::to_spec).collect();
        let rules = rules_from_specs(&specs).unwrap();
        assert_eq!(rules, default_rules());

        let cpu = specs.iter_mut().find(|s| s.name == "cpu high").unwrap();
        cpu.when = "> 95".into();
        let rules = rules_from_specs(&specs).unwrap();
        let cpu = rules.iter().find(|r| r.name == "cpu high").unwrap();
        assert_eq!(cpu.origin, RuleOrigin::Config);
        assert!(rules
            .iter()
            .filter(|r| r.name != "cpu high")
            .all(|r| r.origin == RuleOrigin::Default));
    }

    #[test]
    fn every_bad_rule_is_reported_with_its_field() {
        let mut breaker = spec("breaker flapping", "> 3");
        breaker.select = SelectSpec {
            breaker_state: Some(Target::All),
            ..SelectSpec::default()
        };
        breaker.when = "state is sideways".into();
        let mut slow = spec("slow", "> 1");
        slow.for_duration = Some("soon".into());
        let rejected = rules_from_specs(&[spec("cpu", "> 90"), breaker, slow, spec("cpu", "> 95")])
            .unwrap_err();
        let fields: Vec<(&str, RuleField)> = rejected
            .errors
            .iter()
            .map(|e| (e.rule.as_str(), e.field))
            .collect();
        assert_eq!(
            fields,
            [
                ("breaker flapping", RuleField::When),
                ("slow", RuleField::For),
                ("cpu", RuleField::Name),
            ]
        );
        assert!(rejected.to_string().contains("(and 2 more)"), "{rejected}");
    }

    #[test]
    fn saved_rules_read_back_from_their_toml() {
        let rules = rules_from_specs(&[spec("cpu", "> 90"), spec("cpu hot", ">= 99")]).unwrap();
        let text = rules_to_toml(&rules).unwrap();
        assert_eq!(rules_from_toml(&text).unwrap(), rules);
        assert_eq!(rules_from_toml("").unwrap(), Vec::new());
        assert!(rules_from_toml("[[alert]]\nname = 1").is_err());
    }

    #[test]
    fn chart_thresholds_come_from_the_rules_watching_that_series_there() {
        let mut rules = rules_from_specs(&[spec("cpu", "> 90"), spec("cpu idle", "<= 5")]).unwrap();
        let mut prod_only = spec("cpu prod", "== 50");
        prod_only.select.tags = vec!["prod".into()];
        rules.extend(rules_from_specs(&[prod_only]).unwrap());
        rules.extend(crate::alerts::rules_from_service_thresholds(
            "registry",
            &[crate::model::ServiceThreshold {
                metric: "cpu_percent".into(),
                operator: ">".into(),
                value: 80.0,
                severity: "high".into(),
            }],
        ));
        let lines = |service: &ServiceState| -> Vec<(String, f64, Option<Breach>)> {
            chart_thresholds(&rules, service, "system.cpu_percent")
                .into_iter()
                .map(|t| (t.label, t.value, t.breach))
                .collect()
        };
        assert_eq!(
            lines(&state("registry", &[])),
            [
                ("cpu".to_string(), 90.0, Some(Breach::Above)),
                ("cpu idle".to_string(), 5.0, Some(Breach::Below)),
                ("cpu_percent > 80".to_string(), 80.0, Some(Breach::Above)),
            ]
        );
        assert_eq!(
            lines(&state("orders", &["prod"])).len(),
            3,
            "cpu, cpu idle, cpu prod"
        );
        assert!(chart_thresholds(&rules, &state("orders", &[]), "cache.hit_rate").is_empty());
    }

    fn event(phase: AlertPhase, notify: bool) -> AlertEvent {
        AlertEvent {
            key: AlertKey::new("queue backpressure", "events", "queue.depth/queue.capacity"),
            severity: Severity::High,
            phase,
            value: Some(0.9),
            state: None,
            at: chrono::Utc::now(),
            description: "The queue is over 80 % full.".into(),
            notify,
            repeat: false,
            silenced_until: None,
        }
    }

    #[test]
    fn firing_and_resolved_events_that_notify_are_announced() {
        let firing = announcement(&event(AlertPhase::Firing, true)).unwrap();
        assert_eq!(firing.title, "high: queue backpressure on events");
        assert_eq!(
            firing.body,
            "Firing. The queue is over 80 % full.\nqueue.depth/queue.capacity: value 0.9"
        );
        assert_eq!(firing.service, "events");
        let resolved = announcement(&event(AlertPhase::Resolved, true)).unwrap();
        assert!(resolved.body.starts_with("Resolved."), "{}", resolved.body);
        assert_eq!(announcement(&event(AlertPhase::Firing, false)), None);
        assert_eq!(announcement(&event(AlertPhase::Pending, true)), None);

        let mut breaker = event(AlertPhase::Firing, true);
        breaker.key = AlertKey::new("breaker open", "registry", "exchange_api");
        breaker.state = Some("open".into());
        breaker.value = Some(0.25);
        let text = announcement(&breaker).unwrap().body;
        assert!(text.ends_with("exchange_api: state open"), "{text}");
        assert_eq!(number(91.0), "91");
        assert_eq!(number(0.123_456), "0.123");
        assert_eq!(number(-0.0001), "0");
    }

    fn active(
        severity: Severity,
        phase: AlertPhase,
        acknowledged: bool,
        silenced: bool,
    ) -> ActiveAlert {
        ActiveAlert {
            key: AlertKey::new("r", "s", "x"),
            severity,
            phase,
            since: chrono::Utc::now(),
            value: None,
            state: None,
            description: String::new(),
            acknowledged: acknowledged.then(|| Acknowledgement {
                by: "alice".into(),
                comment: None,
                at: chrono::Utc::now(),
            }),
            silenced,
            silenced_until: None,
            resolving: false,
        }
    }

    #[test]
    fn the_tray_is_green_amber_or_red_with_counts() {
        assert_eq!(
            tray_summary(&[], None),
            TraySummary {
                level: TrayLevel::Green,
                text: "No alerts firing".into()
            }
        );
        let info = [active(Severity::Info, AlertPhase::Firing, false, false)];
        assert_eq!(
            tray_summary(&info, Some(Severity::Info)).level,
            TrayLevel::Green
        );
        let warning = [
            active(Severity::Warning, AlertPhase::Firing, false, false),
            active(Severity::Critical, AlertPhase::Pending, false, false),
        ];
        let summary = tray_summary(&warning, Some(Severity::Warning));
        assert_eq!(summary.level, TrayLevel::Amber, "pending does not colour");
        assert_eq!(summary.text, "1 firing, 1 pending");
        let handled = [
            active(Severity::Critical, AlertPhase::Firing, true, false),
            active(Severity::High, AlertPhase::Firing, false, true),
            active(Severity::High, AlertPhase::Firing, false, false),
        ];
        let summary = tray_summary(&handled, Some(Severity::Critical));
        assert_eq!(summary.level, TrayLevel::Red);
        assert_eq!(summary.text, "3 firing (1 acknowledged, 1 silenced)");
        let high = tray_summary(&handled[1..], Some(Severity::High));
        assert_eq!(high.level, TrayLevel::Red);
    }

    #[test]
    fn silences_are_asked_for_as_durations() {
        let now = chrono::Utc::now();
        assert_eq!(
            silence_until(now, "2h").unwrap(),
            now + chrono::Duration::hours(2)
        );
        assert!(silence_until(now, "30").unwrap_err().contains("no unit"));
        assert!(silence_until(now, "0s").is_err());
        assert!(silence_until(now, "8d").unwrap_err().contains("7 days"));
    }
}
