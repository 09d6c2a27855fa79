//! The demo fleet: four services whose scripts and offsets are chosen so the
//! console changes every 15–30 s somewhere, but never everywhere at once.

use std::time::Duration;

use crate::condition::{DependencyCondition, ServiceCondition, Status};
use crate::script::{Phase, Script};
use crate::{FleetSpec, ServiceSpec};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn service(name: &str, tags: &[&str], script: Script) -> ServiceSpec {
    ServiceSpec {
        name: name.to_owned(),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        script,
    }
}

/// Postgres past its 200 ms "slow" line.
fn slow_postgres() -> ServiceCondition {
    ServiceCondition::healthy()
        .with_status(Status::Degraded)
        .with_dependency(
            "postgres",
            DependencyCondition::failing(Status::Degraded, 250.3, "Slow query"),
        )
}

/// Redis, a critical dependency, refusing connections.
fn redis_down() -> ServiceCondition {
    ServiceCondition::healthy()
        .with_status(Status::Down)
        .with_dependency(
            "redis",
            DependencyCondition::failing(Status::Down, 0.0, "Connection refused"),
        )
}

/// The exchange API past its 500 ms "slow" line.
fn slow_exchange() -> ServiceCondition {
    ServiceCondition::healthy()
        .with_status(Status::Degraded)
        .with_dependency(
            "exchange_api",
            DependencyCondition::failing(Status::Degraded, 820.4, "Upstream latency"),
        )
}

/// Redis slow (over 100 ms) but answering.
fn slow_redis() -> ServiceCondition {
    ServiceCondition::healthy()
        .with_status(Status::Degraded)
        .with_dependency(
            "redis",
            DependencyCondition::failing(Status::Degraded, 140.0, "High latency"),
        )
}

/// The demo fleet's specification.
///
/// Changes fall (in seconds after start) at 10, 15, 35, 35, 40, 60, 65, 75,
/// 85, 90, 105, 115, …: the gaps stay under about 15 s while no two services
/// share a whole cycle.
pub(crate) fn spec() -> FleetSpec {
    FleetSpec {
        services: vec![
            // 75 s cycle: OK 40 s → DEGRADED 20 s → DOWN 15 s.
            service(
                "execution-service",
                &["demo", "trading"],
                Script::cycle(vec![
                    Phase::new(secs(40), ServiceCondition::healthy()),
                    Phase::new(secs(20), slow_postgres()),
                    Phase::new(secs(15), redis_down()),
                ]),
            ),
            // 55 s cycle entered 20 s in: OK 30 s → DEGRADED 25 s.
            service(
                "market-data",
                &["demo", "trading"],
                Script::cycle(vec![
                    Phase::new(secs(30), ServiceCondition::healthy()),
                    Phase::new(secs(25), slow_exchange()),
                ])
                .with_offset(secs(20)),
            ),
            // 70 s cycle entered 35 s in: OK 50 s → DEGRADED 20 s.
            service(
                "risk-engine",
                &["demo", "risk"],
                Script::cycle(vec![
                    Phase::new(secs(50), ServiceCondition::healthy()),
                    Phase::new(secs(20), slow_redis()),
                ])
                .with_offset(secs(35)),
            ),
            // Mostly OK: a 10 s blip every two minutes.
            service(
                "notifications",
                &["demo", "messaging"],
                Script::cycle(vec![
                    Phase::new(secs(110), ServiceCondition::healthy()),
                    Phase::new(secs(10), slow_postgres()),
                ])
                .with_offset(secs(50)),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over ten minutes, something changes at least every 30 s, and never
    /// do all services change at the same second.
    #[test]
    fn something_changes_often_but_not_everything_at_once() {
        let scripts: Vec<Script> = spec().services.into_iter().map(|s| s.script).collect();
        let mut last_change = 0;
        for second in 1..600 {
            let changed = scripts
                .iter()
                .filter(|script| {
                    script.phase_index_at(secs(second)) != script.phase_index_at(secs(second - 1))
                })
                .count();
            assert!(changed < scripts.len(), "all changed at {second} s");
            if changed > 0 {
                assert!(
                    second - last_change <= 30,
                    "quiet from {last_change} s to {second} s"
                );
                last_change = second;
            }
        }
    }

    #[test]
    fn everyone_starts_ok() {
        for service in spec().services {
            assert_eq!(
                service.script.condition_at(Duration::ZERO).status,
                Status::Ok,
                "{}",
                service.name
            );
        }
    }
}
