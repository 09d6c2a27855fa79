//! Thresholds a service declares about itself (`breaker-registry`'s
//! `/api/metrics/alerts/thresholds`) become rules of that service alone.

use std::time::Duration;

use super::rule::{
    Comparison, Condition, Rule, RuleOrigin, Selector, ServiceSelector, Severity, Subject,
};
use crate::model::ServiceThreshold;

/// How long a service's own threshold must stay crossed the other way before its alert
/// resolves: the service fires at once, but a value hovering on the line must not flap.
pub const IMPORTED_KEEP_FIRING: Duration = Duration::from_secs(60);

/// The normalised series a service's metric name stands for (docs/contracts.md,
/// "breaker-registry": the `/api/metrics/current` fields).
pub fn series_for_metric(metric: &str) -> String {
    match metric {
        "cpu_percent" => "system.cpu_percent".to_string(),
        "memory_percent" => "system.memory_percent".to_string(),
        "disk_percent" => "system.disk_percent".to_string(),
        other => format!("metrics.{other}"),
    }
}

/// One rule per threshold, named `<metric> <operator> <value>`, watching the matching
/// series of `service` only. A threshold with an operator that is not one of `>`, `>=`,
/// `<`, `<=`, `==` (or a value that is not finite) is skipped with a warning.
pub fn rules_from_service_thresholds(service: &str, thresholds: &[ServiceThreshold]) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::with_capacity(thresholds.len());
    for threshold in thresholds {
        let Some(op) = Comparison::parse(&threshold.operator) else {
            tracing::warn!(
                service,
                metric = threshold.metric,
                operator = threshold.operator,
                "a declared threshold has an operator the console does not know; not imported"
            );
            continue;
        };
        if !threshold.value.is_finite() || threshold.metric.trim().is_empty() {
            continue;
        }
        let condition = Condition::Compare {
            op,
            threshold: threshold.value,
        };
        let name = format!("{} {condition}", threshold.metric.trim());
        if rules.iter().any(|r| r.name == name) {
            continue;
        }
        let severity = Severity::from_service_word(&threshold.severity);
        rules.push(Rule {
            description: format!(
                "Threshold declared by {service}: {name} ({})",
                threshold.severity
            ),
            name,
            selector: Selector {
                services: ServiceSelector::service(service),
                subject: Subject::Series(series_for_metric(threshold.metric.trim())),
            },
            condition,
            for_duration: Duration::ZERO,
            recover: None,
            keep_firing: IMPORTED_KEEP_FIRING,
            severity,
            origin: RuleOrigin::Service {
                service: service.to_string(),
            },
        });
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold(metric: &str, operator: &str, value: f64, severity: &str) -> ServiceThreshold {
        ServiceThreshold {
            metric: metric.into(),
            operator: operator.into(),
            value,
            severity: severity.into(),
        }
    }

    #[test]
    fn breaker_registry_thresholds_become_rules_of_that_service() {
        let rules = rules_from_service_thresholds(
            "orders",
            &[
                threshold("cpu_percent", ">", 80.0, "high"),
                threshold("memory_percent", ">", 90.0, "critical"),
                threshold("disk_percent", ">", 85.0, "medium"),
                threshold("response_time_ms", ">=", 500.0, "whatever"),
                threshold("cpu_percent", "~", 1.0, "high"),
            ],
        );
        let summary: Vec<_> = rules
            .iter()
            .map(|r| (r.name.as_str(), r.selector.subject.describe(), r.severity))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "cpu_percent > 80",
                    "system.cpu_percent".to_string(),
                    Severity::High
                ),
                (
                    "memory_percent > 90",
                    "system.memory_percent".to_string(),
                    Severity::Critical
                ),
                (
                    "disk_percent > 85",
                    "system.disk_percent".to_string(),
                    Severity::Warning
                ),
                (
                    "response_time_ms >= 500",
                    "metrics.response_time_ms".to_string(),
                    Severity::Warning
                ),
            ]
        );
        for rule in &rules {
            rule.validate().unwrap();
            assert_eq!(
                rule.origin,
                RuleOrigin::Service {
                    service: "orders".into()
                }
            );
            assert!(rule.selector.services.matches("orders", &[]));
            assert!(!rule.selector.services.matches("billing", &[]));
        }
    }
}
