//! Simulated services that speak Switchyard's contracts over real HTTP on
//! 127.0.0.1, for tests and the app's demo mode.
//!
//! This crate deliberately does not depend on `switchyard-core`: it is an
//! independent implementation of CONTRACTS.md, so a parser mistake in the
//! core shows up as a failing test instead of being shared by both sides.
//!
//! A [`Fleet`] is started from a [`FleetSpec`]; each service follows its
//! [`Script`] until a test pins it through the control endpoint
//! (`POST /_fleet/set`, `POST /_fleet/script`, `GET /_fleet/state`).

mod condition;
mod config_toml;
mod control;
mod demo;
mod faults;
mod health_contract;
mod script;
mod server;
mod state;

use std::collections::HashSet;
use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use condition::{DependencyCondition, ServiceCondition, Status};
pub use faults::Fault;
pub use script::{Phase, Script};

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
    /// Its scripted dynamics; [`Script::steady`] is always OK.
    pub script: Script,
}

/// A service that is serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningService {
    pub name: String,
    /// The contract it speaks: `"health-contract"`.
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
        let mut services = Vec::with_capacity(spec.services.len());
        let mut tasks = Vec::with_capacity(spec.services.len());
        for service in spec.services {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            let address = listener.local_addr()?;
            let state = Arc::new(ServiceState::new(service.name.clone(), service.script));
            tasks.push(server::spawn(listener, state, shutdown_rx.clone()));
            tracing::debug!(service = %service.name, %address, "simulated service listening");
            services.push(RunningService {
                name: service.name,
                profile: health_contract::PROFILE,
                base_url: format!("http://{address}"),
                tags: service.tags,
            });
        }
        Ok(Fleet {
            services,
            shutdown: shutdown_tx,
            tasks,
        })
    }

    /// Starts the demo fleet: `execution-service`, `market-data`,
    /// `risk-engine` and `notifications`, changing every 15–30 s.
    pub async fn start_demo() -> io::Result<Fleet> {
        Fleet::start(demo::spec()).await
    }

    pub fn services(&self) -> &[RunningService] {
        &self.services
    }

    /// A Switchyard TOML configuration watching this fleet, with
    /// `poll_interval` and `timeout` (e.g. `"2s"`, `"1s"`) as defaults.
    pub fn config_toml(&self, poll_interval: &str, timeout: &str) -> String {
        config_toml::render(&self.services, poll_interval, timeout)
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

impl Drop for Fleet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
