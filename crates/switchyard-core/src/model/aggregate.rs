//! One service from its instances, for a service a team's engine reports and for one
//! the console polls at several addresses alike. Health follows a [`HealthRule`]: the
//! worst instance decides, or a quorum of instances must be up; either way some
//! instances down reads "2 of 5 instances down". Each breaker takes its worst state
//! across instances, with how many share it ("open on 2 of 5 instances"); counts are
//! summed, the cache hit rate is the summed hits over the summed reads when every
//! instance counts them, and other ratios are averaged. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{
    Breaker, BreakerState, Health, HealthStatus, InstanceView, Observation, Reachability, Sample,
};

/// What one instance says this round.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceReading {
    pub name: String,
    /// `Unknown` when nothing says whether it is up.
    pub health: HealthStatus,
    pub breakers: Vec<Breaker>,
    pub samples: Vec<Sample>,
}

/// A service summed up from its instances.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregated {
    pub observation: Observation,
    pub instances: Vec<InstanceView>,
    /// "2 of 5 instances down", when some are.
    pub summary: Option<String>,
}

/// How bad a breaker state is, for picking the worst across instances.
fn severity(state: BreakerState) -> u8 {
    match state {
        BreakerState::Open | BreakerState::ForcedOpen => 4,
        BreakerState::HalfOpen => 3,
        BreakerState::Unknown => 2,
        BreakerState::Disabled | BreakerState::MetricsOnly => 1,
        BreakerState::Closed => 0,
    }
}

/// Ratios (`cache.hit_rate`, percents) are averaged over instances; counts are summed.
fn is_ratio(series: &str) -> bool {
    series.ends_with("rate") || series.ends_with("percent") || series.ends_with("utilization")
}

/// How a service's health follows from its instances'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthRule {
    /// The worst instance decides: one down is the service down.
    Worst,
    /// Down when fewer than this many instances are up; degraded while some are down.
    Quorum(usize),
}

/// Sums `instances` up into one observation of `service`.
pub fn aggregate(
    service: &str,
    profile: &str,
    instances: &[InstanceReading],
    observed_at: DateTime<Utc>,
    reachability: Reachability,
    rule: HealthRule,
) -> Aggregated {
    let total = instances.len();
    let down = instances
        .iter()
        .filter(|i| i.health == HealthStatus::Down)
        .count();
    let known = instances
        .iter()
        .filter(|i| i.health != HealthStatus::Unknown)
        .count();
    let needed = match rule {
        HealthRule::Worst => total,
        HealthRule::Quorum(quorum) => quorum.min(total),
    };
    let status = if known == 0 {
        HealthStatus::Unknown
    } else if total - down < needed.max(1) {
        HealthStatus::Down
    } else if down > 0 || instances.iter().any(|i| i.health == HealthStatus::Degraded) {
        HealthStatus::Degraded
    } else if known == total {
        HealthStatus::Ok
    } else {
        // Some instances unknown, none down: what is known is fine.
        HealthStatus::Ok
    };
    let summary = (down > 0).then(|| {
        if total == 1 {
            "the instance is down".to_string()
        } else {
            format!("{down} of {total} instances down")
        }
    });

    let breakers = aggregate_breakers(instances);
    let samples = aggregate_samples(instances);
    let views = instances
        .iter()
        .map(|i| InstanceView {
            name: i.name.clone(),
            health: i.health,
            breakers: i
                .breakers
                .iter()
                .map(|b| (b.name.clone(), b.state))
                .collect(),
        })
        .collect();
    let observation = Observation {
        service: service.to_string(),
        profile: profile.to_string(),
        observed_at,
        reachability,
        health: Some(Health {
            status,
            version: None,
            uptime_seconds: None,
            dependencies: Vec::new(),
        }),
        breakers,
        samples,
        actions: Vec::new(),
        transitions: Vec::new(),
        service_alerts: Vec::new(),
        thresholds: Vec::new(),
        problems: Vec::new(),
    };
    Aggregated {
        observation,
        instances: views,
        summary,
    }
}

fn aggregate_breakers(instances: &[InstanceReading]) -> Vec<Breaker> {
    let total = instances.len();
    let mut by_name: BTreeMap<&str, Vec<&Breaker>> = BTreeMap::new();
    for instance in instances {
        for breaker in &instance.breakers {
            by_name.entry(&breaker.name).or_default().push(breaker);
        }
    }
    by_name
        .into_iter()
        .map(|(name, seen)| {
            let worst = seen
                .iter()
                .map(|b| b.state)
                .max_by_key(|s| severity(*s))
                .unwrap_or(BreakerState::Unknown);
            let sharing = seen.iter().filter(|b| b.state == worst).count();
            let max = |field: fn(&Breaker) -> Option<f64>| {
                seen.iter()
                    .filter_map(|b| field(b))
                    .fold(None, |acc: Option<f64>, v| {
                        Some(acc.map_or(v, |a| a.max(v)))
                    })
            };
            let sum = |field: fn(&Breaker) -> Option<f64>| {
                let values: Vec<f64> = seen.iter().filter_map(|b| field(b)).collect();
                (!values.is_empty()).then(|| values.iter().sum())
            };
            Breaker {
                name: name.to_string(),
                state: worst,
                failure_count: sum(|b| b.failure_count),
                success_count: sum(|b| b.success_count),
                failure_rate: max(|b| b.failure_rate),
                backoff_seconds: max(|b| b.backoff_seconds),
                health_score: None,
                call_count: sum(|b| b.call_count),
                since: None,
                reason: (total > 1 && severity(worst) > 0)
                    .then(|| format!("{} on {sharing} of {total} instances", worst.as_str())),
            }
        })
        .collect()
}

fn aggregate_samples(instances: &[InstanceReading]) -> Vec<Sample> {
    let mut by_series: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for instance in instances {
        for sample in &instance.samples {
            if sample.value.is_finite() {
                by_series
                    .entry(&sample.series)
                    .or_default()
                    .push(sample.value);
            }
        }
    }
    let summed = |series: &str| {
        by_series
            .get(series)
            .filter(|v| v.len() == instances.len())
            .map(|v| v.iter().sum::<f64>())
    };
    // The cache hit rate of the whole service is its summed hits over its summed reads
    // when every instance counts them; an average would weigh an idle instance like a
    // busy one.
    let hit_rate = match (summed("cache.hits"), summed("cache.misses")) {
        (Some(hits), Some(misses)) if hits + misses > 0.0 => Some(hits / (hits + misses)),
        _ => None,
    };
    by_series
        .iter()
        .map(|(series, values)| {
            let sum: f64 = values.iter().sum();
            let value = match (*series, hit_rate) {
                ("cache.hit_rate", Some(rate)) => rate,
                _ if is_ratio(series) => sum / values.len() as f64,
                _ => sum,
            };
            Sample {
                series: series.to_string(),
                value,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(name: &str, state: BreakerState, rate: f64) -> Breaker {
        Breaker {
            name: name.into(),
            state,
            failure_count: None,
            success_count: None,
            failure_rate: Some(rate),
            backoff_seconds: None,
            health_score: None,
            call_count: None,
            since: None,
            reason: None,
        }
    }

    fn instance(name: &str, health: HealthStatus, db: BreakerState, hit: f64) -> InstanceReading {
        InstanceReading {
            name: name.into(),
            health,
            breakers: vec![breaker("db", db, 0.1)],
            samples: vec![
                Sample {
                    series: "cache.hit_rate".into(),
                    value: hit,
                },
                Sample {
                    series: "queue.depth".into(),
                    value: 10.0,
                },
            ],
        }
    }

    fn reachable() -> Reachability {
        Reachability::Reachable { latency_ms: 3.0 }
    }

    #[test]
    fn some_instances_down_is_degraded_and_the_worst_breaker_says_how_many() {
        let instances = [
            instance("a:1", HealthStatus::Ok, BreakerState::Open, 0.8),
            instance("b:1", HealthStatus::Down, BreakerState::Closed, 0.6),
            instance("c:1", HealthStatus::Ok, BreakerState::Open, f64::NAN),
            instance("d:1", HealthStatus::Down, BreakerState::HalfOpen, 0.5),
            instance("e:1", HealthStatus::Ok, BreakerState::Closed, 0.9),
        ];
        let got = aggregate(
            "orders",
            "engine",
            &instances,
            Utc::now(),
            reachable(),
            HealthRule::Quorum(1),
        );
        let health = got.observation.health.unwrap();
        assert_eq!(health.status, HealthStatus::Degraded);
        assert_eq!(got.summary.as_deref(), Some("2 of 5 instances down"));
        let db = &got.observation.breakers[0];
        assert_eq!(db.state, BreakerState::Open);
        assert_eq!(db.reason.as_deref(), Some("open on 2 of 5 instances"));
        let samples: Vec<(&str, f64)> = got
            .observation
            .samples
            .iter()
            .map(|s| (s.series.as_str(), s.value))
            .collect();
        // NaN is no value: the mean is over the four that have one.
        assert_eq!(
            samples,
            vec![("cache.hit_rate", 0.7), ("queue.depth", 50.0)]
        );
        let names: Vec<&str> = got.instances.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, vec!["a:1", "b:1", "c:1", "d:1", "e:1"]);
    }

    #[test]
    fn every_instance_down_is_down_and_one_closed_instance_has_no_count() {
        let down = [
            instance("a", HealthStatus::Down, BreakerState::Closed, 1.0),
            instance("b", HealthStatus::Down, BreakerState::Closed, 1.0),
        ];
        let got = aggregate(
            "orders",
            "engine",
            &down,
            Utc::now(),
            reachable(),
            HealthRule::Quorum(1),
        );
        assert_eq!(got.observation.health.unwrap().status, HealthStatus::Down);
        assert_eq!(got.observation.breakers[0].reason, None);
        let one = [instance("a", HealthStatus::Ok, BreakerState::Open, 1.0)];
        let got = aggregate(
            "orders",
            "engine",
            &one,
            Utc::now(),
            reachable(),
            HealthRule::Quorum(1),
        );
        assert_eq!(got.observation.health.unwrap().status, HealthStatus::Ok);
        assert_eq!(got.observation.breakers[0].reason, None);
        assert_eq!(got.summary, None);
    }

    #[test]
    fn the_hit_rate_is_summed_hits_over_summed_reads_when_every_instance_counts_them() {
        let counted = |name: &str, hits: f64, misses: f64| InstanceReading {
            samples: vec![
                Sample {
                    series: "cache.hit_rate".into(),
                    value: hits / (hits + misses),
                },
                Sample {
                    series: "cache.hits".into(),
                    value: hits,
                },
                Sample {
                    series: "cache.misses".into(),
                    value: misses,
                },
            ],
            ..instance(name, HealthStatus::Ok, BreakerState::Closed, 0.0)
        };
        // A busy instance at 90 % and an idle one at 10 %: the service serves 82 %, not 50 %.
        let both = [counted("a", 900.0, 100.0), counted("b", 10.0, 90.0)];
        let got = aggregate(
            "orders",
            "p",
            &both,
            Utc::now(),
            reachable(),
            HealthRule::Worst,
        );
        let rate = |got: &Aggregated| {
            got.observation
                .samples
                .iter()
                .find(|s| s.series == "cache.hit_rate")
                .unwrap()
                .value
        };
        assert!((rate(&got) - 910.0 / 1100.0).abs() < 1e-9, "{}", rate(&got));
        // One instance without counts: the rates are averaged.
        let mut partial = both.clone();
        partial[1].samples.truncate(1);
        let got = aggregate(
            "orders",
            "p",
            &partial,
            Utc::now(),
            reachable(),
            HealthRule::Worst,
        );
        assert!((rate(&got) - 0.5).abs() < 1e-9, "{}", rate(&got));
    }

    #[test]
    fn the_worst_instance_decides_unless_a_quorum_is_set() {
        let one_down = [
            instance("a", HealthStatus::Ok, BreakerState::Closed, 1.0),
            instance("b", HealthStatus::Down, BreakerState::Closed, 1.0),
            instance("c", HealthStatus::Ok, BreakerState::Closed, 1.0),
        ];
        let status = |rule| {
            aggregate("orders", "p", &one_down, Utc::now(), reachable(), rule)
                .observation
                .health
                .unwrap()
                .status
        };
        assert_eq!(status(HealthRule::Worst), HealthStatus::Down);
        assert_eq!(status(HealthRule::Quorum(2)), HealthStatus::Degraded);
        assert_eq!(status(HealthRule::Quorum(3)), HealthStatus::Down);
        // A quorum above the count asks for every instance.
        assert_eq!(status(HealthRule::Quorum(9)), HealthStatus::Down);
    }
}
