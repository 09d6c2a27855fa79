//! The evaluator: every rule against every observation, with one small state machine
//! per (rule, service, subject).
//!
//! ```text
//!   inactive ──condition──> pending ──held for `for`──> firing ──recovery──> resolving
//!      ^  ^                   │                          ^  │                   │
//!      │  └──recovery─────────┘         (no longer       │  └──recovery held ───┤
//!      │     (resolved, not notified)    recovering)      └──────────────────────┤
//!      └────────────────────────────── resolved (after `keep_firing`) ───────────┘
//! ```
//!
//! - **Hysteresis.** Once pending or firing, an alert clears only when the recovery
//!   condition holds (without one: when the condition stops holding). A value between
//!   the threshold and the recovery threshold keeps the phase it has: no events. A
//!   pending alert fires once the episode has lasted `for` *and* the condition holds at
//!   that moment.
//! - **Keep firing.** A recovering alert stays firing (`resolving`) until recovery has
//!   held for `keep_firing`; if the value leaves recovery before that, it is simply
//!   firing again, with no event.
//! - **Missing data holds.** A series absent from an observation (its endpoint not read
//!   this round) or an unreachable service leaves every alert as it is; staleness is the
//!   rule that speaks for silence. A breaker or dependency that disappears from a
//!   reading that lists the others resolves.
//! - **Time.** Everything is decided by the `now` handed in (the injected clock), never
//!   by the system clock; [`Evaluator::tick`] moves alerts along when no observation
//!   comes (a `for` elapsing, staleness, an increase window sliding, silences ending).
//! - **Notify.** Firing and resolution notify unless the alert is acknowledged or
//!   silenced; recording is never suppressed. An acknowledgement lasts until the alert
//!   resolves, so the next firing pages again.
//!
//! The parts, by job: `track` is the state machine of one alert and the pass that
//! applies a reading to it; `readings` reads a service's observation into readings;
//! `rules` changes the rules (the UI's edits, thresholds a service declares);
//! `ack_silence` acknowledges and silences; `active` lists what is active and the
//! worst severity for the tray. This file holds the evaluator itself, its restart
//! seeding and the evaluation and tick passes.

mod ack_silence;
mod active;
mod readings;
mod rules;
mod track;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::lifecycle::{AlertEvent, AlertPhase, CarriedAlert, Silence};
use super::rule::{stream_word, Rule, RuleOrigin, Subject};
use crate::model::ServiceState;
use crate::model::{Observation, ServiceThreshold};
use readings::evaluate_observation;
use track::{per_entity, Pass, Phase, Reading, Track, Words};

/// Owns the rules, the state of every alert, acknowledgements and silences.
pub struct Evaluator {
    rules: Vec<Rule>,
    /// Aligned with `rules`: the subject key of one-per-service rules.
    subject_keys: Vec<String>,
    services: HashMap<String, ServiceTracks>,
    silences: Vec<Silence>,
    next_silence: u64,
    import_thresholds: bool,
    /// Counts evaluation passes (see `Track::seen`).
    epoch: u64,
    /// Alerts carried over from before a restart whose rule is not known yet (a rule a
    /// service declares arrives with its first observation).
    carried: Vec<CarriedAlert>,
}

/// Everything the evaluator keeps about one service.
struct ServiceTracks {
    /// When the evaluator first heard of it: staleness counts from here until the first
    /// good observation.
    first_seen: DateTime<Utc>,
    /// Aligned with `Evaluator::rules`: that rule's alerts on this service.
    by_rule: Vec<Vec<Track>>,
    /// The thresholds last imported from the service.
    imported: Vec<ServiceThreshold>,
    /// Series this service's own rules watch: the default rules on them stand aside.
    own_series: Vec<String>,
}
/// The key of a one-per-service subject.
fn subject_key(subject: &Subject) -> String {
    match subject {
        Subject::Series(s) | Subject::Increase { series: s, .. } => s.clone(),
        Subject::Ratio {
            numerator,
            denominator,
        } => format!("{numerator}/{denominator}"),
        Subject::Health => "health".into(),
        Subject::Staleness => "staleness".into(),
        Subject::Breaker(_) | Subject::Dependency(_) | Subject::Stream(_) => String::new(),
    }
}
impl Evaluator {
    /// An evaluator over these rules (typically [`super::with_defaults`] of the
    /// configured ones). Thresholds that services declare are imported as they arrive.
    pub fn new(rules: Vec<Rule>) -> Evaluator {
        let subject_keys = rules
            .iter()
            .map(|r| subject_key(&r.selector.subject))
            .collect();
        Evaluator {
            rules,
            subject_keys,
            services: HashMap::new(),
            silences: Vec::new(),
            next_silence: 1,
            import_thresholds: true,
            epoch: 0,
            carried: Vec::new(),
        }
    }

    /// Goes on with an alert that was pending or firing when the console stopped: in
    /// that phase since then, acknowledged if it was, and a firing one already
    /// announced, so that it neither pages again nor records a second firing (a pending
    /// one fires once its `for` has passed since it began). The next readings decide as
    /// usual. A rule that no longer exists never takes it up.
    pub fn carry_over(&mut self, alert: CarriedAlert, now: DateTime<Utc>) {
        if !self.seed(&alert, now) {
            self.carried.push(alert);
        }
    }

    /// Puts a carried alert in place if its rule is known; false if not (yet).
    fn seed(&mut self, alert: &CarriedAlert, now: DateTime<Utc>) -> bool {
        let Some(index) = self.rules.iter().position(|r| r.name == alert.key.rule) else {
            return false;
        };
        let slot = &mut self.tracks_of(&alert.key.service, now).by_rule[index];
        if !slot.iter().any(|t| t.subject == alert.key.subject) {
            let mut track = Track::new(&alert.key.subject);
            track.phase = match alert.phase {
                AlertPhase::Pending => Phase::Pending { since: alert.since },
                AlertPhase::Firing => Phase::Firing { since: alert.since },
                AlertPhase::Resolved => return true,
            };
            track.acknowledged = alert.acknowledged.clone();
            track.notified = alert.phase == AlertPhase::Firing;
            slot.push(track);
        }
        true
    }

    /// Seeds the carried alerts of `service` whose rules have arrived since.
    fn seed_carried(&mut self, service: &str, now: DateTime<Utc>) {
        if self.carried.iter().all(|c| c.key.service != service) {
            return;
        }
        let carried = std::mem::take(&mut self.carried);
        for alert in carried {
            if alert.key.service != service || !self.seed(&alert, now) {
                self.carried.push(alert);
            }
        }
    }
    fn tracks_of(&mut self, service: &str, now: DateTime<Utc>) -> &mut ServiceTracks {
        if !self.services.contains_key(service) {
            self.services.insert(
                service.to_string(),
                ServiceTracks {
                    first_seen: now,
                    by_rule: Vec::new(),
                    imported: Vec::new(),
                    own_series: Vec::new(),
                },
            );
        }
        let rules = self.rules.len();
        let tracks = self
            .services
            .get_mut(service)
            .unwrap_or_else(|| unreachable!());
        tracks.by_rule.resize_with(rules, Vec::new);
        tracks
    }

    /// Evaluates every rule that selects this service against its state; call on every
    /// observation (and stream change). Returns the alerts that changed phase.
    pub fn evaluate(&mut self, state: &ServiceState, now: DateTime<Utc>) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        self.run(state, None, now, &mut events);
        events
    }

    /// Whether any rule reads instances one by one (`per = "instance"`): without one,
    /// the engine need not build each instance's state at all.
    pub fn reads_instances(&self) -> bool {
        self.rules.iter().any(|r| r.selector.services.per_instance)
    }

    /// Evaluates the per-instance rules (`per = "instance"`) on one instance of the
    /// service `instance_of`: `state` is that instance as a service of its own, named
    /// `service@host:port`, which is how its alerts are keyed and shown.
    pub fn evaluate_instance(
        &mut self,
        instance_of: &str,
        state: &ServiceState,
        now: DateTime<Utc>,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        self.run(state, Some(instance_of), now, &mut events);
        events
    }

    fn run(
        &mut self,
        state: &ServiceState,
        instance_of: Option<&str>,
        now: DateTime<Utc>,
        events: &mut Vec<AlertEvent>,
    ) {
        // Thresholds a service declares are the service's, not each instance's.
        if self.import_thresholds && instance_of.is_none() {
            self.import(state, now, events);
        }
        self.seed_carried(&state.name, now);
        self.tracks_of(&state.name, now);
        self.epoch += 1;
        let epoch = self.epoch;
        let Evaluator {
            rules,
            subject_keys,
            services,
            silences,
            ..
        } = self;
        let Some(tracks) = services.get_mut(&state.name) else {
            return;
        };
        let fresh = state.latest.as_ref().is_some_and(Observation::is_reachable);
        let observation = if fresh {
            state.last_good.as_ref()
        } else {
            None
        };
        let ServiceTracks {
            first_seen,
            by_rule,
            own_series,
            ..
        } = tracks;
        for ((rule, key), slot) in rules
            .iter()
            .zip(subject_keys.iter())
            .zip(by_rule.iter_mut())
        {
            let services = &rule.selector.services;
            let several = state.replicas.is_some();
            if !services.reads(instance_of, several)
                || !services.matches(instance_of.unwrap_or(&state.name), &state.tags)
            {
                continue;
            }
            if rule.origin == RuleOrigin::Default
                && rule
                    .selector
                    .subject
                    .series()
                    .is_some_and(|s| own_series.iter().any(|o| o == s))
            {
                continue;
            }
            let pass = Pass {
                rule,
                service: &state.name,
                silences,
                now,
                epoch,
            };
            match &rule.selector.subject {
                Subject::Staleness => {
                    let since = state
                        .last_good
                        .as_ref()
                        .map_or(*first_seen, |o| o.observed_at);
                    let age_ms = (now - since).num_milliseconds().max(0) as f64;
                    let intervals = age_ms / state.poll_interval_ms.max(1.0);
                    pass.apply(slot, 0, key, Reading::number(intervals), events);
                }
                Subject::Stream(only) => {
                    let entities = state.streams.iter().map(|s| {
                        (
                            s.path.as_str(),
                            Reading::Present {
                                value: None,
                                words: Words::one(stream_word(s.state)),
                            },
                        )
                    });
                    per_entity(&pass, slot, only.as_deref(), entities, events);
                }
                subject => {
                    let Some(observation) = observation else {
                        continue;
                    };
                    evaluate_observation(&pass, subject, key, observation, slot, events);
                }
            }
        }
    }

    /// Moves alerts along with time alone: `for` and `keep_firing` elapsing, staleness,
    /// increase windows sliding, silences ending (a firing alert whose silence ended or
    /// was removed, and is not acknowledged, is announced again with `repeat`). Call
    /// every second or so with every service's state.
    pub fn tick(&mut self, states: &[ServiceState], now: DateTime<Utc>) -> Vec<AlertEvent> {
        self.tick_with_instances(states, &[], now)
    }

    /// [`Evaluator::tick`], with each instance (of the service named beside it) of the
    /// services of several, for the per-instance rules.
    pub fn tick_with_instances(
        &mut self,
        states: &[ServiceState],
        instances: &[(String, ServiceState)],
        now: DateTime<Utc>,
    ) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        self.silences.retain(|s| s.until > now);
        for state in states {
            self.run(state, None, now, &mut events);
        }
        for (instance_of, state) in instances {
            self.run(state, Some(instance_of), now, &mut events);
        }
        for (service, tracks) in &mut self.services {
            for (rule, slot) in self.rules.iter().zip(tracks.by_rule.iter_mut()) {
                let pass = Pass {
                    rule,
                    service,
                    silences: &self.silences,
                    now,
                    epoch: self.epoch,
                };
                for track in slot.iter_mut() {
                    if track.is_firing()
                        && !track.notified
                        && track.acknowledged.is_none()
                        && !pass.silenced()
                    {
                        track.notified = true;
                        events.push(pass.event(track, AlertPhase::Firing, true, true));
                    }
                }
            }
        }
        events
    }
}
