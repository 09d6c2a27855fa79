//! Alerts an on-call engineer can trust: rules with a for-duration, a recovery
//! threshold (hysteresis) and a keep-firing duration; acknowledge and silence; default
//! rules from CONTRACTS.md; thresholds that services declare imported as their own rules.
//!
//! - [`rule`]: what a rule is, its text form (`[[alert]]`, the UI's editor) and validation;
//! - [`defaults`]: the built-in rules;
//! - [`import`]: a service's declared thresholds as rules;
//! - [`evaluator`]: the state machine per (rule, service, subject), acknowledge, silence;
//! - [`lifecycle`]: the events and views it hands out.
//!
//! The evaluator knows no clock and no channel: the engine hands it each service's
//! state with the injected clock's `now`, and records and announces the events it returns.

pub mod defaults;
pub mod evaluator;
pub mod import;
pub mod lifecycle;
pub mod rule;

use std::sync::Mutex;

use chrono::{DateTime, Utc};

pub use defaults::{default_rules, with_defaults, REDIS_RECONNECTIONS_SERIES};
pub use evaluator::Evaluator;
pub use import::{rules_from_service_thresholds, series_for_metric};
pub use lifecycle::{
    Acknowledgement, ActiveAlert, AlertError, AlertEvent, AlertKey, AlertPhase, Silence, SilenceId,
    SilenceTarget,
};
pub use rule::{
    rules_to_toml, Comparison, Condition, Rule, RuleError, RuleField, RuleOrigin, RuleSpec,
    RuleView, SelectSpec, Selector, ServiceSelector, Severity, Subject, Target,
};

use crate::clock::Clock;

/// A clock the test sets by hand (for the evaluator's tests and the engine's
/// integration tests with alerts).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    pub fn advance(&self, by: std::time::Duration) -> DateTime<Utc> {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::TimeDelta::MAX);
        *now
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
