//! The state machine of one alert (rule, service, subject): its phase, the pure step
//! that moves it along, and the pass that applies a reading to it and says which
//! changes become events (and which notify).

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::alerts::lifecycle::{Acknowledgement, AlertEvent, AlertKey, AlertPhase, Silence};
use crate::alerts::rule::Rule;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
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
pub(super) struct Track {
    pub(super) subject: String,
    pub(super) phase: Phase,
    pub(super) value: Option<f64>,
    /// The state words last read (static: no allocation per evaluation).
    pub(super) state: Words,
    /// The evaluation pass that last saw this subject (for breakers, dependencies and
    /// streams that disappear).
    pub(super) seen: u64,
    pub(super) acknowledged: Option<Acknowledgement>,
    /// Whether the current firing was announced (false while acknowledged or silenced).
    pub(super) notified: bool,
    /// For increase rules: the counter's samples inside the window.
    pub(super) counter: VecDeque<(DateTime<Utc>, f64)>,
}

impl Track {
    pub(super) fn new(subject: &str) -> Track {
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

    pub(super) fn is_firing(&self) -> bool {
        matches!(self.phase, Phase::Firing { .. } | Phase::Resolving { .. })
    }
}

/// Up to two state words (a dependency can be `degraded` and `slow`).
#[derive(Clone, Copy, Default)]
pub(super) struct Words {
    list: [&'static str; 2],
    len: usize,
}

impl Words {
    pub(super) fn one(word: &'static str) -> Words {
        Words {
            list: [word, ""],
            len: 1,
        }
    }

    pub(super) fn push(&mut self, word: &'static str) {
        if self.len < 2 {
            self.list[self.len] = word;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[&'static str] {
        &self.list[..self.len]
    }

    pub(super) fn text(&self) -> Option<String> {
        (self.len > 0).then(|| self.as_slice().join(", "))
    }
}

/// What one subject reads now.
#[derive(Clone, Copy)]
pub(super) enum Reading {
    Present {
        value: Option<f64>,
        words: Words,
    },
    /// The breaker, dependency or stream is gone: it counts as recovered.
    Absent,
}

impl Reading {
    pub(super) fn number(value: f64) -> Reading {
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
pub(super) struct Pass<'a> {
    pub(super) rule: &'a Rule,
    pub(super) service: &'a str,
    pub(super) silences: &'a [Silence],
    pub(super) now: DateTime<Utc>,
    /// This evaluation pass's number.
    pub(super) epoch: u64,
}

impl Pass<'_> {
    pub(super) fn silenced(&self) -> bool {
        self.silences
            .iter()
            .any(|s| s.covers(&self.rule.name, self.service, self.now))
    }

    /// Applies a reading to the alert on `subject` (created on first presence).
    pub(super) fn apply(
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

    pub(super) fn apply_to(
        &self,
        track: &mut Track,
        reading: Reading,
        events: &mut Vec<AlertEvent>,
    ) {
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

    pub(super) fn event(
        &self,
        track: &Track,
        phase: AlertPhase,
        notify: bool,
        repeat: bool,
    ) -> AlertEvent {
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
/// are gone (dropping those that were inactive anyway).
pub(super) fn per_entity<'e>(
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
