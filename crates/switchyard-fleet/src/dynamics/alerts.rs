//! Alert thresholds and the alerts they raise: `breaker-registry`'s own
//! alert rules, editable over HTTP, evaluated against its current metrics.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operator {
    Above,
    AtLeast,
    Below,
    AtMost,
    Equal,
}

impl Operator {
    const WORDS: [(&'static str, Operator); 10] = [
        (">", Operator::Above),
        (">=", Operator::AtLeast),
        ("<", Operator::Below),
        ("<=", Operator::AtMost),
        ("==", Operator::Equal),
        ("gt", Operator::Above),
        ("gte", Operator::AtLeast),
        ("lt", Operator::Below),
        ("lte", Operator::AtMost),
        ("eq", Operator::Equal),
    ];

    fn as_str(self) -> &'static str {
        match self {
            Operator::Above => ">",
            Operator::AtLeast => ">=",
            Operator::Below => "<",
            Operator::AtMost => "<=",
            Operator::Equal => "==",
        }
    }

    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Operator::Above => value > threshold,
            Operator::AtLeast => value >= threshold,
            Operator::Below => value < threshold,
            Operator::AtMost => value <= threshold,
            Operator::Equal => value == threshold,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    const WORDS: [(&'static str, Severity); 4] = [
        ("low", Severity::Low),
        ("medium", Severity::Medium),
        ("high", Severity::High),
        ("critical", Severity::Critical),
    ];

    fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// How much an alert of this severity takes off the health score.
    pub(crate) fn penalty(self) -> u32 {
        match self {
            Severity::Low => 2,
            Severity::Medium => 5,
            Severity::High => 10,
            Severity::Critical => 20,
        }
    }
}

/// One rule, in the shape `GET /api/metrics/alerts/thresholds` serves and
/// `POST` accepts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Threshold {
    pub(crate) metric: String,
    #[serde(serialize_with = "operator_word")]
    operator: Operator,
    /// Whole numbers are served as integers (`80`), as the contract shows.
    #[serde(serialize_with = "plain_number")]
    pub(crate) value: f64,
    #[serde(serialize_with = "severity_word")]
    pub(crate) severity: Severity,
}

/// The body of `POST /api/metrics/alerts/thresholds`, checked by
/// [`ThresholdRequest::into_threshold`].
#[derive(Debug, Deserialize)]
pub(crate) struct ThresholdRequest {
    metric: String,
    operator: String,
    value: f64,
    severity: String,
}

impl ThresholdRequest {
    pub(crate) fn into_threshold(self) -> Result<Threshold, String> {
        let metric = self.metric.trim().to_owned();
        if metric.is_empty() {
            return Err("metric must not be empty".to_owned());
        }
        let operator = Operator::WORDS
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(self.operator.trim()))
            .map(|(_, operator)| *operator)
            .ok_or_else(|| {
                format!(
                    "unknown operator {:?}; expected >, >=, <, <= or ==",
                    self.operator
                )
            })?;
        let severity = crate::words::pick(&self.severity, &Severity::WORDS, "severity")?;
        Ok(Threshold {
            metric,
            operator,
            value: self.value,
            severity,
        })
    }
}

fn operator_word<S: Serializer>(operator: &Operator, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(operator.as_str())
}

fn severity_word<S: Serializer>(severity: &Severity, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(severity.as_str())
}

fn plain_number<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// One threshold currently crossed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Alert {
    pub(crate) metric: String,
    pub(crate) value: f64,
    pub(crate) threshold: f64,
    pub(crate) severity: Severity,
    /// When the metric crossed it, as time since start.
    pub(crate) since: Duration,
}

impl Alert {
    pub(crate) fn severity_word(&self) -> &'static str {
        self.severity.as_str()
    }
}

/// The rules and, for each crossed one, since when.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AlertRules {
    thresholds: Vec<Threshold>,
    /// Metric name → when its threshold was first seen crossed.
    since: BTreeMap<String, Duration>,
}

impl AlertRules {
    /// The contract's three defaults: CPU over 80 (high), memory over 90
    /// (critical), disk over 85 (medium).
    pub(crate) fn defaults() -> Self {
        let rule = |metric: &str, value, severity| Threshold {
            metric: metric.to_owned(),
            operator: Operator::Above,
            value,
            severity,
        };
        AlertRules {
            thresholds: vec![
                rule("cpu_percent", 80.0, Severity::High),
                rule("memory_percent", 90.0, Severity::Critical),
                rule("disk_percent", 85.0, Severity::Medium),
            ],
            since: BTreeMap::new(),
        }
    }

    pub(crate) fn thresholds(&self) -> &[Threshold] {
        &self.thresholds
    }

    /// Adds a rule; one for the same metric is replaced, since rules are
    /// addressed by metric (`DELETE …/thresholds/{metric}`).
    pub(crate) fn upsert(&mut self, threshold: Threshold) {
        self.since.remove(&threshold.metric);
        match self
            .thresholds
            .iter_mut()
            .find(|t| t.metric == threshold.metric)
        {
            Some(existing) => *existing = threshold,
            None => self.thresholds.push(threshold),
        }
    }

    /// Removes the rule for `metric`; false when there was none.
    pub(crate) fn remove(&mut self, metric: &str) -> bool {
        let before = self.thresholds.len();
        self.thresholds.retain(|t| t.metric != metric);
        self.since.remove(metric);
        self.thresholds.len() != before
    }

    /// Notes which rules `value_of` crosses at `now`, keeping the start of
    /// every breach that continues.
    pub(crate) fn evaluate(&mut self, value_of: impl Fn(&str) -> Option<f64>, now: Duration) {
        for threshold in &self.thresholds {
            let crossed = value_of(&threshold.metric)
                .is_some_and(|value| threshold.operator.holds(value, threshold.value));
            if crossed {
                self.since.entry(threshold.metric.clone()).or_insert(now);
            } else {
                self.since.remove(&threshold.metric);
            }
        }
    }

    /// The alerts in force, as of the last evaluation, with current values.
    pub(crate) fn alerts(&self, value_of: impl Fn(&str) -> Option<f64>) -> Vec<Alert> {
        self.thresholds
            .iter()
            .filter_map(|threshold| {
                let since = *self.since.get(&threshold.metric)?;
                Some(Alert {
                    metric: threshold.metric.clone(),
                    value: value_of(&threshold.metric)?,
                    threshold: threshold.value,
                    severity: threshold.severity,
                    since,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(cpu: f64) -> impl Fn(&str) -> Option<f64> {
        move |metric| match metric {
            "cpu_percent" => Some(cpu),
            "memory_percent" => Some(61.0),
            _ => None,
        }
    }

    #[test]
    fn a_breach_keeps_its_start_until_it_ends() {
        let mut rules = AlertRules::defaults();
        rules.evaluate(values(35.0), Duration::from_secs(1));
        assert!(rules.alerts(values(35.0)).is_empty());
        rules.evaluate(values(91.0), Duration::from_secs(2));
        rules.evaluate(values(92.0), Duration::from_secs(3));
        let alerts = rules.alerts(values(92.0));
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].metric, "cpu_percent");
        assert_eq!(alerts[0].since, Duration::from_secs(2));
        assert_eq!(alerts[0].severity_word(), "high");
        rules.evaluate(values(40.0), Duration::from_secs(4));
        assert!(rules.alerts(values(40.0)).is_empty());
    }

    #[test]
    fn thresholds_are_added_replaced_and_removed_by_metric() {
        let mut rules = AlertRules::defaults();
        let request: Result<ThresholdRequest, _> = serde_json::from_str(
            r#"{"metric": "cpu_percent", "operator": ">=", "value": 30, "severity": "Critical"}"#,
        );
        let threshold = request
            .map_err(|e| e.to_string())
            .and_then(|r| r.into_threshold());
        assert!(threshold.is_ok());
        if let Ok(threshold) = threshold {
            rules.upsert(threshold);
        }
        assert_eq!(rules.thresholds().len(), 3);
        rules.evaluate(values(35.0), Duration::ZERO);
        assert_eq!(rules.alerts(values(35.0))[0].severity_word(), "critical");
        assert!(rules.remove("disk_percent"));
        assert!(!rules.remove("disk_percent"));
        assert_eq!(rules.thresholds().len(), 2);
    }

    #[test]
    fn whole_values_serialise_as_integers() {
        let rules = AlertRules::defaults();
        let json = serde_json::to_value(rules.thresholds()).unwrap_or_default();
        assert_eq!(
            json[0],
            serde_json::json!({"metric": "cpu_percent", "operator": ">", "value": 80, "severity": "high"})
        );
    }

    #[test]
    fn bad_threshold_requests_are_refused() {
        for body in [
            r#"{"metric": "", "operator": ">", "value": 1, "severity": "low"}"#,
            r#"{"metric": "cpu", "operator": "~", "value": 1, "severity": "low"}"#,
            r#"{"metric": "cpu", "operator": ">", "value": 1, "severity": "dire"}"#,
        ] {
            let request: Result<ThresholdRequest, _> = serde_json::from_str(body);
            assert!(
                request
                    .map(|r| r.into_threshold().is_err())
                    .unwrap_or(false),
                "{body}"
            );
        }
    }
}
