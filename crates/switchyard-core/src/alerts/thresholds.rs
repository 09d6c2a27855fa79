//! The threshold lines a chart draws: the numeric rules watching a series on a service,
//! each shaded on the side that fires. The dashboard and the snapshot draw the same ones.

use super::{Comparison, Condition, Rule, Subject};
use crate::charts::{Breach, Threshold};
use crate::model::ServiceState;

/// The lines a chart of `series` on `service` should draw: the thresholds of the rules
/// watching that series there (the imported ones included), each shaded on the side
/// that fires.
pub fn chart_thresholds(rules: &[Rule], state: &ServiceState, series: &str) -> Vec<Threshold> {
    rule_thresholds(rules, &state.name, &state.tags, series)
}

/// The numeric rules watching `series` on a service with these tags, as chart lines
/// (the dashboard and the snapshot draw the same ones).
pub fn rule_thresholds(
    rules: &[Rule],
    service: &str,
    tags: &[String],
    series: &str,
) -> Vec<Threshold> {
    rules
        .iter()
        .filter(|r| r.selector.services.matches(service, tags))
        .filter(|r| matches!(&r.selector.subject, Subject::Series(s) if s == series))
        .filter_map(|r| match r.condition {
            Condition::Compare { op, threshold } => Some(Threshold {
                label: r.name.clone(),
                value: threshold,
                breach: match op {
                    Comparison::Gt | Comparison::Ge => Some(Breach::Above),
                    Comparison::Lt | Comparison::Le => Some(Breach::Below),
                    Comparison::Eq => None,
                },
            }),
            Condition::StateIs(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::alerts::rule_set::tests::spec;
    use crate::alerts::rules_from_specs;

    fn state(name: &str, tags: &[&str]) -> ServiceState {
        ServiceState {
            name: name.into(),
            profile: "breaker-registry".into(),
            base_url: "http://127.0.0.1:1".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            poll_interval_ms: 1000.0,
            latest: None,
            last_good: None,
            consecutive_failures: 0,
            round_started_at: None,
            streams: vec![],
            engine: None,
            replicas: None,
        }
    }

    #[test]
    fn chart_thresholds_come_from_the_rules_watching_that_series_there() {
        let mut rules = rules_from_specs(&[spec("cpu", "> 90"), spec("cpu idle", "<= 5")]).unwrap();
        let mut prod_only = spec("cpu prod", "== 50");
        prod_only.select.tags = vec!["prod".into()];
        rules.extend(rules_from_specs(&[prod_only]).unwrap());
        rules.extend(crate::alerts::rules_from_service_thresholds(
            "registry",
            &[crate::model::ServiceThreshold {
                metric: "cpu_percent".into(),
                operator: ">".into(),
                value: 80.0,
                severity: "high".into(),
            }],
        ));
        let lines = |service: &ServiceState| -> Vec<(String, f64, Option<Breach>)> {
            chart_thresholds(&rules, service, "system.cpu_percent")
                .into_iter()
                .map(|t| (t.label, t.value, t.breach))
                .collect()
        };
        assert_eq!(
            lines(&state("registry", &[])),
            [
                ("cpu".to_string(), 90.0, Some(Breach::Above)),
                ("cpu idle".to_string(), 5.0, Some(Breach::Below)),
                ("cpu_percent > 80".to_string(), 80.0, Some(Breach::Above)),
            ]
        );
        assert_eq!(
            lines(&state("orders", &["prod"])).len(),
            3,
            "cpu, cpu idle, cpu prod"
        );
        assert!(chart_thresholds(&rules, &state("orders", &[]), "cache.hit_rate").is_empty());
    }
}
