//! The rules every fleet gets without writing any, from the guidance in docs/contracts.md.
//! A configured rule with the same name replaces a default ([`with_defaults`]).
//!
//! | name | watches | fires | for | recovers | keep firing | severity |
//! |---|---|---|---|---|---|---|
//! | breaker open | each breaker's state | open or half_open | 10m | closed (any other state) | 1m | high |
//! | redis reconnections | increase of `metrics.redis_reconnections` over 1h | > 10 | 0 | ≤ 10 | 0 | warning |
//! | health degraded | health status | degraded | 2m | not degraded | 0 | warning |
//! | health down | health status | down | 30s | not down | 0 | critical |
//! | cache hit rate low | `cache.hit_rate` | < 0.7 | 5m | ≥ 0.75 | 1m | warning |
//! | queue backpressure | `queue.depth / queue.capacity` | ≥ 0.8 | 1m | < 0.7 | 1m | high |
//! | dependency slow | each dependency | slow | 2m | not slow | 0 | warning |
//! | dependency down | each dependency | down | 30s | not down | 0 | high |
//! | cpu high | `system.cpu_percent` | > 80 | 1m | < 75 | 1m | high |
//! | memory high | `system.memory_percent` | > 90 | 1m | < 85 | 1m | critical |
//! | disk high | `system.disk_percent` | > 85 | 1m | < 80 | 1m | warning (the source's "medium") |
//! | stale | poll intervals since the last fresh observation | ≥ 3 | 0 | < 3 | 0 | high |
//!
//! - "Breaker open for more than 10 minutes": a breaker that keeps probing (open →
//!   half_open → open, as `breaker-registry` and `emergency-controls` breakers do) has
//!   not recovered, so half_open counts as still open; only leaving both resolves it.
//! - "More than 10 Redis reconnections in an hour": no profile reports such a count
//!   today. A service that does should publish it as the counter series
//!   `metrics.redis_reconnections` (a `health-contract` metric `redis_reconnections`, or
//!   a Prometheus/JSON-mapping series mapped `as = "metrics.redis_reconnections"`); the
//!   rule fires when that counter grew by more than 10 over the last hour of samples the
//!   console has seen (a reset counts from zero). Services without the series never
//!   get this alert.
//! - The `for` of the CPU, memory and disk rules (1m) is ours: the source gives only the
//!   thresholds, and one busy poll should not page. A service that declares its own
//!   threshold on one of these series (`breaker-registry`) gets its own rule instead
//!   of the default one.
//! - "Dependency down" is ours too: a service often reads only degraded while one of
//!   its dependencies is down, so "health down" stays quiet; this alert is per
//!   dependency, named in its key, and its for matches "health down".

use std::time::Duration;

use super::rule::{
    Comparison, Condition, Rule, RuleOrigin, Selector, ServiceSelector, Severity, Subject,
};

/// The counter series the "redis reconnections" default reads.
pub const REDIS_RECONNECTIONS_SERIES: &str = "metrics.redis_reconnections";

const MINUTE: Duration = Duration::from_secs(60);

fn compare(op: Comparison, threshold: f64) -> Condition {
    Condition::Compare { op, threshold }
}

fn state(words: &[&str]) -> Condition {
    Condition::StateIs(words.iter().map(|w| (*w).to_string()).collect())
}

struct Draft {
    name: &'static str,
    subject: Subject,
    when: Condition,
    for_duration: Duration,
    recover: Option<Condition>,
    keep_firing: Duration,
    severity: Severity,
    description: &'static str,
}

impl Draft {
    fn build(self) -> Rule {
        Rule {
            name: self.name.to_string(),
            selector: Selector {
                services: ServiceSelector::all(),
                subject: self.subject,
            },
            condition: self.when,
            for_duration: self.for_duration,
            recover: self.recover,
            keep_firing: self.keep_firing,
            severity: self.severity,
            description: self.description.to_string(),
            origin: RuleOrigin::Default,
        }
    }
}

/// The built-in rules, in the order of the table above.
pub fn default_rules() -> Vec<Rule> {
    use Comparison::{Ge, Gt, Lt};
    let series = |name: &str| Subject::Series(name.to_string());
    vec![
        Draft {
            name: "breaker open",
            subject: Subject::Breaker(None),
            when: state(&["open", "half_open"]),
            for_duration: 10 * MINUTE,
            recover: None,
            keep_firing: MINUTE,
            severity: Severity::High,
            description: "The breaker has been open (or only probing in half-open) for more than 10 minutes without closing: investigate what it protects.",
        },
        Draft {
            name: "redis reconnections",
            subject: Subject::Increase {
                series: REDIS_RECONNECTIONS_SERIES.to_string(),
                window: 60 * MINUTE,
            },
            when: compare(Gt, 10.0),
            for_duration: Duration::ZERO,
            recover: None,
            keep_firing: Duration::ZERO,
            severity: Severity::Warning,
            description: "More than 10 Redis reconnections in the last hour: have a look at Redis.",
        },
        Draft {
            name: "health degraded",
            subject: Subject::Health,
            when: state(&["degraded"]),
            for_duration: 2 * MINUTE,
            recover: None,
            keep_firing: Duration::ZERO,
            severity: Severity::Warning,
            description: "The service reports itself degraded: some dependency is slow or down.",
        },
        Draft {
            name: "health down",
            subject: Subject::Health,
            when: state(&["down"]),
            for_duration: Duration::from_secs(30),
            recover: None,
            keep_firing: Duration::ZERO,
            severity: Severity::Critical,
            description: "The service reports itself down: a critical dependency is down.",
        },
        Draft {
            name: "cache hit rate low",
            subject: series("cache.hit_rate"),
            when: compare(Lt, 0.7),
            for_duration: 5 * MINUTE,
            recover: Some(compare(Ge, 0.75)),
            keep_firing: MINUTE,
            severity: Severity::Warning,
            description: "Fewer than 70 % of reads hit the cache: expect load on the database.",
        },
        Draft {
            name: "queue backpressure",
            subject: Subject::Ratio {
                numerator: "queue.depth".to_string(),
                denominator: "queue.capacity".to_string(),
            },
            when: compare(Ge, 0.8),
            for_duration: MINUTE,
            recover: Some(compare(Lt, 0.7)),
            keep_firing: MINUTE,
            severity: Severity::High,
            description: "The queue is over 80 % of its capacity: backpressure is on and producers are being slowed.",
        },
        Draft {
            name: "dependency slow",
            subject: Subject::Dependency(None),
            when: state(&["slow"]),
            for_duration: 2 * MINUTE,
            recover: None,
            keep_firing: Duration::ZERO,
            severity: Severity::Warning,
            description: "The dependency answers slower than its contract's threshold (Redis 100 ms, Postgres 200 ms, HTTP 500 ms).",
        },
        Draft {
            name: "dependency down",
            subject: Subject::Dependency(None),
            when: state(&["down"]),
            for_duration: Duration::from_secs(30),
            recover: None,
            keep_firing: Duration::ZERO,
            severity: Severity::High,
            description: "The service reports this dependency down: whatever needs it fails or falls back. The service's health details say what the dependency answered.",
        },
        Draft {
            name: "cpu high",
            subject: series("system.cpu_percent"),
            when: compare(Gt, 80.0),
            for_duration: MINUTE,
            recover: Some(compare(Lt, 75.0)),
            keep_firing: MINUTE,
            severity: Severity::High,
            description: "CPU over 80 %.",
        },
        Draft {
            name: "memory high",
            subject: series("system.memory_percent"),
            when: compare(Gt, 90.0),
            for_duration: MINUTE,
            recover: Some(compare(Lt, 85.0)),
            keep_firing: MINUTE,
            severity: Severity::Critical,
            description: "Memory over 90 %.",
        },
        Draft {
            name: "disk high",
            subject: series("system.disk_percent"),
            when: compare(Gt, 85.0),
            for_duration: MINUTE,
            recover: Some(compare(Lt, 80.0)),
            keep_firing: MINUTE,
            severity: Severity::Warning,
            description: "Disk over 85 %.",
        },
        Draft {
            name: "stale",
            subject: Subject::Staleness,
            when: compare(Ge, 3.0),
            for_duration: Duration::ZERO,
            recover: None,
            keep_firing: Duration::ZERO,
            severity: Severity::High,
            description: "No fresh observation for 3 poll intervals: the values shown are old.",
        },
    ]
    .into_iter()
    .map(Draft::build)
    .collect()
}

/// The defaults, minus those a configured rule of the same name replaces, then the
/// configured rules.
pub fn with_defaults(configured: Vec<Rule>) -> Vec<Rule> {
    let mut rules: Vec<Rule> = default_rules()
        .into_iter()
        .filter(|d| !configured.iter().any(|c| c.name == d.name))
        .collect();
    rules.extend(configured);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_valid_and_named_once() {
        let rules = default_rules();
        assert_eq!(rules.len(), 12);
        for rule in &rules {
            rule.validate().unwrap();
            assert_eq!(rules.iter().filter(|r| r.name == rule.name).count(), 1);
            assert_eq!(rule.origin, RuleOrigin::Default);
        }
    }

    #[test]
    fn a_configured_rule_replaces_the_default_of_its_name() {
        let mut cpu = default_rules().remove(8);
        assert_eq!(cpu.name, "cpu high");
        cpu.condition = compare(Comparison::Gt, 95.0);
        cpu.recover = None;
        cpu.origin = RuleOrigin::Config;
        let rules = with_defaults(vec![cpu]);
        assert_eq!(rules.len(), 12);
        let cpu: Vec<_> = rules.iter().filter(|r| r.name == "cpu high").collect();
        assert_eq!(cpu.len(), 1);
        assert_eq!(cpu[0].origin, RuleOrigin::Config);
    }
}
