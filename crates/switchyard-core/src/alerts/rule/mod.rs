//! What an alert rule is: which services and which of their values it watches (a
//! [`Selector`]), when that value is wrong (a [`Condition`] held for `for`), when it is
//! right again (a recovery condition held for `keep_firing`), and how bad it is (a
//! [`Severity`]). Rules are written as text, in `[[alert]]` tables and in the UI's
//! editor ([`RuleSpec`]), and validated into a [`Rule`] with errors that name the field.
//!
//! - [`severity`]: how bad it is;
//! - [`condition`]: when a value matches (a comparison or state words);
//! - [`selector`]: which services and which of their values;
//! - this module: the validated [`Rule`] and its errors;
//! - [`spec`]: the text form ([`RuleSpec`], `[[alert]]`) and the conversion both ways.

mod condition;
mod selector;
mod severity;
mod spec;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use condition::{Comparison, Condition};
pub(crate) use selector::{breaker_word, health_word, stream_word};
pub use selector::{Selector, ServiceSelector, Subject, SubjectKind};
pub use severity::Severity;
pub use spec::{rules_to_toml, RuleSpec, RuleView, SelectSpec, Target};

/// Where a rule comes from: the configuration (or the UI), the built-in defaults, or a
/// service that declared its own threshold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleOrigin {
    Config,
    Default,
    Service { service: String },
}

/// An alert rule, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique among the configured and default rules; imported rules are unique per service.
    pub name: String,
    pub selector: Selector,
    /// Firing condition.
    pub condition: Condition,
    /// How long the condition must hold before the alert fires (pending until then).
    pub for_duration: Duration,
    /// Hysteresis: the alert clears only when this holds. `None`: when `condition` is false.
    pub recover: Option<Condition>,
    /// How long recovery must hold before a firing alert resolves.
    pub keep_firing: Duration,
    pub severity: Severity,
    pub description: String,
    pub origin: RuleOrigin,
}

/// The longest `for` or `keep_firing` accepted: past a week it is not an alert any more.
const MAX_HOLD: Duration = Duration::from_secs(7 * 86_400);

/// The field of a rule an error is about, so the config can point at its line and the
/// UI at its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    Name,
    Select,
    When,
    For,
    Recover,
    KeepFiring,
    Severity,
    Description,
}

impl RuleField {
    pub fn key(self) -> &'static str {
        match self {
            RuleField::Name => "name",
            RuleField::Select => "select",
            RuleField::When => "when",
            RuleField::For => "for",
            RuleField::Recover => "recover",
            RuleField::KeepFiring => "keep_firing",
            RuleField::Severity => "severity",
            RuleField::Description => "description",
        }
    }
}

/// A bad rule: which one, which field, and what to write instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize, TS)]
#[error("alert `{rule}`: {}: {message}", field.key())]
pub struct RuleError {
    pub rule: String,
    pub field: RuleField,
    pub message: String,
}

impl Rule {
    fn error(&self, field: RuleField, message: impl Into<String>) -> RuleError {
        RuleError {
            rule: self.name.clone(),
            field,
            message: message.into(),
        }
    }

    /// Checks what parsing alone cannot: the condition fits the subject, state words
    /// exist, the recovery threshold is on the other side of the threshold, durations
    /// are sensible.
    pub fn validate(&self) -> Result<(), RuleError> {
        if self.name.trim().is_empty() {
            return Err(self.error(RuleField::Name, "a rule needs a name"));
        }
        self.validate_selector()?;
        self.check_fits(&self.condition, RuleField::When)?;
        if self.for_duration > MAX_HOLD {
            return Err(self.error(RuleField::For, "at most 7 days"));
        }
        if self.keep_firing > MAX_HOLD {
            return Err(self.error(RuleField::KeepFiring, "at most 7 days"));
        }
        if let Some(recover) = &self.recover {
            self.check_fits(recover, RuleField::Recover)?;
            self.check_recovery_side(recover)?;
        }
        Ok(())
    }

    fn validate_selector(&self) -> Result<(), RuleError> {
        let empty = |s: &str| s.trim().is_empty();
        let bad = |message: &str| Err(self.error(RuleField::Select, message));
        if self.selector.services.service.as_deref().is_some_and(empty) {
            return bad("service is empty");
        }
        if self.selector.services.tags.iter().any(|t| empty(t)) {
            return bad("a tag is empty");
        }
        match &self.selector.subject {
            Subject::Series(s) if empty(s) => bad("series is empty"),
            Subject::Ratio {
                numerator,
                denominator,
            } if empty(numerator) || empty(denominator) => {
                bad("ratio needs two series, e.g. [\"queue.depth\", \"queue.capacity\"]")
            }
            Subject::Increase { series, .. } if empty(series) => bad("increase names no series"),
            Subject::Increase { window, .. } if *window < Duration::from_secs(1) => {
                bad("the increase window must be at least 1s")
            }
            Subject::Breaker(Some(n)) | Subject::Dependency(Some(n)) | Subject::Stream(Some(n))
                if empty(n) =>
            {
                bad("the name is empty; use true for all")
            }
            _ => Ok(()),
        }
    }

    fn check_fits(&self, condition: &Condition, field: RuleField) -> Result<(), RuleError> {
        let subject = self.selector.subject.describe();
        match (self.selector.subject.kind(), condition) {
            (SubjectKind::Number, Condition::StateIs(_)) => Err(self.error(
                field,
                format!("{subject} is a number; compare it, e.g. `> 0.8`, not `state is`"),
            )),
            (SubjectKind::State(known), Condition::Compare { .. }) => Err(self.error(
                field,
                format!(
                    "{subject} is a state; write `state is {}`",
                    known.first().copied().unwrap_or("…")
                ),
            )),
            (SubjectKind::State(known) | SubjectKind::Both(known), Condition::StateIs(words)) => {
                match words.iter().find(|w| !known.contains(&w.as_str())) {
                    Some(word) => Err(self.error(
                        field,
                        format!(
                            "`{word}` is not a state of {subject}; known: {}",
                            known.join(", ")
                        ),
                    )),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// The recovery condition must never hold together with the firing one, so that
    /// between the two there is a band where the alert keeps its phase.
    fn check_recovery_side(&self, recover: &Condition) -> Result<(), RuleError> {
        match (&self.condition, recover) {
            (Condition::StateIs(fire), Condition::StateIs(back)) => {
                match back.iter().find(|w| fire.contains(w)) {
                    Some(word) => Err(self.error(
                        RuleField::Recover,
                        format!("`{word}` is both a firing and a recovery state"),
                    )),
                    None => Ok(()),
                }
            }
            (
                Condition::Compare { op, threshold },
                Condition::Compare {
                    op: back,
                    threshold: level,
                },
            ) => {
                if *op == Comparison::Eq || *back == Comparison::Eq {
                    return Err(self.error(
                        RuleField::Recover,
                        "a recovery threshold needs <, <=, > or >= on both sides",
                    ));
                }
                if op.is_above() == back.is_above() {
                    let wanted = if op.is_above() { "<= or <" } else { ">= or >" };
                    return Err(self.error(
                        RuleField::Recover,
                        format!(
                            "`{recover}` is on the same side as `{}`; recovery goes the other way ({wanted})",
                            self.condition
                        ),
                    ));
                }
                // Disjoint: e.g. fire `< 0.7` needs recover `>= r` or `> r` with r >= 0.7;
                // fire `<= 0.7` with recover `>= r` needs r > 0.7.
                let touching = matches!(
                    (op, back),
                    (Comparison::Le, Comparison::Ge) | (Comparison::Ge, Comparison::Le)
                );
                let disjoint = if op.is_above() {
                    if touching {
                        level < threshold
                    } else {
                        level <= threshold
                    }
                } else if touching {
                    level > threshold
                } else {
                    level >= threshold
                };
                if disjoint {
                    Ok(())
                } else {
                    Err(self.error(
                        RuleField::Recover,
                        format!(
                            "`{recover}` overlaps `{}`: a value could both fire and recover; put the recovery threshold past {threshold}",
                            self.condition
                        ),
                    ))
                }
            }
            _ => Err(self.error(
                RuleField::Recover,
                "recover must be the same kind as when (both numbers or both states)",
            )),
        }
    }

    /// One line saying what the rule does: `cache.hit_rate < 0.7 for 5m`.
    pub fn summary(&self) -> String {
        let mut text = format!("{} {}", self.selector.subject.describe(), self.condition);
        if !self.for_duration.is_zero() {
            text.push_str(&format!(
                " for {}",
                humantime::format_duration(self.for_duration)
            ));
        }
        text
    }

    /// The description, or the summary when the rule has none.
    pub fn describe(&self) -> String {
        if self.description.trim().is_empty() {
            self.summary()
        } else {
            self.description.clone()
        }
    }
}

#[cfg(test)]
mod tests;
