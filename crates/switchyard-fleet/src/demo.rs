//! The demo and seed fleets. The demo has four `health-contract` services
//! whose scripts and offsets are chosen so the console changes every
//! 15–30 s somewhere, but never everywhere at once, plus one service of
//! every other seed profile running its demo timeline. The seed fleet is
//! one service per seed profile.

use std::time::Duration;

use crate::condition::{DependencyCondition, ServiceCondition, Status};
use crate::profile::Profile;
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

/// `execution-service`'s 75 s cycle: OK 40 s → DEGRADED 20 s → DOWN 15 s.
pub(crate) fn execution_service_script() -> Script {
    Script::cycle(vec![
        Phase::new(secs(40), ServiceCondition::healthy()),
        Phase::new(secs(20), slow_postgres()),
        Phase::new(secs(15), redis_down()),
    ])
}

/// One service of each profile other than `health-contract`, with its
/// demo timeline.
fn other_seed_services() -> Vec<ServiceSpec> {
    [
        (Profile::HealthLevels, "events-api", "events"),
        (Profile::BreakerRegistry, "trading-api", "trading"),
        (Profile::SingleBreaker, "trading-bot", "trading"),
        (Profile::EmergencyControls, "wallet-api", "wallets"),
    ]
    .into_iter()
    .map(|(profile, name, area)| ServiceSpec::seed(profile, name).with_tags(["demo", area]))
    .collect()
}

/// One service per seed profile: `execution-service` and the four others.
pub(crate) fn seed_spec() -> FleetSpec {
    let mut services = vec![service(
        "execution-service",
        &["demo", "trading"],
        execution_service_script(),
    )];
    services.extend(other_seed_services());
    FleetSpec { services }
}

/// The demo fleet's specification: the four `health-contract` services
/// below, then one service of each other seed profile.
///
/// Changes fall (in seconds after start) at 10, 15, 35, 35, 40, 60, 65, 75,
/// 85, 90, 105, 115, …: the gaps stay under about 15 s while no two services
/// share a whole cycle.
pub(crate) fn spec() -> FleetSpec {
    FleetSpec {
        services: vec![
            service(
                "execution-service",
                &["demo", "trading"],
                execution_service_script(),
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
        ]
        .into_iter()
        .chain(other_seed_services())
        .chain(ledger_replicas())
        .collect(),
    }
}

/// `ledger-api`: one `breaker-registry` service run as three quiet replicas;
/// [`LEDGER_DIVERGENCE`] opens a breaker on the first once they listen, so
/// the breakers diverge ("open on 1 of 3") until someone resets it.
fn ledger_replicas() -> Vec<ServiceSpec> {
    (1..=3)
        .map(|n| {
            let name = format!("{LEDGER}{}{n}", crate::config_toml::REPLICA_MARK);
            ServiceSpec::quiet(Profile::BreakerRegistry, name).with_tags(["demo", "ledger"])
        })
        .collect()
}

/// Posts `body` to a service's control endpoint (`/_fleet/set`): one HTTP/1.1
/// request on a fresh connection, so the fleet needs no HTTP client.
pub(crate) async fn tell(base_url: &str, body: &str) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = format!(
        "POST /_fleet/set HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    let status = answer.split_whitespace().nth(1).unwrap_or("none");
    if status.starts_with('2') {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{base_url} refused its start state: {status}"
        )))
    }
}

/// The demo's service of several instances.
pub(crate) const LEDGER: &str = "ledger-api";

/// What the first ledger replica is told at start: `exchange_api` open.
pub(crate) const LEDGER_DIVERGENCE: &str =
    r#"{"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 12}}}"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// Over ten minutes, something changes at least every 30 s, and never
    /// do all services change at the same second.
    #[test]
    fn something_changes_often_but_not_everything_at_once() {
        let scripts: Vec<Script> = spec()
            .services
            .into_iter()
            .map(|s| s.script)
            .filter(|script| script.profile() == Profile::HealthContract)
            .collect();
        assert_eq!(scripts.len(), 4);
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
    fn the_seed_fleet_has_one_service_per_profile() {
        let profiles: Vec<Profile> = seed_spec()
            .services
            .iter()
            .map(ServiceSpec::profile)
            .collect();
        assert_eq!(profiles, Profile::ALL);
        let demo: Vec<Profile> = spec().services.iter().map(ServiceSpec::profile).collect();
        for profile in Profile::ALL {
            assert!(demo.contains(&profile), "{profile}");
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
