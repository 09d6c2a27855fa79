//! A rule set as the window's editor and the history hold it: built and validated from
//! its text form (every bad rule reported at once, with its field), and read back from
//! the TOML the history keeps.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{default_rules, Rule, RuleError, RuleField, RuleOrigin, RuleSpec};

/// A rule set refused: every bad rule, so the editor can mark them all at once.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize, TS)]
#[error("{}", describe_errors(.errors))]
pub struct RulesRejected {
    pub errors: Vec<RuleError>,
}

fn describe_errors(errors: &[RuleError]) -> String {
    match errors {
        [] => "the rules were refused".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// Builds and validates the configured and default rules from their text form (the
/// UI's editor). A rule identical to a built-in one keeps the `default` origin; names
/// must be unique. Rules that services declare are not edited here.
pub fn rules_from_specs(specs: &[RuleSpec]) -> Result<Vec<Rule>, RulesRejected> {
    let defaults = default_rules();
    let mut rules = Vec::with_capacity(specs.len());
    let mut errors = Vec::new();
    for spec in specs {
        match Rule::from_spec(spec, RuleOrigin::Config) {
            Ok(mut rule) => {
                let as_default = Rule {
                    origin: RuleOrigin::Default,
                    ..rule.clone()
                };
                if defaults.contains(&as_default) {
                    rule.origin = RuleOrigin::Default;
                }
                rules.push(rule);
            }
            Err(e) => errors.push(e),
        }
    }
    let mut seen = HashSet::new();
    for rule in &rules {
        if !seen.insert(rule.name.as_str()) {
            errors.push(RuleError {
                rule: rule.name.clone(),
                field: RuleField::Name,
                message: "another rule has this name; names must be unique".to_string(),
            });
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RulesRejected { errors })
    }
}

/// Reads rules written by [`rules_to_toml`] (the saved set, an exported file).
pub fn rules_from_toml(text: &str) -> Result<Vec<Rule>, String> {
    #[derive(Deserialize)]
    struct Alerts {
        #[serde(default)]
        alert: Vec<RuleSpec>,
    }
    let alerts: Alerts = toml::from_str(text).map_err(|e| e.to_string())?;
    rules_from_specs(&alerts.alert).map_err(|e| e.to_string())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    use crate::alerts::{rules_to_toml, SelectSpec, Target};

    /// A CPU rule in its text form, as the editor sends one.
    pub(in crate::alerts) fn spec(name: &str, when: &str) -> RuleSpec {
        RuleSpec {
            name: name.into(),
            select: SelectSpec {
                series: Some("system.cpu_percent".into()),
                ..SelectSpec::default()
            },
            when: when.into(),
            for_duration: Some("2m".into()),
            severity: Some("high".into()),
            ..RuleSpec::default()
        }
    }

    #[test]
    fn the_defaults_read_back_as_defaults_and_an_edit_becomes_config() {
        let mut specs: Vec<RuleSpec> = default_rules().iter().map(Rule::to_spec).collect();
        let rules = rules_from_specs(&specs).unwrap();
        assert_eq!(rules, default_rules());

        let cpu = specs.iter_mut().find(|s| s.name == "cpu high").unwrap();
        cpu.when = "> 95".into();
        let rules = rules_from_specs(&specs).unwrap();
        let cpu = rules.iter().find(|r| r.name == "cpu high").unwrap();
        assert_eq!(cpu.origin, RuleOrigin::Config);
        assert!(rules
            .iter()
            .filter(|r| r.name != "cpu high")
            .all(|r| r.origin == RuleOrigin::Default));
    }

    #[test]
    fn every_bad_rule_is_reported_with_its_field() {
        let mut breaker = spec("breaker flapping", "> 3");
        breaker.select = SelectSpec {
            breaker_state: Some(Target::All),
            ..SelectSpec::default()
        };
        breaker.when = "state is sideways".into();
        let mut slow = spec("slow", "> 1");
        slow.for_duration = Some("soon".into());
        let rejected = rules_from_specs(&[spec("cpu", "> 90"), breaker, slow, spec("cpu", "> 95")])
            .unwrap_err();
        let fields: Vec<(&str, RuleField)> = rejected
            .errors
            .iter()
            .map(|e| (e.rule.as_str(), e.field))
            .collect();
        assert_eq!(
            fields,
            [
                ("breaker flapping", RuleField::When),
                ("slow", RuleField::For),
                ("cpu", RuleField::Name),
            ]
        );
        assert!(rejected.to_string().contains("(and 2 more)"), "{rejected}");
    }

    #[test]
    fn saved_rules_read_back_from_their_toml() {
        let rules = rules_from_specs(&[spec("cpu", "> 90"), spec("cpu hot", ">= 99")]).unwrap();
        let text = rules_to_toml(&rules).unwrap();
        assert_eq!(rules_from_toml(&text).unwrap(), rules);
        assert_eq!(rules_from_toml("").unwrap(), Vec::new());
        assert!(rules_from_toml("[[alert]]\nname = 1").is_err());
    }
}
