//! What is active now, read from the evaluator's tracks: the list of pending and
//! firing alerts, and the worst firing severity for the tray.

use chrono::{DateTime, Utc};

use crate::alerts::lifecycle::{ActiveAlert, AlertKey, AlertPhase};
use crate::alerts::rule::Severity;

use super::track::{Phase, Track};
use super::Evaluator;

impl Evaluator {
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
