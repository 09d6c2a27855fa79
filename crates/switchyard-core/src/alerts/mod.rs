//! Alerts an on-call engineer can trust: rules with a for-duration, a recovery
//! threshold (hysteresis) and a keep-firing duration; acknowledge and silence; default
//! rules (docs/configuration.md, "Built-in alert rules"); thresholds that services
//! declare imported as their own rules.
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

pub use defaults::{default_rules, with_defaults, REDIS_RECONNECTIONS_SERIES};
pub use evaluator::Evaluator;
pub use import::{rules_from_service_thresholds, series_for_metric};
pub use lifecycle::{
    Acknowledgement, ActiveAlert, AlertError, AlertEvent, AlertKey, AlertPhase, CarriedAlert,
    Silence, SilenceId, SilenceTarget,
};
pub use rule::{
    rules_to_toml, Comparison, Condition, Rule, RuleError, RuleField, RuleOrigin, RuleSpec,
    RuleView, SelectSpec, Selector, ServiceSelector, Severity, Subject, Target,
};

/// The test clock, where the alert tests have always found it.
pub use crate::clock::ManualClock;

#[cfg(test)]
mod tests;
