//! What an alert rule is: which services and which of their values it watches (a
//! [`Selector`]), when that value is wrong (a [`Condition`] held for `for`), when it is
//! right again (a recovery condition held for `keep_firing`), and how bad it is (a
//! [`Severity`]). Rules are written as text, in `[[alert]]` tables and in the UI's
//! editor ([`RuleSpec`]), and validated into a [`Rule`] with errors that name the field.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

use crate::model::{BreakerState, HealthStatus, StreamState};
use crate::units::parse_duration;

/// How bad a firing alert is; ordered from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Warning,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The strict reading used for the configuration and the UI: one of the four words.
    pub fn parse(word: &str) -> Result<Severity, String> {
        let normal = word.trim().to_ascii_lowercase();
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == normal)
            .ok_or_else(|| {
                format!(
                    "`{}` is not a severity; use info, warning, high or critical",
                    word.trim()
                )
            })
    }

    /// The lenient reading of a severity a service declares: `medium` (and anything not
    /// understood) is a warning, so a service's own threshold is never dropped.
    pub fn from_service_word(word: &str) -> Severity {
        match word.trim().to_ascii_lowercase().as_str() {
            "info" | "low" => Severity::Info,
            "high" | "error" => Severity::High,
            "critical" => Severity::Critical,
            _ => Severity::Warning,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A numeric comparison of the watched value against a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Eq => "==",
        }
    }

    /// Reads `>`, `>=`, `<`, `<=` or `==` (also `=`, as services sometimes write it).
    pub fn parse(symbol: &str) -> Option<Comparison> {
        match symbol.trim() {
            ">" => Some(Comparison::Gt),
            ">=" => Some(Comparison::Ge),
            "<" => Some(Comparison::Lt),
            "<=" => Some(Comparison::Le),
            "==" | "=" => Some(Comparison::Eq),
            _ => None,
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            // Values are measurements; exact equality is meant for 0/1 flags and counts.
            Comparison::Eq => value == threshold,
        }
    }

    fn is_above(self) -> bool {
        matches!(self, Comparison::Gt | Comparison::Ge)
    }
}

/// When a watched value counts as matching: a comparison with a number, or a state
/// among a set of words (`state is open, half_open`).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare {
        op: Comparison,
        threshold: f64,
    },
    /// Normalised words (lowercase, `_` for `-` and spaces).
    StateIs(Vec<String>),
}

impl Condition {
    /// Parses `"< 0.7"`, `">= 0.75"`, `"== 1"`, `"state is open"` or
    /// `"state is open, half_open"` (also `"state is open or half-open"`).
    pub fn parse(text: &str) -> Result<Condition, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(
                "is empty; write a comparison such as `< 0.7` or a state such as `state is open`"
                    .into(),
            );
        }
        let lower = trimmed.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("state is") {
            if rest.trim_start().starts_with("not") {
                return Err(format!(
                    "`{trimmed}`: `state is not` is not supported; list the states that should match"
                ));
            }
            let words: Vec<String> = rest
                .replace(" or ", ",")
                .split(',')
                .map(normalise_word)
                .filter(|w| !w.is_empty())
                .collect();
            if words.is_empty() {
                return Err(format!(
                    "`{trimmed}` names no state; write for example `state is open`"
                ));
            }
            return Ok(Condition::StateIs(words));
        }
        let split = trimmed
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
            .unwrap_or(trimmed.len());
        let (symbol, number) = trimmed.split_at(split);
        let Some(op) = Comparison::parse(symbol) else {
            return Err(format!(
                "`{trimmed}` does not start with >, >=, <, <= or ==, nor with `state is`"
            ));
        };
        let number = number.trim();
        if number.ends_with('%') {
            return Err(format!(
                "`{trimmed}`: write the number without %, on the series' own scale (ratios are 0..1, `*_percent` series 0..100)"
            ));
        }
        let threshold: f64 = number.parse().map_err(|_| {
            format!("`{trimmed}`: `{number}` is not a number; write for example `< 0.7`")
        })?;
        if !threshold.is_finite() {
            return Err(format!(
                "`{trimmed}`: the threshold must be a finite number"
            ));
        }
        Ok(Condition::Compare { op, threshold })
    }

    pub fn is_state(&self) -> bool {
        matches!(self, Condition::StateIs(_))
    }

    /// Whether a reading with this number and these state words matches.
    pub fn matches(&self, value: Option<f64>, words: &[&str]) -> bool {
        match self {
            Condition::Compare { op, threshold } => value.is_some_and(|v| op.holds(v, *threshold)),
            Condition::StateIs(wanted) => words.iter().any(|w| wanted.iter().any(|x| x == w)),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare { op, threshold } => write!(f, "{} {threshold}", op.symbol()),
            Condition::StateIs(words) => write!(f, "state is {}", words.join(", ")),
        }
    }
}

/// `HALF_OPEN`, `half-open` and `Half Open` are the same word (docs/contracts.md).
fn normalise_word(word: &str) -> String {
    word.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

/// Which services a rule applies to: all of them, one by name, those carrying tags, or
/// one by name that also carries the tags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceSelector {
    pub service: Option<String>,
    /// A service must carry every one of these.
    pub tags: Vec<String>,
}

impl ServiceSelector {
    pub fn all() -> ServiceSelector {
        ServiceSelector::default()
    }

    pub fn service(name: &str) -> ServiceSelector {
        ServiceSelector {
            service: Some(name.to_string()),
            tags: Vec::new(),
        }
    }

    pub fn matches(&self, name: &str, tags: &[String]) -> bool {
        self.service.as_deref().is_none_or(|s| s == name)
            && self.tags.iter().all(|t| tags.iter().any(|have| have == t))
    }
}

/// What a rule watches on each selected service. Some subjects are one value per
/// service (a series, the health status); others are one per breaker, dependency or
/// stream, each with its own alert.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A sample series' latest value (`cache.hit_rate`, `system.cpu_percent`, …).
    Series(String),
    /// One series divided by another (`queue.depth` / `queue.capacity`); no value while
    /// either is missing or the denominator is not positive.
    Ratio {
        numerator: String,
        denominator: String,
    },
    /// How much a counter series grew over the window (resets count from zero, as
    /// Prometheus' `increase` does, without extrapolation).
    Increase { series: String, window: Duration },
    /// Each breaker's state (or only the named one). A breaker that disappears resolves.
    Breaker(Option<String>),
    /// The service's reported health status.
    Health,
    /// Each dependency (or only the named one): its states are its health status and,
    /// when its latency is over the contract's threshold, `slow`; its number is its
    /// latency in milliseconds.
    Dependency(Option<String>),
    /// Each stream session's state (or only the one with this path).
    Stream(Option<String>),
    /// Poll intervals since the last fresh (reachable) observation.
    Staleness,
}

/// Whether a subject is compared with numbers, matched against state words, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Number,
    State(&'static [&'static str]),
    Both(&'static [&'static str]),
}

const BREAKER_WORDS: &[&str] = &[
    "closed",
    "open",
    "half_open",
    "forced_open",
    "disabled",
    "metrics_only",
    "unknown",
];
const HEALTH_WORDS: &[&str] = &["ok", "degraded", "down", "unknown"];
const DEPENDENCY_WORDS: &[&str] = &["ok", "degraded", "down", "unknown", "slow"];
const STREAM_WORDS: &[&str] = &[
    "connecting",
    "live",
    "stale",
    "channel_full",
    "flooding",
    "backing_off",
];

pub(crate) fn breaker_word(state: BreakerState) -> &'static str {
    state.as_str()
}

pub(crate) fn health_word(status: HealthStatus) -> &'static str {
    status.as_str()
}

pub(crate) fn stream_word(state: StreamState) -> &'static str {
    match state {
        StreamState::Connecting => "connecting",
        StreamState::Live => "live",
        StreamState::Stale => "stale",
        StreamState::ChannelFull => "channel_full",
        StreamState::Flooding => "flooding",
        StreamState::BackingOff => "backing_off",
    }
}

impl Subject {
    pub fn kind(&self) -> SubjectKind {
        match self {
            Subject::Series(_) | Subject::Ratio { .. } | Subject::Increase { .. } => {
                SubjectKind::Number
            }
            Subject::Staleness => SubjectKind::Number,
            Subject::Breaker(_) => SubjectKind::State(BREAKER_WORDS),
            Subject::Health => SubjectKind::State(HEALTH_WORDS),
            Subject::Stream(_) => SubjectKind::State(STREAM_WORDS),
            Subject::Dependency(_) => SubjectKind::Both(DEPENDENCY_WORDS),
        }
    }

    /// The series this subject reads, if it reads exactly one.
    pub fn series(&self) -> Option<&str> {
        match self {
            Subject::Series(s) | Subject::Increase { series: s, .. } => Some(s),
            _ => None,
        }
    }

    /// A short human form: `cache.hit_rate`, `queue.depth / queue.capacity`, `breaker state`.
    pub fn describe(&self) -> String {
        let named = |what: &str, name: &Option<String>| match name {
            Some(n) => format!("{what} {n}"),
            None => what.to_string(),
        };
        match self {
            Subject::Series(s) => s.clone(),
            Subject::Ratio {
                numerator,
                denominator,
            } => format!("{numerator} / {denominator}"),
            Subject::Increase { series, window } => format!(
                "increase of {series} over {}",
                humantime::format_duration(*window)
            ),
            Subject::Breaker(name) => named("breaker state", name),
            Subject::Health => "health status".into(),
            Subject::Dependency(name) => named("dependency", name),
            Subject::Stream(path) => named("stream state", path),
            Subject::Staleness => "poll intervals since the last fresh observation".into(),
        }
    }
}

/// Which services × which subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub services: ServiceSelector,
    pub subject: Subject,
}

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

    /// Builds and validates a rule from its text form.
    pub fn from_spec(spec: &RuleSpec, origin: RuleOrigin) -> Result<Rule, RuleError> {
        let name = spec.name.trim().to_string();
        let fail = |field: RuleField, message: String| RuleError {
            rule: name.clone(),
            field,
            message,
        };
        let duration = |text: &Option<String>, field: RuleField| -> Result<Duration, RuleError> {
            match text {
                Some(t) => parse_duration(t).map_err(|e| fail(field, e)),
                None => Ok(Duration::ZERO),
            }
        };
        let subject = spec
            .select
            .subject()
            .map_err(|m| fail(RuleField::Select, m))?;
        let rule = Rule {
            name: name.clone(),
            selector: Selector {
                services: ServiceSelector {
                    service: spec.select.service.as_ref().map(|s| s.trim().to_string()),
                    tags: spec.select.tags.clone(),
                },
                subject,
            },
            condition: Condition::parse(&spec.when).map_err(|m| fail(RuleField::When, m))?,
            for_duration: duration(&spec.for_duration, RuleField::For)?,
            recover: spec
                .recover
                .as_deref()
                .map(Condition::parse)
                .transpose()
                .map_err(|m| fail(RuleField::Recover, m))?,
            keep_firing: duration(&spec.keep_firing, RuleField::KeepFiring)?,
            severity: match &spec.severity {
                Some(word) => Severity::parse(word).map_err(|m| fail(RuleField::Severity, m))?,
                None => Severity::Warning,
            },
            description: spec.description.clone().unwrap_or_default(),
            origin,
        };
        rule.validate()?;
        Ok(rule)
    }

    /// The text form, as `[[alert]]` would write it (for the UI and TOML export).
    pub fn to_spec(&self) -> RuleSpec {
        let duration =
            |d: Duration| (!d.is_zero()).then(|| humantime::format_duration(d).to_string());
        let mut select = SelectSpec {
            service: self.selector.services.service.clone(),
            tags: self.selector.services.tags.clone(),
            ..SelectSpec::default()
        };
        let target = |name: &Option<String>| {
            Some(match name {
                Some(n) => Target::Named(n.clone()),
                None => Target::All,
            })
        };
        match &self.selector.subject {
            Subject::Series(s) => select.series = Some(s.clone()),
            Subject::Ratio {
                numerator,
                denominator,
            } => select.ratio = Some(vec![numerator.clone(), denominator.clone()]),
            Subject::Increase { series, window } => {
                select.increase = Some(series.clone());
                select.window = Some(humantime::format_duration(*window).to_string());
            }
            Subject::Breaker(name) => select.breaker_state = target(name),
            Subject::Health => select.health_status = Some(true),
            Subject::Dependency(name) => select.dependency = target(name),
            Subject::Stream(path) => select.stream_state = target(path),
            Subject::Staleness => select.staleness = Some(true),
        }
        RuleSpec {
            name: self.name.clone(),
            select,
            when: self.condition.to_string(),
            for_duration: duration(self.for_duration),
            recover: self.recover.as_ref().map(ToString::to_string),
            keep_firing: duration(self.keep_firing),
            severity: Some(self.severity.as_str().to_string()),
            description: (!self.description.is_empty()).then(|| self.description.clone()),
        }
    }

    /// What the UI lists and edits.
    pub fn view(&self) -> RuleView {
        RuleView {
            spec: self.to_spec(),
            origin: self.origin.clone(),
            summary: self.summary(),
        }
    }
}

/// A rule as written: an `[[alert]]` table, or the UI's rule editor.
///
/// ```toml
/// [[alert]]
/// name = "cache hit rate low"
/// select = { series = "cache.hit_rate", tags = ["prod"] }
/// when = "< 0.7"
/// for = "5m"
/// recover = ">= 0.75"
/// keep_firing = "1m"
/// severity = "warning"
/// description = "Most reads miss the cache; expect load on the database."
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct RuleSpec {
    pub name: String,
    pub select: SelectSpec,
    /// `< 0.7`, `>= 80`, `== 1`, `state is open`, `state is open, half_open`.
    pub when: String,
    /// How long `when` must hold before firing; none: at once.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_duration: Option<String>,
    /// The recovery condition (hysteresis); none: when `when` stops holding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recover: Option<String>,
    /// How long recovery must hold before resolving; none: at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_firing: Option<String>,
    /// info, warning (the default), high or critical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `select` table: optional `service` and `tags`, and exactly one subject key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct SelectSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub tags: Vec<String>,
    /// A series' value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// `[numerator, denominator]`: one series divided by another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<Vec<String>>,
    /// A counter series' increase over `window`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// `true` for every breaker, or a breaker's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "boolean | string", optional)]
    pub breaker_state: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_status: Option<bool>,
    /// `true` for every dependency, or a dependency's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "boolean | string", optional)]
    pub dependency: Option<Target>,
    /// `true` for every stream, or a stream's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "boolean | string", optional)]
    pub stream_state: Option<Target>,
    /// Poll intervals since the last fresh observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staleness: Option<bool>,
}

impl SelectSpec {
    /// The one subject this selection names.
    pub fn subject(&self) -> Result<Subject, String> {
        let named = |target: &Target| match target {
            Target::All => None,
            Target::Named(n) => Some(n.trim().to_string()),
        };
        let flag = |key: &str, on: bool| {
            if on {
                Ok(())
            } else {
                Err(format!("{key} = false selects nothing; leave the key out"))
            }
        };
        let mut found: Vec<(&str, Result<Subject, String>)> = Vec::new();
        if let Some(series) = &self.series {
            found.push(("series", Ok(Subject::Series(series.trim().to_string()))));
        }
        if let Some(pair) = &self.ratio {
            let subject = match pair.as_slice() {
                [n, d] => Ok(Subject::Ratio {
                    numerator: n.trim().to_string(),
                    denominator: d.trim().to_string(),
                }),
                _ => Err("ratio takes two series: [numerator, denominator]".to_string()),
            };
            found.push(("ratio", subject));
        }
        if let Some(series) = &self.increase {
            let subject = match &self.window {
                Some(w) => parse_duration(w)
                    .map(|window| Subject::Increase {
                        series: series.trim().to_string(),
                        window,
                    })
                    .map_err(|e| format!("window: {e}")),
                None => Err("increase needs a window, e.g. window = \"1h\"".to_string()),
            };
            found.push(("increase", subject));
        } else if self.window.is_some() {
            return Err("window goes with increase".into());
        }
        if let Some(target) = &self.breaker_state {
            found.push(("breaker_state", Ok(Subject::Breaker(named(target)))));
        }
        if let Some(on) = self.health_status {
            found.push((
                "health_status",
                flag("health_status", on).map(|()| Subject::Health),
            ));
        }
        if let Some(target) = &self.dependency {
            found.push(("dependency", Ok(Subject::Dependency(named(target)))));
        }
        if let Some(target) = &self.stream_state {
            found.push(("stream_state", Ok(Subject::Stream(named(target)))));
        }
        if let Some(on) = self.staleness {
            found.push((
                "staleness",
                flag("staleness", on).map(|()| Subject::Staleness),
            ));
        }
        match found.len() {
            0 => Err("select names nothing to watch; add one of series, ratio, increase, breaker_state, health_status, dependency, stream_state, staleness".into()),
            1 => found.pop().map(|(_, s)| s).unwrap_or_else(|| unreachable!()),
            _ => Err(format!(
                "select names {} subjects ({}); a rule watches one",
                found.len(),
                found.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// `true` (every breaker, dependency or stream) or one by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    All,
    Named(String),
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Target::All => serializer.serialize_bool(true),
            Target::Named(name) => serializer.serialize_str(name),
        }
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Target, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Target;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true (all) or a name")
            }
            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Target, E> {
                if value {
                    Ok(Target::All)
                } else {
                    Err(E::custom("false selects nothing; use true or a name"))
                }
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Target, E> {
                Ok(Target::Named(value.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Writes rules as `[[alert]]` tables, for the configuration file (the UI's "export").
pub fn rules_to_toml(rules: &[Rule]) -> Result<String, toml::ser::Error> {
    #[derive(Serialize)]
    struct Alerts {
        alert: Vec<RuleSpec>,
    }
    toml::to_string(&Alerts {
        alert: rules.iter().map(Rule::to_spec).collect(),
    })
}

/// A rule as the UI lists it: its text form, where it comes from, and a summary line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RuleView {
    pub spec: RuleSpec,
    pub origin: RuleOrigin,
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(select: SelectSpec, when: &str, recover: Option<&str>) -> RuleSpec {
        RuleSpec {
            name: "r".into(),
            select,
            when: when.into(),
            recover: recover.map(str::to_string),
            ..RuleSpec::default()
        }
    }

    fn series(name: &str) -> SelectSpec {
        SelectSpec {
            series: Some(name.into()),
            ..SelectSpec::default()
        }
    }

    fn breakers() -> SelectSpec {
        SelectSpec {
            breaker_state: Some(Target::All),
            ..SelectSpec::default()
        }
    }

    fn error(spec: &RuleSpec) -> RuleError {
        Rule::from_spec(spec, RuleOrigin::Config).unwrap_err()
    }

    #[test]
    fn conditions_parse_and_print() {
        assert_eq!(
            Condition::parse("< 0.7").unwrap(),
            Condition::Compare {
                op: Comparison::Lt,
                threshold: 0.7
            }
        );
        assert_eq!(Condition::parse(">=0.75").unwrap().to_string(), ">= 0.75");
        assert_eq!(Condition::parse("== 1").unwrap().to_string(), "== 1");
        assert_eq!(
            Condition::parse("state is OPEN, Half-Open").unwrap(),
            Condition::StateIs(vec!["open".into(), "half_open".into()])
        );
        assert_eq!(
            Condition::parse("state is open or half open")
                .unwrap()
                .to_string(),
            "state is open, half_open"
        );
        assert!(Condition::parse("").is_err());
        assert!(Condition::parse("0.7")
            .unwrap_err()
            .contains("does not start"));
        assert!(Condition::parse("< 70%").unwrap_err().contains("without %"));
        assert!(Condition::parse("< seventy")
            .unwrap_err()
            .contains("not a number"));
        assert!(Condition::parse("=> 1").is_err());
        assert!(Condition::parse("state is").is_err());
        assert!(Condition::parse("< NaN").is_err());
    }

    #[test]
    fn a_good_rule_round_trips_through_its_text_form() {
        let mut good = spec(series("cache.hit_rate"), "< 0.7", Some(">= 0.75"));
        good.for_duration = Some("5m".into());
        good.keep_firing = Some("1m".into());
        good.severity = Some("warning".into());
        good.select.tags = vec!["prod".into()];
        let rule = Rule::from_spec(&good, RuleOrigin::Config).unwrap();
        assert_eq!(rule.for_duration, Duration::from_secs(300));
        assert_eq!(rule.keep_firing, Duration::from_secs(60));
        assert_eq!(rule.summary(), "cache.hit_rate < 0.7 for 5m");
        assert_eq!(rule.to_spec(), good);
        assert_eq!(
            Rule::from_spec(&rule.to_spec(), RuleOrigin::Config).unwrap(),
            rule
        );
    }

    #[test]
    fn the_condition_must_fit_the_subject() {
        let err = error(&spec(series("cache.hit_rate"), "state is open", None));
        assert_eq!(err.field, RuleField::When);
        assert!(err.message.contains("is a number"), "{err}");
        let err = error(&spec(breakers(), "> 1", None));
        assert!(err.message.contains("state is"), "{err}");
        let err = error(&spec(breakers(), "state is opne", None));
        assert!(err.message.contains("`opne` is not a state"), "{err}");
        assert!(err.message.contains("half_open"), "{err}");
        let dependency = SelectSpec {
            dependency: Some(Target::All),
            ..SelectSpec::default()
        };
        assert!(Rule::from_spec(
            &spec(dependency.clone(), "state is slow", None),
            RuleOrigin::Config
        )
        .is_ok());
        assert!(Rule::from_spec(&spec(dependency, "> 250", None), RuleOrigin::Config).is_ok());
    }

    #[test]
    fn recovery_must_be_on_the_other_side_of_the_threshold() {
        let ok = |when: &str, recover: &str| {
            Rule::from_spec(&spec(series("s"), when, Some(recover)), RuleOrigin::Config)
        };
        assert!(ok("< 0.7", ">= 0.75").is_ok());
        assert!(ok("< 0.7", ">= 0.7").is_ok());
        assert!(ok("> 80", "< 75").is_ok());
        assert!(ok("> 80", "<= 80").is_ok());
        assert!(ok(">= 80", "< 80").is_ok());
        let same_side = ok("< 0.7", "< 0.5").unwrap_err();
        assert_eq!(same_side.field, RuleField::Recover);
        assert!(same_side.message.contains("same side"), "{same_side}");
        let overlap = ok("< 0.7", ">= 0.6").unwrap_err();
        assert!(overlap.message.contains("overlaps"), "{overlap}");
        assert!(ok("<= 0.7", ">= 0.7").is_err());
        assert!(ok(">= 80", "<= 80").is_err());
        assert!(ok("== 1", "== 0").is_err());
        let states = Rule::from_spec(
            &spec(breakers(), "state is open", Some("state is open, closed")),
            RuleOrigin::Config,
        )
        .unwrap_err();
        assert!(states.message.contains("both"), "{states}");
        assert!(Rule::from_spec(
            &spec(breakers(), "state is open", Some("state is closed")),
            RuleOrigin::Config
        )
        .is_ok());
    }

    #[test]
    fn durations_severity_and_selection_are_checked() {
        let mut bad = spec(series("s"), "> 1", None);
        bad.for_duration = Some("5".into());
        let err = error(&bad);
        assert_eq!(err.field, RuleField::For);
        assert!(err.message.contains("`5s`"), "{err}");
        bad.for_duration = Some("30d".into());
        assert!(error(&bad).message.contains("7 days"));
        let mut bad = spec(series("s"), "> 1", None);
        bad.severity = Some("medium".into());
        assert_eq!(error(&bad).field, RuleField::Severity);
        let both = SelectSpec {
            series: Some("s".into()),
            health_status: Some(true),
            ..SelectSpec::default()
        };
        let err = error(&spec(both, "> 1", None));
        assert!(err.message.contains("a rule watches one"), "{err}");
        let err = error(&spec(SelectSpec::default(), "> 1", None));
        assert!(err.message.contains("nothing to watch"), "{err}");
        let no_window = SelectSpec {
            increase: Some("metrics.redis_reconnections".into()),
            ..SelectSpec::default()
        };
        assert!(error(&spec(no_window, "> 10", None))
            .message
            .contains("window"));
        let mut nameless = spec(series("s"), "> 1", None);
        nameless.name = " ".into();
        assert_eq!(error(&nameless).field, RuleField::Name);
    }

    #[test]
    fn service_severity_words_are_read_leniently() {
        assert_eq!(Severity::from_service_word("HIGH"), Severity::High);
        assert_eq!(Severity::from_service_word("medium"), Severity::Warning);
        assert_eq!(Severity::from_service_word("urgent-ish"), Severity::Warning);
        assert_eq!(Severity::from_service_word("critical"), Severity::Critical);
        assert!(Severity::Critical > Severity::High && Severity::Warning > Severity::Info);
    }

    #[test]
    fn selectors_match_by_name_and_every_tag() {
        let tags = vec!["payments".to_string(), "prod".to_string()];
        assert!(ServiceSelector::all().matches("orders", &[]));
        assert!(ServiceSelector::service("orders").matches("orders", &tags));
        assert!(!ServiceSelector::service("orders").matches("billing", &tags));
        let prod = ServiceSelector {
            service: None,
            tags: vec!["prod".into(), "payments".into()],
        };
        assert!(prod.matches("orders", &tags));
        assert!(!prod.matches("orders", &tags[..1]));
    }

    #[test]
    fn rules_export_as_alert_tables_that_read_back() {
        #[derive(Deserialize)]
        struct Alerts {
            alert: Vec<RuleSpec>,
        }
        let rules = crate::alerts::default_rules();
        let text = rules_to_toml(&rules).unwrap();
        assert!(text.contains("[[alert]]"), "{text}");
        let back: Alerts = toml::from_str(&text).unwrap();
        let reread: Vec<Rule> = back
            .alert
            .iter()
            .map(|spec| Rule::from_spec(spec, RuleOrigin::Default).unwrap())
            .collect();
        assert_eq!(reread, rules);
    }

    #[test]
    fn the_ui_types_have_typescript_twins() {
        let config = ts_rs::Config::default();
        let select = SelectSpec::decl(&config);
        assert!(
            select.contains("breaker_state?: boolean | string"),
            "{select}"
        );
        assert!(select.contains("series?: string"), "{select}");
        let spec = RuleSpec::decl(&config);
        assert!(spec.contains("for?: string"), "{spec}");
        let event = crate::alerts::AlertEvent::decl(&config);
        assert!(event.contains("rule: string"), "{event}");
        assert!(event.contains("at: string"), "{event}");
        let dir = tempfile::tempdir().unwrap();
        let config = config.with_out_dir(dir.path());
        crate::alerts::ActiveAlert::export_all(&config).unwrap();
        crate::alerts::Silence::export_all(&config).unwrap();
        RuleView::export_all(&config).unwrap();
        RuleError::export_all(&config).unwrap();
    }
}
