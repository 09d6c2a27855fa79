//! An engineer's hand on alerts: acknowledging one (it stops notifying until it
//! resolves) and silencing a rule, a service or both for a while, with silences kept
//! across restarts under their own numbers.

use chrono::{DateTime, Utc};

use crate::alerts::lifecycle::{
    Acknowledgement, AlertError, AlertKey, Silence, SilenceId, SilenceTarget,
};

use super::track::{Phase, Track};
use super::Evaluator;

impl Evaluator {
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
}
