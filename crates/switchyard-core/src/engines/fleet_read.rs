//! One refresh of a whole fleet from an engine: the handful of aggregated queries of
//! docs/contracts.md ("Engines": `up`, breaker states in both Resilience4j forms,
//! failure rates, bulkhead queue depth and capacity, cache hit rate by service and
//! instance), each with the configured selector merged in and never one per service,
//! asked together and grouped by the service label, then by the instance label.

use std::collections::BTreeMap;
use std::time::Duration;

use super::api::{Answer, EngineApi, InstantSeries, QueryError};
use crate::config::EngineConfig;
use crate::model::aggregate::InstanceReading;
use crate::model::{Breaker, BreakerState, HealthStatus, Reachability, Sample};

/// What a query of the refresh asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Up,
    /// The 1.x form's `closed` series: every breaker, 1 when closed, 0 when not.
    BreakerClosed,
    /// The 1.x form's other states (the `state` label names it, 1 for the state in
    /// force), asked only for the services with a breaker not closed.
    BreakerState,
    /// The 0.x form: one series per breaker without a `state` label, 0/1/2.
    BreakerStateLegacy,
    FailureRate,
    QueueDepth,
    QueueCapacity,
    CacheHitRate,
}

impl Asked {
    /// The word a problem with this query is shown under.
    pub fn as_str(self) -> &'static str {
        match self {
            Asked::Up => "up",
            Asked::BreakerClosed => "breaker states",
            Asked::BreakerState => "breaker states (not closed)",
            Asked::BreakerStateLegacy => "breaker states (0.x form)",
            Asked::FailureRate => "failure rates",
            Asked::QueueDepth => "queue depths",
            Asked::QueueCapacity => "queue capacities",
            Asked::CacheHitRate => "cache hit rates",
        }
    }
}

/// One query of the refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetQuery {
    pub asked: Asked,
    pub promql: String,
}

/// `metric{selector, extra}`.
fn select(metric: &str, selector: Option<&str>, extra: &str) -> String {
    let parts: Vec<&str> = [selector.unwrap_or(""), extra]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    format!("{metric}{{{}}}", parts.join(", "))
}

/// Above this many services with a breaker not closed, the second look at breaker
/// states asks for every service instead of naming them.
const NAMED_SERVICES_MAX: usize = 200;

/// The refresh's first queries for `engine`: seven, whatever the fleet's size. Breaker
/// states in the 1.x form are read in two steps because an engine's cost is the series
/// it loads, not the ones it returns: every breaker's `closed` series first (one in six
/// of the state series), then the other states only for the services where a breaker is
/// not closed ([`not_closed_query`]).
pub fn fleet_queries(engine: &EngineConfig) -> Vec<FleetQuery> {
    let sel = engine.selector.as_deref();
    let by = format!("{}, {}", engine.service_label, engine.instance_label);
    let query = |asked, promql: String| FleetQuery { asked, promql };
    vec![
        query(Asked::Up, select("up", sel, "")),
        query(
            Asked::BreakerClosed,
            select("resilience4j_circuitbreaker_state", sel, "state=\"closed\""),
        ),
        query(
            Asked::BreakerStateLegacy,
            select("resilience4j_circuitbreaker_state", sel, "state=\"\""),
        ),
        query(
            Asked::FailureRate,
            select("resilience4j_circuitbreaker_failure_rate", sel, ""),
        ),
        query(
            Asked::QueueDepth,
            format!(
                "sum by ({by}) ({})",
                select("resilience4j_bulkhead_queue_depth", sel, "")
            ),
        ),
        query(
            Asked::QueueCapacity,
            format!(
                "sum by ({by}) ({})",
                select("resilience4j_bulkhead_queue_capacity", sel, "")
            ),
        ),
        query(
            Asked::CacheHitRate,
            format!(
                "sum by ({by}) (rate({}[5m])) / sum by ({by}) (rate({}[5m]))",
                select("cache_gets_total", sel, "result=\"hit\""),
                select("cache_gets_total", sel, "")
            ),
        ),
    ]
}

/// The second look at breaker states: which state is in force for the breakers not
/// closed, asked only of `services` (all services when there are many).
pub fn not_closed_query(engine: &EngineConfig, services: &[String]) -> Option<FleetQuery> {
    if services.is_empty() {
        return None;
    }
    let mut extra = String::from("state!=\"closed\"");
    if services.len() <= NAMED_SERVICES_MAX {
        let names: Vec<String> = services.iter().map(|s| regex_escape(s)).collect();
        extra = format!(
            "{}=~\"{}\", {extra}",
            engine.service_label,
            promql_string(&names.join("|"))
        );
    }
    Some(FleetQuery {
        asked: Asked::BreakerState,
        promql: format!(
            "{} == 1",
            select(
                "resilience4j_circuitbreaker_state",
                engine.selector.as_deref(),
                &extra
            )
        ),
    })
}

/// A literal for an RE2 regular expression.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The inside of a PromQL double-quoted string.
fn promql_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One service's instances as the engine reported them.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceReading {
    /// The service label's value, as it is (it need not look like a configured name).
    pub name: String,
    pub instances: Vec<InstanceReading>,
}

/// What one refresh read.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetRound {
    pub services: Vec<ServiceReading>,
    /// Every query's warnings, each once.
    pub warnings: Vec<String>,
    /// The queries that failed while `up` answered: their part of the picture is missing.
    pub problems: Vec<(Asked, QueryError)>,
    pub queries: usize,
    /// The slowest query's time: the refresh's, since they are asked together.
    pub latency: Duration,
}

/// Asks every query of the refresh at once, at `time` (unix seconds). Fails when `up`
/// fails: without it the engine cannot be said to have answered.
pub async fn read_fleet(
    api: &EngineApi,
    engine: &EngineConfig,
    time: f64,
) -> Result<FleetRound, QueryError> {
    let queries = fleet_queries(engine);
    let answers =
        futures::future::join_all(queries.iter().map(|q| api.query(&q.promql, time))).await;
    let mut grouping = Grouping::new(engine);
    let mut warnings: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    let mut latency = Duration::ZERO;
    for (query, answer) in queries.iter().zip(answers) {
        match answer {
            Ok(Answer {
                result,
                warnings: said,
                latency: took,
            }) => {
                latency = latency.max(took);
                for warning in said {
                    if !warnings.contains(&warning) {
                        warnings.push(warning);
                    }
                }
                grouping.take(query.asked, result);
            }
            Err(error) if query.asked == Asked::Up || engine_gone(&error) => return Err(error),
            Err(error) => problems.push((query.asked, error)),
        }
    }
    let mut asked = queries.len();
    if let Some(second) = not_closed_query(engine, &grouping.not_closed()) {
        asked += 1;
        match api.query(&second.promql, time).await {
            Ok(answer) => {
                latency += answer.latency;
                for warning in answer.warnings {
                    if !warnings.contains(&warning) {
                        warnings.push(warning);
                    }
                }
                grouping.take(second.asked, answer.result);
            }
            // The engine went away between the looks: the refresh failed (its services
            // keep their last values, stale), rather than breakers read as unknown.
            Err(error) if engine_gone(&error) => return Err(error),
            Err(error) => problems.push((second.asked, error)),
        }
    }
    Ok(FleetRound {
        services: grouping.finish(),
        warnings,
        problems,
        queries: asked,
        latency,
    })
}

/// Whether `error` says the engine cannot be reached at all (refused, no answer in
/// time, the connection broken off mid-answer: what a killed engine gives, on a new
/// connection or on one kept alive from the previous query), as opposed to one query it
/// could not answer: then nothing of the refresh is trusted.
fn engine_gone(error: &QueryError) -> bool {
    match error {
        QueryError::Unreachable(reachability) => {
            matches!(
                reachability,
                Reachability::Refused { .. } | Reachability::Timeout { .. }
            ) || reachability.is_broken_off()
        }
        _ => false,
    }
}

/// The 1.x `state` label's word.
fn state_word(word: &str) -> BreakerState {
    match word.to_ascii_lowercase().replace('-', "_").as_str() {
        "closed" => BreakerState::Closed,
        "open" => BreakerState::Open,
        "half_open" => BreakerState::HalfOpen,
        "forced_open" => BreakerState::ForcedOpen,
        "disabled" => BreakerState::Disabled,
        "metrics_only" => BreakerState::MetricsOnly,
        _ => BreakerState::Unknown,
    }
}

/// The 0.x form's value.
fn state_value(value: f64) -> BreakerState {
    match value as i64 {
        _ if !value.is_finite() => BreakerState::Unknown,
        0 => BreakerState::Closed,
        1 => BreakerState::Open,
        2 => BreakerState::HalfOpen,
        3 => BreakerState::Disabled,
        4 => BreakerState::ForcedOpen,
        _ => BreakerState::Unknown,
    }
}

#[derive(Default)]
struct Instance {
    up: Option<bool>,
    breakers: BTreeMap<String, Breaker>,
    samples: Vec<Sample>,
}

/// Answers sorted into service → instance → what is known.
struct Grouping<'a> {
    engine: &'a EngineConfig,
    services: BTreeMap<String, BTreeMap<String, Instance>>,
}

impl<'a> Grouping<'a> {
    fn new(engine: &'a EngineConfig) -> Grouping<'a> {
        Grouping {
            engine,
            services: BTreeMap::new(),
        }
    }

    fn slot(&mut self, series: &InstantSeries) -> Option<&mut Instance> {
        let service = series.labels.get(&self.engine.service_label)?;
        if service.is_empty() {
            return None;
        }
        let instance = series
            .labels
            .get(&self.engine.instance_label)
            .cloned()
            .unwrap_or_default();
        Some(
            self.services
                .entry(service.clone())
                .or_default()
                .entry(instance)
                .or_default(),
        )
    }

    fn take(&mut self, asked: Asked, result: Vec<InstantSeries>) {
        for series in result {
            let breaker_name = series.labels.get("name").cloned().unwrap_or_default();
            let state_label = series.labels.get("state").cloned();
            let value = series.value;
            let Some(slot) = self.slot(&series) else {
                continue;
            };
            match asked {
                Asked::Up => {
                    let up = value >= 1.0;
                    // Two scrapes of one instance: down if either is.
                    slot.up = Some(slot.up.map_or(up, |was| was && up));
                }
                Asked::BreakerClosed | Asked::BreakerState | Asked::BreakerStateLegacy => {
                    let state = match (asked, state_label) {
                        // Not closed: which state, the second look says.
                        (Asked::BreakerClosed, _) if value >= 1.0 => BreakerState::Closed,
                        (Asked::BreakerClosed, _) => BreakerState::Unknown,
                        (Asked::BreakerState, Some(word)) => state_word(&word),
                        _ => state_value(value),
                    };
                    slot.breakers
                        .entry(breaker_name.clone())
                        .and_modify(|b| b.state = state)
                        .or_insert_with(|| Breaker::new(&breaker_name, state));
                }
                Asked::FailureRate => {
                    // Resilience4j says -1 until enough calls were made.
                    if let Some(breaker) = slot.breakers.get_mut(&breaker_name) {
                        breaker.failure_rate =
                            (value.is_finite() && value >= 0.0).then_some(value / 100.0);
                    }
                }
                Asked::QueueDepth => push(&mut slot.samples, "queue.depth", value),
                Asked::QueueCapacity => push(&mut slot.samples, "queue.capacity", value),
                Asked::CacheHitRate => push(&mut slot.samples, "cache.hit_rate", value),
            }
        }
    }

    /// The services with a breaker whose `closed` series said 0.
    fn not_closed(&self) -> Vec<String> {
        self.services
            .iter()
            .filter(|(_, instances)| {
                instances.values().any(|i| {
                    i.breakers
                        .values()
                        .any(|b| b.state == BreakerState::Unknown)
                })
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    fn finish(self) -> Vec<ServiceReading> {
        self.services
            .into_iter()
            .map(|(name, instances)| ServiceReading {
                name,
                instances: instances
                    .into_iter()
                    .map(|(name, instance)| InstanceReading {
                        name,
                        health: match instance.up {
                            Some(true) => HealthStatus::Ok,
                            Some(false) => HealthStatus::Down,
                            None => HealthStatus::Unknown,
                        },
                        breakers: instance.breakers.into_values().collect(),
                        samples: instance.samples,
                    })
                    .collect(),
            })
            .collect()
    }
}

fn push(samples: &mut Vec<Sample>, series: &str, value: f64) {
    if value.is_finite() {
        samples.push(Sample {
            series: series.to_string(),
            value,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_and_labels_go_into_every_query() {
        let mut engine = EngineConfig::new("prod", "http://x");
        engine.selector = Some("namespace=\"payments\"".into());
        engine.service_label = "service".into();
        let queries = fleet_queries(&engine);
        assert_eq!(queries.len(), 7);
        assert!(queries
            .iter()
            .all(|q| q.promql.contains("namespace=\"payments\"")));
        assert_eq!(queries[0].promql, "up{namespace=\"payments\"}");
        assert_eq!(
            queries[1].promql,
            "resilience4j_circuitbreaker_state{namespace=\"payments\", state=\"closed\"}"
        );
        let second = not_closed_query(&engine, &["orders".into(), "a.b (eu)\"".into()]).unwrap();
        assert_eq!(
            second.promql,
            r#"resilience4j_circuitbreaker_state{namespace="payments", service=~"orders|a\\.b \\(eu\\)\"", state!="closed"} == 1"#
        );
        assert_eq!(not_closed_query(&engine, &[]), None);
        let many: Vec<String> = (0..500).map(|i| format!("svc-{i}")).collect();
        assert!(!not_closed_query(&engine, &many)
            .unwrap()
            .promql
            .contains("=~"));
        assert!(queries[6].promql.starts_with("sum by (service, instance) (rate(cache_gets_total{namespace=\"payments\", result=\"hit\"}[5m]))"));
        let plain = fleet_queries(&EngineConfig::new("prod", "http://x"));
        assert_eq!(plain[0].promql, "up{}");
    }

    fn series(labels: &[(&str, &str)], value: f64) -> InstantSeries {
        InstantSeries {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn answers_group_by_service_then_instance_in_both_breaker_forms() {
        let engine = EngineConfig::new("prod", "http://x");
        let mut grouping = Grouping::new(&engine);
        grouping.take(
            Asked::Up,
            vec![
                series(&[("job", "orders"), ("instance", "a:1")], 1.0),
                series(&[("job", "orders"), ("instance", "b:1")], 0.0),
                series(&[("job", "Payments API ✓"), ("instance", "c:1")], 1.0),
                series(&[("instance", "nameless:1")], 1.0),
            ],
        );
        grouping.take(
            Asked::BreakerState,
            vec![series(
                &[
                    ("job", "orders"),
                    ("instance", "a:1"),
                    ("name", "db"),
                    ("state", "open"),
                ],
                1.0,
            )],
        );
        grouping.take(
            Asked::BreakerStateLegacy,
            vec![series(
                &[
                    ("job", "Payments API ✓"),
                    ("instance", "c:1"),
                    ("name", "db"),
                ],
                2.0,
            )],
        );
        grouping.take(
            Asked::FailureRate,
            vec![series(
                &[("job", "orders"), ("instance", "a:1"), ("name", "db")],
                62.5,
            )],
        );
        let services = grouping.finish();
        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["Payments API ✓", "orders"]);
        let orders = &services[1];
        assert_eq!(orders.instances[0].health, HealthStatus::Ok);
        assert_eq!(orders.instances[1].health, HealthStatus::Down);
        let db = &orders.instances[0].breakers[0];
        assert_eq!(
            (db.state, db.failure_rate),
            (BreakerState::Open, Some(0.625))
        );
        assert_eq!(
            services[0].instances[0].breakers[0].state,
            BreakerState::HalfOpen
        );
    }
}
