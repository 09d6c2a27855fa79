//! A rule's text form: the `[[alert]]` table and the UI's editor ([`RuleSpec`],
//! [`SelectSpec`]), read into a validated [`Rule`] and written back (TOML export, the
//! UI's list).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

use super::{
    Condition, Rule, RuleError, RuleField, RuleOrigin, Selector, ServiceSelector, Severity, Subject,
};
use crate::units::parse_duration;

impl Rule {
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
                    per_instance: match spec.select.per.as_deref().map(str::trim) {
                        None | Some("service") => false,
                        Some("instance") => true,
                        Some(other) => {
                            return Err(fail(
                                RuleField::Select,
                                format!("per = `{other}`: write `instance` (one alert per instance) or `service`"),
                            ))
                        }
                    },
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
            per: self
                .selector
                .services
                .per_instance
                .then(|| "instance".to_string()),
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
    /// `instance`: on a service of several instances, one alert per instance; `service`
    /// (the default): one for the service's combination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
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
