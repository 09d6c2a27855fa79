//! Simulated services that speak Switchyard's contracts over real HTTP on
//! 127.0.0.1, for tests and the app's demo mode.
//!
//! This crate deliberately does not depend on `switchyard-core`: it is an
//! independent implementation of docs/contracts.md, so a parser mistake in the
//! core shows up as a failing test instead of being shared by both sides.
//!
//! A [`Fleet`] is started from a [`FleetSpec`]; each service speaks one
//! seed [`Profile`] of docs/contracts.md and follows its [`Script`] until a test
//! pins it through the control endpoint (`POST /_fleet/set`,
//! `POST /_fleet/script`, `GET /_fleet/state`). Every write request a
//! service receives (a reset, a cache clear) is listed in its state under
//! `"actions"`, with the reason the console sent.

mod actions;
mod clock;
mod condition;
mod config_toml;
mod control;
mod demo;
pub mod dns_on_loopback;
mod dynamics;
pub mod engines_on_loopback;
mod faults;
mod gate;
mod internal_key;
pub mod keyring_on_session;
mod profile;
mod profiles;
mod rate_limit;
mod script;
mod server;
mod state;
mod static_targets;
mod streams;
mod words;

use std::collections::HashSet;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use condition::{DependencyCondition, ServiceCondition, Status};
pub use config_toml::REPLICA_MARK;
pub use faults::Fault;
pub use internal_key::INTERNAL_KEY_ENV;
pub use profile::Profile;
pub use script::{Phase, Script};
pub use static_targets::StaticTargets;

use profiles::breaker_registry::BreakerRegistry;
use profiles::emergency_controls::EmergencyControls;
use profiles::health_contract::HealthContract;
use profiles::health_levels::HealthLevels;
use profiles::single_breaker::SingleBreaker;
use profiles::spring_actuator::SpringActuator;
use profiles::Simulation;
use state::ServiceState;

/// How long [`Fleet::shutdown`] lets in-flight requests finish. A `slow`
/// fault can hold a request for its whole delay; that must not hold up a
/// test's teardown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The services to start.
#[derive(Clone, Debug, Default)]
pub struct FleetSpec {
    pub services: Vec<ServiceSpec>,
}

/// One service to start.
#[derive(Clone, Debug)]
pub struct ServiceSpec {
    /// Its name in the health document and the configuration, e.g. `execution-service`.
    pub name: String,
    pub tags: Vec<String>,
    /// Its scripted dynamics, which also name its profile;
    /// [`Script::steady`] is a `health-contract` service, always OK.
    pub script: Script,
}

impl ServiceSpec {
    /// A `health-contract` service following `script`.
    pub fn health_contract(
        name: impl Into<String>,
        tags: impl IntoIterator<Item = impl Into<String>>,
        script: Script,
    ) -> Self {
        ServiceSpec {
            name: name.into(),
            tags: tags.into_iter().map(Into::into).collect(),
            script,
        }
    }

    /// A `profile` service running its demo timeline ([`Script::seed`]),
    /// untagged.
    pub fn seed(profile: Profile, name: impl Into<String>) -> Self {
        ServiceSpec {
            name: name.into(),
            tags: Vec::new(),
            script: Script::seed(profile),
        }
    }

    /// A `profile` service holding still ([`Script::quiet`]), untagged:
    /// what tests start from.
    pub fn quiet(profile: Profile, name: impl Into<String>) -> Self {
        ServiceSpec {
            script: Script::quiet(profile),
            ..ServiceSpec::seed(profile, name)
        }
    }

    /// This spec with `tags` instead.
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// The contract the service speaks, from its script.
    pub fn profile(&self) -> Profile {
        self.script.profile()
    }
}

/// A service that is serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningService {
    pub name: String,
    /// The contract it speaks, e.g. `"health-contract"` or `"breaker-registry"`.
    pub profile: &'static str,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    pub tags: Vec<String>,
}

/// A running fleet. Dropping it stops its servers abruptly;
/// [`Fleet::shutdown`] lets in-flight requests finish first.
#[derive(Debug)]
pub struct Fleet {
    services: Vec<RunningService>,
    /// What `health-levels` services require in `X-Internal-Key`.
    internal_key: Arc<str>,
    /// Set to true to start a graceful shutdown; dropping it does the same.
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Fleet {
    /// Starts every service in `spec` on its own ephemeral port of
    /// 127.0.0.1. When this returns, every listener is bound, so requests
    /// succeed at once. Fails on a bind error or on two services with the
    /// same name (the configuration could not tell them apart).
    pub async fn start(spec: FleetSpec) -> io::Result<Fleet> {
        let mut names = HashSet::new();
        if let Some(duplicate) = spec.services.iter().find(|s| !names.insert(&s.name)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("two services are named {:?}", duplicate.name),
            ));
        }

        // Should a later bind fail, returning drops `shutdown_tx`, which
        // stops the servers already spawned.
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let internal_key: Arc<str> = Arc::from(internal_key::generate());
        let mut services = Vec::with_capacity(spec.services.len());
        let mut tasks = Vec::with_capacity(spec.services.len());
        for service in spec.services {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            let address = listener.local_addr()?;
            let script = service.script;
            let (lively, offset) = (script.lively(), script.offset_seconds());
            let (name, stop) = (service.name.clone(), shutdown_rx.clone());
            let profile = script.profile();
            let task = match profile {
                Profile::HealthContract => serve(listener, name, HealthContract::new(script), stop),
                Profile::HealthLevels => {
                    let model = HealthLevels::new(lively, offset, internal_key.clone());
                    serve(listener, name, model, stop)
                }
                Profile::BreakerRegistry => {
                    serve(listener, name, BreakerRegistry::new(lively, offset), stop)
                }
                Profile::SingleBreaker => {
                    serve(listener, name, SingleBreaker::new(lively, offset), stop)
                }
                Profile::SpringActuator => serve(listener, name, SpringActuator::new(), stop),
                Profile::EmergencyControls => {
                    serve(listener, name, EmergencyControls::new(lively, offset), stop)
                }
            };
            tasks.push(task);
            tracing::debug!(service = %service.name, %profile, %address, "simulated service listening");
            services.push(RunningService {
                name: service.name,
                profile: profile.name(),
                base_url: format!("http://{address}"),
                tags: service.tags,
            });
        }
        Ok(Fleet {
            services,
            internal_key,
            shutdown: shutdown_tx,
            tasks,
        })
    }

    /// Starts the demo fleet: `execution-service`, `market-data`,
    /// `risk-engine` and `notifications` (`health-contract`, changing every
    /// 15–30 s), then `events-api` (`health-levels`), `trading-api`
    /// (`breaker-registry`), `trading-bot` (`single-breaker`) and
    /// `wallet-api` (`emergency-controls`) running their demo timelines, and
    /// `ledger-api`, one `breaker-registry` service as three replicas
    /// (`ledger-api#1`…`#3`) with `exchange_api` open on the first only.
    pub async fn start_demo() -> io::Result<Fleet> {
        let fleet = Fleet::start(demo::spec()).await?;
        // The replicated service's breakers diverge from the start.
        let first = format!("{}{REPLICA_MARK}1", demo::LEDGER);
        if let Some(replica) = fleet.services.iter().find(|s| s.name == first) {
            demo::tell(&replica.base_url, demo::LEDGER_DIVERGENCE).await?;
        }
        Ok(fleet)
    }

    /// Starts one service per seed profile with its demo timeline:
    /// `execution-service`, `events-api`, `trading-api`, `trading-bot` and
    /// `wallet-api`.
    pub async fn start_seed() -> io::Result<Fleet> {
        Fleet::start(demo::seed_spec()).await
    }

    pub fn services(&self) -> &[RunningService] {
        &self.services
    }

    /// The key `health-levels` services require in `X-Internal-Key`
    /// (new for every fleet). The configuration refers to it through
    /// [`INTERNAL_KEY_ENV`] instead of holding it.
    pub fn internal_key(&self) -> &str {
        &self.internal_key
    }

    /// A Switchyard TOML configuration watching this fleet, with
    /// `poll_interval` and `timeout` (e.g. `"2s"`, `"1s"`) as defaults.
    /// `health-levels` services get `headers = { "X-Internal-Key" =
    /// "env:SWITCHYARD_FLEET_INTERNAL_KEY" }`: a reference, never the key.
    pub fn config_toml(&self, poll_interval: &str, timeout: &str) -> String {
        config_toml::render(&self.services, poll_interval, timeout)
    }

    /// `# export SWITCHYARD_FLEET_INTERNAL_KEY=<key>` and a newline: the
    /// comment to print above [`Fleet::config_toml`] so a user can copy it.
    pub fn internal_key_export_line(&self) -> String {
        config_toml::export_line(&self.internal_key)
    }

    /// Stops accepting, lets in-flight requests finish for up to two
    /// seconds, then aborts whatever is left.
    pub async fn shutdown(mut self) {
        // Fails only when every server has already stopped.
        let _ = self.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

/// Starts serving `model` as service `name`.
fn serve<M: Simulation>(
    listener: TcpListener,
    name: String,
    model: M,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let state = Arc::new(ServiceState::new(name, model, stop.clone()));
    server::spawn(listener, state, stop)
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
