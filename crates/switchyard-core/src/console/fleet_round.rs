//! One round of everything configured, with no history and no engine task: every
//! service polled once (each instance of a service of several, after one discovery)
//! and every team engine refreshed once, together, summed up per service (its
//! instances, health and breakers, aggregated). What the CLI's `fleet`
//! prints; a script's answer to "is everything healthy right now?".

use serde::Serialize;

use crate::clock::Clock;
use crate::config::{Config, InstanceSource, ServiceConfig};
use crate::discovery;
use crate::engine::replicas::ReplicaBook;
use crate::engines::api::EngineApi;
use crate::engines::refresh_once;
use crate::model::{BreakerState, EngineStatus, HealthStatus, InstanceView, Observation};
use crate::sources::http;
use crate::sources::poller::ServicePoller;

/// The whole fleet after one round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetReport {
    pub services: Vec<ServiceReport>,
    /// Every configured engine after its refresh.
    pub engines: Vec<EngineStatus>,
    /// True when every service is ok with no breaker open and every engine was read.
    pub healthy: bool,
}

/// One service after the round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceReport {
    pub name: String,
    /// `poll` for a configured service, the engine's name for one an engine reported.
    pub source: String,
    /// `ok`, `degraded`, `down`, `unknown`, or the reachability's kind when the
    /// service could not be read (`refused`, `timeout`, …).
    pub health: String,
    /// Why, when not ok: the reachability's message, or "2 of 5 instances down".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<InstanceView>,
    pub breakers: Vec<BreakerReport>,
}

/// One breaker, aggregated over the service's instances.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerReport {
    pub name: String,
    pub state: BreakerState,
    /// "open on 2 of 5 instances", when the service has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ServiceReport {
    fn of(
        observation: &Observation,
        source: String,
        instances: Vec<InstanceView>,
        summary: Option<String>,
    ) -> ServiceReport {
        let (health, message) = match (&observation.health, observation.reachability.message()) {
            (_, Some(message)) => (
                observation.reachability.kind().to_string(),
                Some(message.to_string()),
            ),
            (Some(health), None) => (health.status.as_str().to_string(), summary),
            (None, None) => ("unknown".to_string(), summary),
        };
        ServiceReport {
            name: observation.service.clone(),
            source,
            health,
            message,
            instances,
            breakers: observation
                .breakers
                .iter()
                .map(|b| BreakerReport {
                    name: b.name.clone(),
                    state: b.state,
                    detail: b.reason.clone(),
                })
                .collect(),
        }
    }

    /// Ok, and no breaker open or probing.
    pub fn healthy(&self) -> bool {
        self.health == HealthStatus::Ok.as_str()
            && self.breakers.iter().all(|b| {
                !matches!(
                    b.state,
                    BreakerState::Open | BreakerState::HalfOpen | BreakerState::ForcedOpen
                )
            })
    }
}

/// Polls every configured service once and refreshes every engine once, all at once.
pub async fn fleet_round(config: &Config, clock: &dyn Clock) -> FleetReport {
    let client = http::build_client();
    let polls = config.services.iter().map(|service| {
        let client = client.clone();
        async move {
            if !service.instances.is_single() {
                return poll_instances(service, &client, clock).await;
            }
            let mut poller = ServicePoller::new(service.clone());
            let observation = poller.poll_round(&client, clock).await.0;
            ServiceReport::of(&observation, "poll".into(), Vec::new(), None)
        }
    });
    let refreshes = config.engines.iter().map(|engine| {
        let api = EngineApi::new(client.clone(), engine);
        async move { refresh_once(&api, engine, clock.now(), None).await }
    });
    let (polled, refreshed) = futures::future::join(
        futures::future::join_all(polls),
        futures::future::join_all(refreshes),
    )
    .await;
    let mut services = polled;
    let mut engines = Vec::new();
    for refresh in refreshed {
        if let Ok(reported) = &refresh.services {
            services.extend(reported.iter().map(|s| {
                ServiceReport::of(
                    &s.observation,
                    s.view.engine.clone(),
                    s.view.instances.clone(),
                    s.view.summary.clone(),
                )
            }));
        }
        engines.push(refresh.status);
    }
    let healthy = services.iter().all(ServiceReport::healthy) && engines.iter().all(|e| e.ok);
    FleetReport {
        services,
        engines,
        healthy,
    }
}

/// A service of several instances: discovered once, each instance polled once, all at
/// once, combined as the engine combines them.
async fn poll_instances(
    service: &ServiceConfig,
    client: &reqwest::Client,
    clock: &dyn Clock,
) -> ServiceReport {
    let (found, error) = match &service.instances {
        InstanceSource::Dns(dns) => match discovery::resolve(dns).await {
            Ok(found) => (found, None),
            Err(error) => (Vec::new(), Some(error.message)),
        },
        InstanceSource::Static(list) => (list.clone(), None),
        InstanceSource::Single => (Vec::new(), None),
    };
    let mut book = ReplicaBook::new(
        service.base_url.clone(),
        service.quorum,
        service.poll_interval,
        &[],
    );
    book.membership(&found, error, clock.now());
    let polls = found.iter().map(|instance| {
        let client = client.clone();
        async move {
            let started_at = clock.now();
            let mut poller = ServicePoller::new(service.at_instance(&instance.base_url));
            let observation = poller.poll_round(&client, clock).await.0;
            (instance, observation, started_at)
        }
    });
    for (instance, observation, started_at) in futures::future::join_all(polls).await {
        let failures = u32::from(!observation.is_reachable());
        book.observe(instance, observation, failures, started_at);
    }
    let profile = service.profile.map_or("unknown", |p| p.name());
    let Some(combined) = book.combine(&service.name, profile, clock.now()) else {
        // Not reached: discovery answered (or failed) and every poll came back.
        return ServiceReport {
            name: service.name.clone(),
            source: "poll".into(),
            health: HealthStatus::Unknown.as_str().to_string(),
            message: Some("no instance was heard from".into()),
            instances: Vec::new(),
            breakers: Vec::new(),
        };
    };
    let instances = combined
        .view
        .instances
        .iter()
        .map(|replica| InstanceView {
            name: replica.id.clone(),
            health: replica.health,
            breakers: replica.breakers.clone(),
        })
        .collect();
    ServiceReport::of(
        &combined.observation,
        "poll".into(),
        instances,
        combined.view.summary.clone(),
    )
}
