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

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::import::rules_from_service_thresholds;
use super::lifecycle::{
    Acknowledgement, ActiveAlert, AlertError, AlertEvent, AlertKey, AlertPhase, CarriedAlert,
    Silence, SilenceId, SilenceTarget,
};
use super::rule::{breaker_word, health_word, stream_word, Rule, RuleOrigin, Severity, Subject};
use crate::model::ServiceState;
use crate::model::{Observation, ServiceThreshold};

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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Inactive,
    Pending {
        since: DateTime<Utc>,
    },
    Firing {
        since: DateTime<Utc>,
    },
    /// Firing, with recovery holding since `since`.
    Resolving {
        fired: DateTime<Utc>,
        since: DateTime<Utc>,
    },
}

/// One alert's state.
struct Track {
    subject: String,
    phase: Phase,
    value: Option<f64>,
    /// The state words last read (static: no allocation per evaluation).
    state: Words,
    /// The evaluation pass that last saw this subject (for breakers, dependencies and
    /// streams that disappear).
    seen: u64,
    acknowledged: Option<Acknowledgement>,
    /// Whether the current firing was announced (false while acknowledged or silenced).
    notified: bool,
    /// For increase rules: the counter's samples inside the window.
    counter: VecDeque<(DateTime<Utc>, f64)>,
}

impl Track {
    fn new(subject: &str) -> Track {
        Track {
            subject: subject.to_string(),
            phase: Phase::Inactive,
            value: None,
            state: Words::default(),
            seen: 0,
            acknowledged: None,
            notified: false,
            counter: VecDeque::new(),
        }
    }

    fn is_firing(&self) -> bool {
        matches!(self.phase, Phase::Firing { .. } | Phase::Resolving { .. })
    }
}

/// Up to two state words (a dependency can be `degraded` and `slow`).
#[derive(Clone, Copy, Default)]
struct Words {
    list: [&'static str; 2],
    len: usize,
}

impl Words {
    fn one(word: &'static str) -> Words {
        Words {
            list: [word, ""],
            len: 1,
        }
    }

    fn push(&mut self, word: &'static str) {
        if self.len < 2 {
            self.list[self.len] = word;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[&'static str] {
        &self.list[..self.len]
    }

    fn text(&self) -> Option<String> {
        (self.len > 0).then(|| self.as_slice().join(", "))
    }
}

/// What one subject reads now.
#[derive(Clone, Copy)]
enum Reading {
    Present {
        value: Option<f64>,
        words: Words,
    },
    /// The breaker, dependency or stream is gone: it counts as recovered.
    Absent,
}

impl Reading {
    fn number(value: f64) -> Reading {
        Reading::Present {
            value: Some(value),
            words: Words::default(),
        }
    }
}

/// A change worth an event.
enum Change {
    Pending,
    Firing,
    Resolved { fired: bool },
}

/// Moves one alert along; pure, so the lifecycle is decided in one place.
fn step(
    rule: &Rule,
    phase: Phase,
    reading: Reading,
    now: DateTime<Utc>,
) -> (Phase, Option<Change>) {
    let (fires, recovered) = match reading {
        Reading::Absent => (false, true),
        Reading::Present { value, words } => {
            let fires = rule.condition.matches(value, words.as_slice());
            let recovered = match &rule.recover {
                Some(recover) => recover.matches(value, words.as_slice()),
                None => !fires,
            };
            (fires, recovered)
        }
    };
    let elapsed = |since: DateTime<Utc>| (now - since).to_std().unwrap_or_default();
    match phase {
        Phase::Inactive if fires => {
            if rule.for_duration.is_zero() {
                (Phase::Firing { since: now }, Some(Change::Firing))
            } else {
                (Phase::Pending { since: now }, Some(Change::Pending))
            }
        }
        Phase::Inactive => (phase, None),
        Phase::Pending { since } => {
            if fires && elapsed(since) >= rule.for_duration {
                (Phase::Firing { since: now }, Some(Change::Firing))
            } else if recovered {
                (Phase::Inactive, Some(Change::Resolved { fired: false }))
            } else {
                (phase, None)
            }
        }
        Phase::Firing { since } if recovered => {
            if rule.keep_firing.is_zero() {
                (Phase::Inactive, Some(Change::Resolved { fired: true }))
            } else {
                (
                    Phase::Resolving {
                        fired: since,
                        since: now,
                    },
                    None,
                )
            }
        }
        Phase::Firing { .. } => (phase, None),
        Phase::Resolving { fired, since } => {
            if !recovered {
                (Phase::Firing { since: fired }, None)
            } else if elapsed(since) >= rule.keep_firing {
                (Phase::Inactive, Some(Change::Resolved { fired: true }))
            } else {
                (phase, None)
            }
        }
    }
}

/// What one rule's pass over one service needs to emit events.
struct Pass<'a> {
    rule: &'a Rule,
    service: &'a str,
    silences: &'a [Silence],
    now: DateTime<Utc>,
    /// This evaluation pass's number.
    epoch: u64,
}

impl Pass<'_> {
    fn silenced(&self) -> bool {
        self.silences
            .iter()
            .any(|s| s.covers(&self.rule.name, self.service, self.now))
    }

    /// Applies a reading to the alert on `subject` (created on first presence).
    fn apply(
        &self,
        tracks: &mut Vec<Track>,
        hint: usize,
        subject: &str,
        reading: Reading,
        events: &mut Vec<AlertEvent>,
    ) {
        // Entities come in the same order every time: try the same slot first.
        let at_hint = tracks.get(hint).is_some_and(|t| t.subject == subject);
        let found = if at_hint {
            Some(hint)
        } else {
            tracks.iter().position(|t| t.subject == subject)
        };
        let index = match found {
            Some(index) => index,
            None if matches!(reading, Reading::Absent) => return,
            None => {
                tracks.push(Track::new(subject));
                tracks.len() - 1
            }
        };
        self.apply_to(&mut tracks[index], reading, events);
    }

    fn apply_to(&self, track: &mut Track, reading: Reading, events: &mut Vec<AlertEvent>) {
        if let Reading::Present { value, words } = reading {
            track.seen = self.epoch;
            track.value = value;
            track.state = words;
        }
        let (phase, change) = step(self.rule, track.phase, reading, self.now);
        track.phase = phase;
        let Some(change) = change else { return };
        let quiet = || track.acknowledged.is_some() || self.silenced();
        let (phase, notify) = match change {
            Change::Pending => (AlertPhase::Pending, false),
            Change::Firing => {
                let notify = !quiet();
                track.notified = notify;
                (AlertPhase::Firing, notify)
            }
            Change::Resolved { fired } => {
                let notify = fired && track.notified && !quiet();
                track.notified = false;
                track.acknowledged = None;
                (AlertPhase::Resolved, notify)
            }
        };
        events.push(self.event(track, phase, notify, false));
    }

    fn event(&self, track: &Track, phase: AlertPhase, notify: bool, repeat: bool) -> AlertEvent {
        AlertEvent {
            key: AlertKey::new(&self.rule.name, self.service, &track.subject),
            severity: self.rule.severity,
            phase,
            value: track.value,
            state: track.state.text(),
            at: self.now,
            description: self.rule.describe(),
            notify,
            repeat,
            silenced_until: self
                .silences
                .iter()
                .filter(|s| s.covers(&self.rule.name, self.service, self.now))
                .map(|s| s.until)
                .max(),
        }
    }
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

fn sample(observation: &Observation, series: &str) -> Option<f64> {
    observation
        .samples
        .iter()
        .find(|s| s.series == series)
        .map(|s| s.value)
}

/// Applies readings to every present entity, then `Absent` to the tracked ones that
/// are gone (dropping those that were inactive anyway).
fn per_entity<'e>(
    pass: &Pass<'_>,
    tracks: &mut Vec<Track>,
    only: Option<&str>,
    entities: impl Iterator<Item = (&'e str, Reading)>,
    events: &mut Vec<AlertEvent>,
) {
    for (index, (name, reading)) in entities.enumerate() {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let hint = if only.is_some() { 0 } else { index };
        pass.apply(tracks, hint, name, reading, events);
    }
    let mut gone = false;
    for track in tracks.iter_mut() {
        if track.seen != pass.epoch {
            pass.apply_to(track, Reading::Absent, events);
            gone = true;
        }
    }
    if gone {
        tracks.retain(|t| t.phase != Phase::Inactive || t.seen == pass.epoch);
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

    /// Whether thresholds found in observations become rules of their service (on by
    /// default).
    pub fn set_import_thresholds(&mut self, on: bool) {
        self.import_thresholds = on;
    }

    /// Every rule: the given ones, then those imported from services.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Replaces the configured and default rules (the UI's edits); imported rules stay.
    /// Alerts of a rule that keeps its name and origin keep their state; those of a
    /// removed rule resolve, and those events are returned (they never notify).
    pub fn set_rules(&mut self, rules: Vec<Rule>, now: DateTime<Utc>) -> Vec<AlertEvent> {
        let mut next: Vec<Rule> = rules
            .into_iter()
            .filter(|r| !matches!(r.origin, RuleOrigin::Service { .. }))
            .collect();
        next.extend(
            self.rules
                .iter()
                .filter(|r| matches!(r.origin, RuleOrigin::Service { .. }))
                .cloned(),
        );
        self.replace_rules(next, now)
    }

    fn replace_rules(&mut self, next: Vec<Rule>, now: DateTime<Utc>) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        let old = std::mem::replace(&mut self.rules, next);
        let mapping: Vec<Option<usize>> = self
            .rules
            .iter()
            .map(|r| {
                old.iter()
                    .position(|o| o.name == r.name && o.origin == r.origin)
            })
            .collect();
        for (service, tracks) in &mut self.services {
            let mut previous: Vec<Option<Vec<Track>>> = std::mem::take(&mut tracks.by_rule)
                .into_iter()
                .map(Some)
                .collect();
            tracks.by_rule = mapping
                .iter()
                .map(|from| {
                    from.and_then(|i| previous.get_mut(i)?.take())
                        .unwrap_or_default()
                })
                .collect();
            // Rules that are gone: their live alerts resolve quietly.
            for (rule, left) in old.iter().zip(previous) {
                for track in left.into_iter().flatten() {
                    if track.phase != Phase::Inactive {
                        let pass = Pass {
                            rule,
                            service,
                            silences: &self.silences,
                            now,
                            epoch: self.epoch,
                        };
                        events.push(pass.event(&track, AlertPhase::Resolved, false, false));
                    }
                }
            }
        }
        self.subject_keys = self
            .rules
            .iter()
            .map(|r| subject_key(&r.selector.subject))
            .collect();
        events
    }

    /// Imports the thresholds of this observation when they changed. An observation
    /// without thresholds (the endpoint is read every few rounds) changes nothing.
    fn import(&mut self, state: &ServiceState, now: DateTime<Utc>, events: &mut Vec<AlertEvent>) {
        let Some(good) = &state.last_good else { return };
        if good.thresholds.is_empty() {
            return;
        }
        let tracks = self.tracks_of(&state.name, now);
        if tracks.imported == good.thresholds {
            return;
        }
        tracks.imported.clone_from(&good.thresholds);
        let imported = rules_from_service_thresholds(&state.name, &good.thresholds);
        tracks.own_series = imported
            .iter()
            .filter_map(|r| r.selector.subject.series().map(str::to_string))
            .collect();
        let mut next: Vec<Rule> = self
            .rules
            .iter()
            .filter(
                |r| !matches!(&r.origin, RuleOrigin::Service { service } if *service == state.name),
            )
            .cloned()
            .collect();
        next.extend(imported);
        events.extend(self.replace_rules(next, now));
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
        self.run(state, now, &mut events);
        events
    }

    fn run(&mut self, state: &ServiceState, now: DateTime<Utc>, events: &mut Vec<AlertEvent>) {
        if self.import_thresholds {
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
            if !rule.selector.services.matches(&state.name, &state.tags) {
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
        let mut events = Vec::new();
        self.silences.retain(|s| s.until > now);
        for state in states {
            self.run(state, now, &mut events);
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

    fn track_mut(&mut self, key: &AlertKey) -> Option<&mut Track> {
        let tracks = self.services.get_mut(&key.service)?;
        self.rules
            .iter()
            .zip(tracks.by_rule.iter_mut())
            .filter(|(rule, _)| rule.name == key.rule)
            .find_map(|(_, slot)| slot.iter_mut().find(|t| t.subject == key.subject))
            .filter(|t| t.phase != Phase::Inactive)
    }

    /// Marks a pending or firing alert as taken in hand: it stops notifying until it
    /// resolves. Returns what to record.
    pub fn acknowledge(
        &mut self,
        key: &AlertKey,
        by: &str,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<Acknowledgement, AlertError> {
        let track = self
            .track_mut(key)
            .ok_or_else(|| AlertError::NotActive(key.clone()))?;
        let acknowledgement = Acknowledgement {
            by: by.to_string(),
            comment: Some(comment.trim().to_string()).filter(|c| !c.is_empty()),
            at: now,
        };
        track.acknowledged = Some(acknowledgement.clone());
        Ok(acknowledgement)
    }

    /// Silences a rule, a service, or a rule on a service until `until`.
    pub fn silence(
        &mut self,
        target: SilenceTarget,
        until: DateTime<Utc>,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<SilenceId, AlertError> {
        if target.rule.is_none() && target.service.is_none() {
            return Err(AlertError::EmptyTarget);
        }
        if until <= now {
            return Err(AlertError::EndsInThePast);
        }
        if reason.trim().is_empty() {
            return Err(AlertError::NoReason);
        }
        let id = SilenceId(self.next_silence);
        self.next_silence += 1;
        self.silences.push(Silence {
            id,
            target,
            until,
            reason: reason.trim().to_string(),
            by: by.to_string(),
            created_at: now,
        });
        Ok(id)
    }

    /// Puts back a silence read from the store, keeping its id.
    pub fn restore_silence(&mut self, silence: Silence) {
        self.next_silence = self.next_silence.max(silence.id.0 + 1);
        self.silences.retain(|s| s.id != silence.id);
        self.silences.push(silence);
    }

    /// Numbers new silences after `last` (the highest ever stored), so a silence that
    /// ended before a restart never shares its number with a new one.
    pub fn number_silences_after(&mut self, last: u64) {
        self.next_silence = self.next_silence.max(last.saturating_add(1));
    }

    /// Removes a silence; the next [`Evaluator::tick`] announces what it was hiding.
    pub fn unsilence(&mut self, id: SilenceId) -> Option<Silence> {
        let index = self.silences.iter().position(|s| s.id == id)?;
        Some(self.silences.remove(index))
    }

    /// The silences not yet ended (as of the last tick), oldest first.
    pub fn silences(&self) -> &[Silence] {
        &self.silences
    }

    /// Every pending and firing alert: most severe first, then firing before pending,
    /// then oldest first.
    pub fn active(&self, now: DateTime<Utc>) -> Vec<ActiveAlert> {
        let mut active = Vec::new();
        for (service, tracks) in &self.services {
            for (rule, slot) in self.rules.iter().zip(&tracks.by_rule) {
                for track in slot {
                    let (phase, since, resolving) = match track.phase {
                        Phase::Inactive => continue,
                        Phase::Pending { since } => (AlertPhase::Pending, since, false),
                        Phase::Firing { since } => (AlertPhase::Firing, since, false),
                        Phase::Resolving { fired, .. } => (AlertPhase::Firing, fired, true),
                    };
                    let silenced_until = self
                        .silences
                        .iter()
                        .filter(|s| s.covers(&rule.name, service, now))
                        .map(|s| s.until)
                        .max();
                    active.push(ActiveAlert {
                        key: AlertKey::new(&rule.name, service, &track.subject),
                        severity: rule.severity,
                        phase,
                        since,
                        value: track.value,
                        state: track.state.text(),
                        description: rule.describe(),
                        acknowledged: track.acknowledged.clone(),
                        silenced: silenced_until.is_some(),
                        silenced_until,
                        resolving,
                    });
                }
            }
        }
        active.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| (b.phase == AlertPhase::Firing).cmp(&(a.phase == AlertPhase::Firing)))
                .then_with(|| a.since.cmp(&b.since))
                .then_with(|| a.key.cmp(&b.key))
        });
        active
    }

    /// The worst severity among firing alerts, acknowledged and silenced ones included
    /// (they are still broken); `None` when nothing fires. For the tray.
    pub fn worst_firing(&self) -> Option<Severity> {
        self.firing_severities(|_, _| true)
    }

    /// The worst severity among firing alerts nobody has acknowledged or silenced.
    pub fn worst_unhandled(&self, now: DateTime<Utc>) -> Option<Severity> {
        self.firing_severities(|track, covered| track.acknowledged.is_none() && !covered(now))
    }

    fn firing_severities(
        &self,
        keep: impl Fn(&Track, &dyn Fn(DateTime<Utc>) -> bool) -> bool,
    ) -> Option<Severity> {
        let mut worst = None;
        for (service, tracks) in &self.services {
            for (rule, slot) in self.rules.iter().zip(&tracks.by_rule) {
                let covered = |now: DateTime<Utc>| {
                    self.silences
                        .iter()
                        .any(|s| s.covers(&rule.name, service, now))
                };
                if slot.iter().any(|t| t.is_firing() && keep(t, &covered)) {
                    worst = worst.max(Some(rule.severity));
                }
            }
        }
        worst
    }
}

/// The subjects read from the service's latest good observation.
fn evaluate_observation(
    pass: &Pass<'_>,
    subject: &Subject,
    key: &str,
    observation: &Observation,
    slot: &mut Vec<Track>,
    events: &mut Vec<AlertEvent>,
) {
    match subject {
        Subject::Series(series) => {
            if let Some(value) = sample(observation, series) {
                pass.apply(slot, 0, key, Reading::number(value), events);
            }
        }
        Subject::Ratio {
            numerator,
            denominator,
        } => {
            if let (Some(n), Some(d)) = (
                sample(observation, numerator),
                sample(observation, denominator),
            ) {
                if d > 0.0 {
                    pass.apply(slot, 0, key, Reading::number(n / d), events);
                }
            }
        }
        Subject::Increase { series, window } => {
            let Some(value) = sample(observation, series) else {
                return;
            };
            if slot.is_empty() {
                slot.push(Track::new(key));
            }
            let track = &mut slot[0];
            if track
                .counter
                .back()
                .is_none_or(|(at, _)| *at < observation.observed_at)
            {
                track.counter.push_back((observation.observed_at, value));
            }
            let start =
                pass.now - chrono::Duration::from_std(*window).unwrap_or(chrono::TimeDelta::MAX);
            while track.counter.front().is_some_and(|(at, _)| *at < start) {
                track.counter.pop_front();
            }
            let increase: f64 = track
                .counter
                .iter()
                .zip(track.counter.iter().skip(1))
                .map(|((_, a), (_, b))| if b >= a { b - a } else { *b })
                .sum();
            pass.apply_to(track, Reading::number(increase), events);
        }
        Subject::Health => {
            if let Some(health) = &observation.health {
                let reading = Reading::Present {
                    value: None,
                    words: Words::one(health_word(health.status)),
                };
                pass.apply(slot, 0, key, reading, events);
            }
        }
        Subject::Breaker(only) => {
            let entities = observation.breakers.iter().map(|b| {
                (
                    b.name.as_str(),
                    Reading::Present {
                        value: b.failure_rate,
                        words: Words::one(breaker_word(b.state)),
                    },
                )
            });
            per_entity(pass, slot, only.as_deref(), entities, events);
        }
        Subject::Dependency(only) => {
            let Some(health) = &observation.health else {
                return;
            };
            let entities = health.dependencies.iter().map(|d| {
                let mut words = Words::one(health_word(d.status));
                if d.slow {
                    words.push("slow");
                }
                (
                    d.name.as_str(),
                    Reading::Present {
                        value: d.latency_ms,
                        words,
                    },
                )
            });
            per_entity(pass, slot, only.as_deref(), entities, events);
        }
        // Handled by the caller: they do not need an observation.
        Subject::Staleness | Subject::Stream(_) => {}
    }
}
