//! `single-breaker`'s one breaker: a trading halt that losses trip ("max
//! drawdown") and that stays active until someone resets it. Resets are
//! guarded (refused when not active unless overridden) and every activation
//! and reset goes into a bounded history.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Deserialize;

use super::timeline::Cycle;

/// Losses in a row that activate the halt.
const LOSSES_TO_ACTIVATE: u32 = 5;

/// History entries kept: the service's audit trail, bounded like any
/// history should be.
const HISTORY_LIMIT: usize = 100;

/// Why the script activates the halt.
pub(crate) const DRAWDOWN_REASON: &str = "max drawdown";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HaltEvent {
    Activated,
    Reset,
}

impl HaltEvent {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HaltEvent::Activated => "activated",
            HaltEvent::Reset => "reset",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HistoryEntry {
    pub(crate) event: HaltEvent,
    pub(crate) at: Duration,
    pub(crate) reason: String,
    pub(crate) overridden: bool,
}

/// The script: losing trades happen every `every` seconds inside `losses`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LossScript {
    pub(crate) losses: Cycle,
    pub(crate) every: u64,
}

impl LossScript {
    pub(crate) fn quiet() -> Self {
        LossScript {
            losses: Cycle::never(),
            every: 1,
        }
    }
}

/// A reset refused because the halt is not active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NotActive;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Halt {
    script: LossScript,
    pub(crate) active: bool,
    /// Losses since the last reset.
    pub(crate) failure_count: u32,
    pub(crate) activated_at: Option<Duration>,
    pub(crate) reason: Option<String>,
    history: VecDeque<HistoryEntry>,
}

impl Halt {
    pub(crate) fn new(script: LossScript) -> Self {
        Halt {
            script,
            active: false,
            failure_count: 0,
            activated_at: None,
            reason: None,
            history: VecDeque::new(),
        }
    }

    pub(crate) fn history(&self) -> impl Iterator<Item = &HistoryEntry> {
        self.history.iter()
    }

    /// One simulated second: a loss may fall, and the fifth activates the
    /// halt. An active halt stops trading, so no further losses count.
    pub(crate) fn step(&mut self, second: u64) {
        if self.active
            || !self.script.losses.contains(second)
            || second % self.script.every.max(1) != 0
        {
            return;
        }
        self.failure_count += 1;
        if self.failure_count >= LOSSES_TO_ACTIVATE {
            self.activate(Duration::from_secs(second), DRAWDOWN_REASON.to_owned());
        }
    }

    fn activate(&mut self, now: Duration, reason: String) {
        self.active = true;
        self.activated_at = Some(now);
        self.reason = Some(reason.clone());
        self.remember(HistoryEntry {
            event: HaltEvent::Activated,
            at: now,
            reason,
            overridden: false,
        });
    }

    /// Resets the halt, or refuses when it is not active and `overridden`
    /// is false. Recorded either way it happens.
    pub(crate) fn reset(
        &mut self,
        now: Duration,
        overridden: bool,
        reason: Option<String>,
    ) -> Result<(), NotActive> {
        if !self.active && !overridden {
            return Err(NotActive);
        }
        self.active = false;
        self.failure_count = 0;
        self.activated_at = None;
        self.reason = None;
        self.remember(HistoryEntry {
            event: HaltEvent::Reset,
            at: now,
            reason: reason.unwrap_or_else(|| "manual reset".to_owned()),
            overridden,
        });
        Ok(())
    }

    fn remember(&mut self, entry: HistoryEntry) {
        if self.history.len() == HISTORY_LIMIT {
            self.history.pop_front();
        }
        self.history.push_back(entry);
    }

    /// Applies a control-API change. Activating records an `activated`
    /// entry, as the service would; deactivating is not a reset and is
    /// not recorded.
    pub(crate) fn apply(&mut self, patch: &HaltPatch, now: Duration) {
        if let Some(count) = patch.failure_count {
            self.failure_count = count;
        }
        match patch.active {
            Some(true) if !self.active => {
                let reason = patch
                    .reason
                    .clone()
                    .unwrap_or_else(|| DRAWDOWN_REASON.to_owned());
                self.activate(now, reason);
            }
            Some(false) => {
                self.active = false;
                self.activated_at = None;
                self.reason = None;
            }
            _ => {
                if let Some(reason) = &patch.reason {
                    self.reason = Some(reason.clone());
                }
            }
        }
    }
}

/// The control API's change to the halt.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HaltPatch {
    active: Option<bool>,
    reason: Option<String>,
    failure_count: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Halt {
        Halt::new(LossScript {
            losses: Cycle::new(600, &[(60, 130)]),
            every: 12,
        })
    }

    #[test]
    fn five_losses_activate_and_it_stays_active_until_reset() {
        let mut halt = demo();
        for second in 1..=107 {
            halt.step(second);
        }
        assert!(!halt.active);
        assert_eq!(halt.failure_count, 4);
        halt.step(108);
        assert!(halt.active);
        assert_eq!(halt.activated_at, Some(Duration::from_secs(108)));
        assert_eq!(halt.reason.as_deref(), Some(DRAWDOWN_REASON));
        // Days later, still active.
        for second in 109..=5000 {
            halt.step(second);
        }
        assert!(halt.active);
        assert_eq!(halt.history().count(), 1);

        assert_eq!(halt.reset(Duration::from_secs(5001), false, None), Ok(()));
        assert!(!halt.active);
        assert_eq!(halt.failure_count, 0);
        let last = halt.history().last().cloned();
        assert_eq!(
            last.map(|e| (e.event, e.overridden)),
            Some((HaltEvent::Reset, false))
        );
    }

    #[test]
    fn resets_are_refused_when_not_active_unless_overridden() {
        let mut halt = demo();
        assert_eq!(halt.reset(Duration::ZERO, false, None), Err(NotActive));
        assert_eq!(halt.history().count(), 0);
        assert_eq!(
            halt.reset(Duration::ZERO, true, Some("Testing".to_owned())),
            Ok(())
        );
        let entry = halt.history().last().cloned();
        assert_eq!(
            entry.map(|e| (e.reason, e.overridden)),
            Some(("Testing".to_owned(), true))
        );
    }

    #[test]
    fn history_is_bounded() {
        let mut halt = demo();
        for second in 0..(HISTORY_LIMIT as u64 + 20) {
            let _ = halt.reset(Duration::from_secs(second), true, None);
        }
        assert_eq!(halt.history().count(), HISTORY_LIMIT);
    }

    #[test]
    fn patches_activate_with_a_history_entry() {
        let mut halt = demo();
        let patch: HaltPatch =
            serde_json::from_str(r#"{"active": true, "reason": "daily loss limit"}"#)
                .unwrap_or_default();
        halt.apply(&patch, Duration::from_secs(7));
        assert!(halt.active);
        assert_eq!(halt.reason.as_deref(), Some("daily loss limit"));
        assert_eq!(halt.history().count(), 1);
    }
}
