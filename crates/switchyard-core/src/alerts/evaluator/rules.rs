//! Changing the rules under live alerts: the UI's edits replace the configured ones,
//! thresholds a service declares become its own rules, and alerts of a rule that stays
//! keep their state while those of a removed one resolve.

use chrono::{DateTime, Utc};

use crate::alerts::import::rules_from_service_thresholds;
use crate::alerts::lifecycle::{AlertEvent, AlertPhase};
use crate::alerts::rule::{Rule, RuleOrigin};
use crate::model::ServiceState;

use super::track::{Pass, Phase, Track};
use super::{subject_key, Evaluator};

impl Evaluator {
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
    pub(super) fn import(
        &mut self,
        state: &ServiceState,
        now: DateTime<Utc>,
        events: &mut Vec<AlertEvent>,
    ) {
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
}
