//! One round of everything configured, with no history and no engine task: every
//! service polled once and every team engine refreshed once, together, summed up per
//! service (its instances, health and breakers, aggregated). What the CLI's `fleet`
//! prints; a script's answer to "is everything healthy right now?".

use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
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
            let mut poller = ServicePoller::new(service.clone());
            poller.poll_round(&client, clock).await.0
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
    let mut services: Vec<ServiceReport> = polled
        .iter()
        .map(|observation| ServiceReport::of(observation, "poll".into(), Vec::new(), None))
        .collect();
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
