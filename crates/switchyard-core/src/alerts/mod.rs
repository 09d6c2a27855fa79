//! Alerts an on-call engineer can trust: rules with a for-duration, a recovery
//! threshold (hysteresis) and a keep-firing duration; acknowledge and silence; default
//! rules (docs/configuration.md, "Built-in alert rules"); thresholds that services
//! declare imported as their own rules.
//!
//! - [`rule`]: what a rule is, its text form (`[[alert]]`, the UI's editor) and validation;
//! - [`defaults`]: the built-in rules;
//! - [`import`]: a service's declared thresholds as rules;
//! - [`evaluator`]: the state machine per (rule, service, subject), acknowledge, silence;
//! - [`lifecycle`]: the events and views it hands out, and how long a silence may be;
//! - [`rule_set`]: a whole rule set from the editor or the history, validated at once;
//! - [`thresholds`]: the rules watching a series, as chart lines.
//!
//! The evaluator knows no clock and no channel: the engine hands it each service's
//! state with the injected clock's `now`, and records and announces the events it returns.

pub mod defaults;
pub mod evaluator;
pub mod import;
pub mod lifecycle;
pub mod rule;
pub mod rule_set;
pub mod thresholds;

pub use defaults::{default_rules, with_defaults, REDIS_RECONNECTIONS_SERIES};
pub use evaluator::Evaluator;
pub use import::{rules_from_service_thresholds, series_for_metric};
pub use lifecycle::{
    silence_until, Acknowledgement, ActiveAlert, AlertError, AlertEvent, AlertKey, AlertPhase,
    CarriedAlert, Silence, SilenceId, SilenceTarget, LONGEST_SILENCE,
};
pub use rule::{
    rules_to_toml, Comparison, Condition, Rule, RuleError, RuleField, RuleOrigin, RuleSpec,
    RuleView, SelectSpec, Selector, ServiceSelector, Severity, Subject, Target,
};
pub use rule_set::{rules_from_specs, rules_from_toml, RulesRejected};
pub use thresholds::{chart_thresholds, rule_thresholds};

/// The test clock, where the alert tests have always found it.
pub use crate::clock::ManualClock;

#[cfg(test)]
mod tests;
