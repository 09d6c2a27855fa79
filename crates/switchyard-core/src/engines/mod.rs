//! The team's engines as a source (`[[engine]]`): a reader per configured
//! Prometheus-compatible query API (Prometheus, Thanos, Mimir, Cortex,
//! VictoriaMetrics) that reads the whole fleet with a handful of aggregated queries per
//! refresh and sends what it read on the one ingress, like a poll round, so alerts,
//! history, charts, snapshots and the window treat an engine's services like any other.
//!
//! Not to be confused with the `engine` module (singular), the task that owns the live
//! state and applies every source's news: these engines are outside the console, the
//! team's time-series databases, and this module only reads them.
//!
//! - `api.rs`: the query API's client (envelope, errors, warnings, caps, headers);
//! - `fleet_read.rs`: one refresh's queries and their answers grouped by service and
//!   instance;
//! - here: the refresh loop, which also says when the engine cannot be read (one
//!   status naming it; its services' last values kept and marked stale, not down) and
//!   when a service is no longer reported (stale).

pub mod api;
pub mod fleet_read;
pub mod history;
pub mod range;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::EngineConfig;
use crate::ingress::{Ingress, News, SourceEvent};
use crate::model::aggregate::{aggregate, Aggregated, HealthRule};
use crate::model::{EndpointProblem, EngineStatus, EngineView, Observation, Reachability};
use api::{EngineApi, QueryError};
use fleet_read::{read_fleet, FleetRound};

/// The profile word an engine's services show: their values come from an engine, not
/// from one contract's endpoints.
pub const PROFILE: &str = "engine";

/// One service as a refresh read it: its observation and what the window shows of the
/// engine's view.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineService {
    pub observation: Observation,
    pub view: EngineView,
}

/// One refresh's outcome: the engine's status and, when it answered, every service.
#[derive(Debug, Clone, PartialEq)]
pub struct Refreshed {
    pub status: EngineStatus,
    pub services: Result<Vec<EngineService>, QueryError>,
}

/// Reads `engine` once at `now`: what the CLI's `fleet` prints and what each round of
/// [`run`] sends.
pub async fn refresh_once(
    api: &EngineApi,
    engine: &EngineConfig,
    now: DateTime<Utc>,
    last_good: Option<DateTime<Utc>>,
) -> Refreshed {
    let time = now.timestamp_millis() as f64 / 1000.0;
    match read_fleet(api, engine, time).await {
        Ok(round) => {
            let services = services_of(engine, &round, now);
            let message = (!round.problems.is_empty()).then(|| {
                let parts: Vec<String> = round
                    .problems
                    .iter()
                    .map(|(asked, error)| format!("{}: {error}", asked.as_str()))
                    .collect();
                format!("engine {}: {}", engine.name, parts.join("; "))
            });
            Refreshed {
                status: EngineStatus {
                    engine: engine.name.clone(),
                    ok: round.problems.is_empty(),
                    message,
                    warnings: round.warnings.clone(),
                    last_good: Some(now),
                    services: services.len(),
                    queries: round.queries,
                    latency_ms: Some(round.latency.as_secs_f64() * 1000.0),
                },
                services: Ok(services),
            }
        }
        Err(error) => Refreshed {
            status: EngineStatus {
                engine: engine.name.clone(),
                ok: false,
                message: Some(format!("engine {}: {error}", engine.name)),
                warnings: Vec::new(),
                last_good,
                services: 0,
                queries: fleet_read::fleet_queries(engine).len(),
                latency_ms: None,
            },
            services: Err(error),
        },
    }
}

/// Every service of a round as an observation, marked with the engine.
fn services_of(
    engine: &EngineConfig,
    round: &FleetRound,
    now: DateTime<Utc>,
) -> Vec<EngineService> {
    let reachability = Reachability::Reachable {
        latency_ms: round.latency.as_secs_f64() * 1000.0,
    };
    let problems: Vec<EndpointProblem> = round
        .problems
        .iter()
        .map(|(asked, error)| EndpointProblem {
            endpoint: format!("engine {}: {}", engine.name, asked.as_str()),
            reachability: error.reachability(),
        })
        .collect();
    round
        .services
        .iter()
        .map(|service| {
            let Aggregated {
                mut observation,
                instances,
                summary,
            } = aggregate(
                &service.name,
                PROFILE,
                &service.instances,
                now,
                reachability.clone(),
                // An engine's service is down when none of its instances is up, as the
                // engine's own `up` says.
                HealthRule::Quorum(1),
            );
            observation.problems.clone_from(&problems);
            EngineService {
                observation,
                view: EngineView {
                    engine: engine.name.clone(),
                    instances,
                    summary,
                    stale: None,
                    warnings: round.warnings.clone(),
                },
            }
        })
        .collect()
}

/// Reads `engine` every `refresh` until `shutdown`, sending every service it reports as
/// a round, marking stale the ones it stopped reporting (or all of them while it cannot
/// be read), and its status after each refresh.
pub async fn run(
    engine: EngineConfig,
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    ingress: Ingress,
    shutdown: CancellationToken,
) {
    let api = EngineApi::new(client, &engine);
    // Every service this engine has reported since start, and those marked stale now.
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut stale: BTreeSet<String> = BTreeSet::new();
    let mut last_good = None;
    let mut tick = tokio::time::interval(engine.refresh);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let started_at = clock.now();
        let refreshed = tokio::select! {
            _ = shutdown.cancelled() => return,
            refreshed = refresh_once(&api, &engine, started_at, last_good) => refreshed,
        };
        let now = clock.now();
        let mut events = Vec::new();
        let went_stale = |reason: String| News::EngineStale {
            engine: engine.name.clone(),
            reason,
            since: now,
        };
        match refreshed.services {
            Ok(services) => {
                last_good = Some(now);
                let mut seen = BTreeSet::new();
                for EngineService { observation, view } in services {
                    seen.insert(observation.service.clone());
                    stale.remove(&observation.service);
                    events.push(SourceEvent {
                        service: observation.service.clone(),
                        news: News::EngineRound {
                            observation,
                            view,
                            started_at,
                        },
                    });
                }
                for gone in known.difference(&seen) {
                    if stale.insert(gone.clone()) {
                        events.push(SourceEvent {
                            service: gone.clone(),
                            news: went_stale(format!(
                                "no longer reported by engine {}",
                                engine.name
                            )),
                        });
                    }
                }
                known.extend(seen);
            }
            Err(_) => {
                let reason = refreshed
                    .status
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("engine {} cannot be read", engine.name));
                for service in &known {
                    if stale.insert(service.clone()) {
                        events.push(SourceEvent {
                            service: service.clone(),
                            news: went_stale(reason.clone()),
                        });
                    }
                }
            }
        }
        events.push(SourceEvent {
            service: engine.name.clone(),
            news: News::EngineStatus(refreshed.status),
        });
        for event in events {
            if ingress.send(event).await.is_err() {
                return;
            }
        }
    }
}
