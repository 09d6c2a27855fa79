//! The engine owns the live state of the fleet. Pollers send observations in on one
//! channel; the engine folds them into each service's state, hands them to the store
//! writer, and publishes every change on a broadcast channel that the UI bridge and the
//! CLI subscribe to. One task owns the state, so there are no locks to get wrong.
//!
//! The same task owns the alert evaluator ([`crate::alerting`]): every service update is
//! evaluated as it is applied, a one-second tick moves alerts along with time alone, and
//! alert changes are published as [`EngineEvent::AlertsChanged`]. Evaluation time is
//! always the injected clock's `now`; the tick only decides how often to look.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::alerting::{AlertCommand, AlertRequestError, AlertSetup, Alerting, AlertsState};
use crate::alerts::{
    Acknowledgement, ActiveAlert, AlertEvent, AlertKey, RuleSpec, RuleView, Severity, Silence,
    SilenceId, SilenceTarget,
};
use crate::charts::Threshold;
use crate::clock::Clock;
use crate::config::{Config, ServiceConfig};
use crate::model::{Breaker, Observation, StreamStatus, Transition, TransitionSource};
use crate::profiles::Profile;
use crate::sources::ws::{StreamEvent, StreamUpdate};
use crate::sources::{http, poller, ws};
use crate::store::{StoreWriter, StreamStateChange, WriterStats};

/// What the console knows about one service right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ServiceState {
    pub name: String,
    pub profile: String,
    pub base_url: String,
    pub tags: Vec<String>,
    pub poll_interval_ms: f64,
    /// The most recent observation, whatever its reachability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Observation>,
    /// The most recent observation in which the service answered usefully. Kept while
    /// it is unreachable, so the last good values stay visible with their age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_good: Option<Observation>,
    pub consecutive_failures: u32,
    /// The service's stream sessions, one per configured stream.
    #[ts(as = "Option<Vec<StreamStatus>>", optional)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamStatus>,
}

impl ServiceState {
    fn new(service: &ServiceConfig) -> Self {
        ServiceState {
            name: service.name.clone(),
            profile: service
                .profile
                .map_or("detecting", Profile::name)
                .to_string(),
            base_url: service.base_url.clone(),
            tags: service.tags.clone(),
            poll_interval_ms: service.poll_interval.as_secs_f64() * 1000.0,
            latest: None,
            last_good: None,
            consecutive_failures: 0,
            streams: service
                .streams
                .iter()
                .map(|stream| StreamStatus::new(&stream.path, chrono::Utc::now()))
                .collect(),
        }
    }

    /// A stream's news about one breaker: merged into the last known breakers (the next
    /// poll confirms or corrects it). Returns the transition, if the state changed.
    fn apply_stream_breaker(
        &mut self,
        breaker: Breaker,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<Transition> {
        let good = self.last_good.as_mut()?;
        let transition = match good.breakers.iter_mut().find(|b| b.name == breaker.name) {
            Some(known) => {
                let from = known.state;
                *known = Breaker {
                    // Keep what the stream does not carry.
                    failure_rate: breaker.failure_rate.or(known.failure_rate),
                    success_count: breaker.success_count.or(known.success_count),
                    call_count: breaker.call_count.or(known.call_count),
                    since: breaker.since.clone().or_else(|| known.since.clone()),
                    reason: breaker.reason.clone().or_else(|| known.reason.clone()),
                    ..breaker.clone()
                };
                (from != breaker.state).then_some(from)
            }
            None => {
                good.breakers.push(breaker.clone());
                None
            }
        };
        transition.map(|from| Transition {
            breaker: breaker.name,
            from: Some(from),
            to: breaker.state,
            at,
            source: TransitionSource::Stream,
            reason: None,
        })
    }

    fn apply(&mut self, observation: Observation) {
        if observation.profile != "unknown" {
            self.profile.clone_from(&observation.profile);
        }
        if observation.is_reachable() {
            self.consecutive_failures = 0;
            let mut good = observation.clone();
            // A round that did not read breakers or health (endpoint not due, or it
            // failed) keeps the last known ones rather than showing none.
            if let Some(previous) = self.last_good.take() {
                if good.breakers.is_empty() {
                    good.breakers = previous.breakers;
                }
                if good.health.is_none() {
                    good.health = previous.health;
                }
            }
            self.last_good = Some(good);
        } else {
            self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        }
        self.latest = Some(observation);
    }
}

/// A change the engine publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
// Boxing the service state would change every subscriber's pattern for a saving that
// does not matter: events sit in a 1,024-slot broadcast ring, and most are service updates.
#[allow(clippy::large_enum_variant)]
pub enum EngineEvent {
    ServiceUpdated {
        state: ServiceState,
    },
    /// Alerts changed phase, or the active list changed (a value, an acknowledgement,
    /// a silence). `events` are the phase changes, for notifications; `worst` is the
    /// worst severity firing, for the tray.
    AlertsChanged {
        active: Vec<ActiveAlert>,
        worst: Option<Severity>,
        events: Vec<AlertEvent>,
    },
}

enum Command {
    Snapshot(oneshot::Sender<Vec<ServiceState>>),
    Alerts(AlertCommand),
}

/// How often alerts are moved along when no observation comes (a `for` elapsing,
/// staleness, a silence ending). The time they are judged at is the clock's.
const ALERT_TICK: Duration = Duration::from_secs(1);

/// The running engine. Cheap to clone; [`EngineHandle::shutdown`] stops it.
#[derive(Clone)]
pub struct EngineHandle {
    events: broadcast::Sender<EngineEvent>,
    commands: mpsc::Sender<Command>,
    shutdown: CancellationToken,
    finished: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<Option<WriterStats>>>>>,
}

/// How many events a slow subscriber may fall behind before it misses some (it then
/// re-reads the whole state with [`EngineHandle::snapshot`]).
const EVENT_BUFFER: usize = 1024;

impl EngineHandle {
    /// Starts one poller per service and the engine task. `writer`, when given, receives
    /// every observation for the history. Alerts run on the configured and default rules.
    pub fn start(
        config: &Config,
        clock: Arc<dyn Clock>,
        writer: Option<StoreWriter>,
    ) -> EngineHandle {
        EngineHandle::start_with_alerts(config, clock, writer, AlertSetup::from_config(config))
    }

    /// [`EngineHandle::start`] with the alert rules and silences to begin with (see
    /// [`AlertSetup::load`], which reads them from the history).
    pub fn start_with_alerts(
        config: &Config,
        clock: Arc<dyn Clock>,
        writer: Option<StoreWriter>,
        alerts: AlertSetup,
    ) -> EngineHandle {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (commands, command_rx) = mpsc::channel(16);
        let (observation_tx, observation_rx) = mpsc::channel(1024);
        let shutdown = CancellationToken::new();

        let client = http::build_client();
        let mut pollers = JoinSet::new();
        for service in &config.services {
            pollers.spawn(poller::run(
                client.clone(),
                service.clone(),
                clock.clone(),
                observation_tx.clone(),
                shutdown.clone(),
            ));
        }
        drop(observation_tx);
        let (stream_tx, stream_rx) = mpsc::channel(1024);
        for service in &config.services {
            for stream in &service.streams {
                pollers.spawn(ws::run(
                    service.clone(),
                    stream.clone(),
                    clock.clone(),
                    stream_tx.clone(),
                    shutdown.clone(),
                ));
            }
        }
        drop(stream_tx);

        let states: Vec<ServiceState> = config.services.iter().map(ServiceState::new).collect();
        let alerting = Alerting::new(alerts, writer.as_ref().map(|w| w.handle()), clock.now());
        let task = tokio::spawn(run(
            states,
            Inputs {
                observations: observation_rx,
                streams: stream_rx,
                commands: command_rx,
            },
            Outputs {
                events: events.clone(),
                writer,
            },
            alerting,
            clock,
            pollers,
            shutdown.clone(),
        ));
        EngineHandle {
            events,
            commands,
            shutdown,
            finished: Arc::new(tokio::sync::Mutex::new(Some(task))),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Every service's current state, in configuration order.
    pub async fn snapshot(&self) -> Vec<ServiceState> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Snapshot(reply)).await.is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> AlertCommand) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Alerts(command(reply)))
            .await
            .ok()?;
        answer.await.ok()
    }

    /// The alerts panel's whole picture: active alerts, silences, recent resolutions.
    pub async fn alerts(&self) -> AlertsState {
        self.ask(AlertCommand::State).await.unwrap_or(AlertsState {
            active: Vec::new(),
            worst: None,
            worst_unhandled: None,
            silences: Vec::new(),
            recent: Vec::new(),
            rules_saved: None,
        })
    }

    /// Takes a pending or firing alert in hand: it stops notifying until it resolves.
    /// Recorded in the store with `by` and the comment.
    pub async fn acknowledge(
        &self,
        key: AlertKey,
        by: &str,
        comment: &str,
    ) -> Result<Acknowledgement, AlertRequestError> {
        let (by, comment) = (by.to_string(), comment.to_string());
        self.ask(|reply| AlertCommand::Acknowledge {
            key,
            by,
            comment,
            reply,
        })
        .await
        .unwrap_or(Err(AlertRequestError::EngineStopped))
    }

    /// Silences a rule, a service, or a rule on a service until `until`; recorded in
    /// the store and restored on the next start while it lasts.
    pub async fn silence(
        &self,
        target: SilenceTarget,
        until: chrono::DateTime<chrono::Utc>,
        reason: &str,
        by: &str,
    ) -> Result<Silence, AlertRequestError> {
        let (reason, by) = (reason.to_string(), by.to_string());
        self.ask(|reply| AlertCommand::Silence {
            target,
            until,
            reason,
            by,
            reply,
        })
        .await
        .unwrap_or(Err(AlertRequestError::EngineStopped))
    }

    /// Removes a silence; what it hid notifies again on the next tick.
    pub async fn unsilence(&self, id: SilenceId, by: &str) -> Result<Silence, AlertRequestError> {
        let by = by.to_string();
        self.ask(|reply| AlertCommand::Unsilence { id, by, reply })
            .await
            .unwrap_or(Err(AlertRequestError::EngineStopped))
    }

    /// Every rule in force: configured, default, then imported from services.
    pub async fn alert_rules(&self) -> Vec<RuleView> {
        self.ask(AlertCommand::Rules).await.unwrap_or_default()
    }

    /// Replaces the configured and default rules (imported ones stay), after validating
    /// all of them; saved in the store, where the next start finds them. Returns every
    /// rule now in force.
    pub async fn set_alert_rules(
        &self,
        specs: Vec<RuleSpec>,
        by: &str,
    ) -> Result<Vec<RuleView>, AlertRequestError> {
        let by = by.to_string();
        self.ask(|reply| AlertCommand::SetRules { specs, by, reply })
            .await
            .unwrap_or(Err(AlertRequestError::EngineStopped))
    }

    /// The configured and default rules as `[[alert]]` TOML, for the configuration file.
    pub async fn export_alert_rules(&self) -> Result<String, AlertRequestError> {
        self.ask(AlertCommand::ExportRules)
            .await
            .unwrap_or(Err(AlertRequestError::EngineStopped))
    }

    /// The threshold lines of the rules watching `series` on `service`, for its chart.
    pub async fn chart_thresholds(&self, service: &str, series: &str) -> Vec<Threshold> {
        let (service, series) = (service.to_string(), series.to_string());
        self.ask(|reply| AlertCommand::Thresholds {
            service,
            series,
            reply,
        })
        .await
        .unwrap_or_default()
    }

    /// Stops polling, writes what is queued for the history, and waits for both.
    /// Returns the writer's statistics when there was a writer.
    pub async fn shutdown(&self) -> Option<WriterStats> {
        self.shutdown.cancel();
        let task = self.finished.lock().await.take()?;
        task.await.ok().flatten()
    }
}

/// Everything the engine task listens to.
struct Inputs {
    observations: mpsc::Receiver<Observation>,
    streams: mpsc::Receiver<StreamEvent>,
    commands: mpsc::Receiver<Command>,
}

/// Where the engine task's results go.
struct Outputs {
    events: broadcast::Sender<EngineEvent>,
    writer: Option<StoreWriter>,
}

async fn run(
    mut states: Vec<ServiceState>,
    inputs: Inputs,
    outputs: Outputs,
    mut alerting: Alerting,
    clock: Arc<dyn Clock>,
    mut pollers: JoinSet<()>,
    shutdown: CancellationToken,
) -> Option<WriterStats> {
    let Inputs {
        mut observations,
        mut streams,
        mut commands,
    } = inputs;
    let Outputs { events, writer } = outputs;
    // No subscribers is fine: the CLI may only want the history.
    let publish = |event: Option<EngineEvent>| {
        if let Some(event) = event {
            let _ = events.send(event);
        }
    };
    let mut alert_tick = tokio::time::interval(ALERT_TICK);
    // After a stall (a suspended laptop) one tick is enough: it reads the clock anyway.
    alert_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Observations first: a burst of them must not wait behind snapshot requests.
            biased;
            received = observations.recv() => {
                let Some(observation) = received else { break };
                let Some(state) = states.iter_mut().find(|s| s.name == observation.service) else {
                    continue;
                };
                let mut observation = observation;
                if observation.is_reachable() {
                    let previous = state.last_good.as_ref().map_or(&[][..], |o| o.breakers.as_slice());
                    let derived = crate::transitions::derive(previous, &observation);
                    observation.transitions.extend(derived);
                }
                if let Some(writer) = &writer {
                    writer.record(observation.clone());
                }
                state.apply(observation);
                let _ = events.send(EngineEvent::ServiceUpdated { state: state.clone() });
                publish(alerting.observe(state, clock.now()));
            }
            Some(event) = streams.recv() => {
                let Some(state) = states.iter_mut().find(|s| s.name == event.service) else {
                    continue;
                };
                match event.update {
                    StreamUpdate::Status(status) => {
                        let previous = state.streams.iter().find(|s| s.path == status.path).map(|s| s.state);
                        // The history keeps changes of state, not every counter tick.
                        if previous != Some(status.state) {
                            if let Some(writer) = &writer {
                                writer.record_stream_state(StreamStateChange {
                                    service: state.name.clone(),
                                    stream: status.path.clone(),
                                    at: status.since,
                                    state: status.state.as_str().to_string(),
                                    detail: status.last_error.clone(),
                                });
                            }
                        }
                        match state.streams.iter_mut().find(|s| s.path == status.path) {
                            Some(slot) => *slot = status,
                            None => state.streams.push(status),
                        }
                    }
                    StreamUpdate::Breaker { breaker, at } => {
                        if let Some(transition) = state.apply_stream_breaker(breaker, at) {
                            if let Some(writer) = &writer {
                                writer.record_transitions(&state.name, &state.profile, vec![transition]);
                            }
                        }
                    }
                }
                let _ = events.send(EngineEvent::ServiceUpdated { state: state.clone() });
                publish(alerting.observe(state, clock.now()));
            }
            Some(command) = commands.recv() => match command {
                Command::Snapshot(reply) => {
                    let _ = reply.send(states.clone());
                }
                Command::Alerts(command) => {
                    publish(alerting.handle(command, &states, clock.now()));
                }
            },
            _ = alert_tick.tick() => {
                publish(alerting.tick(&states, clock.now()));
            }
            _ = shutdown.cancelled() => break,
        }
    }
    // Pollers see the same token; wait for them so no observation is half-sent.
    while pollers.join_next().await.is_some() {}
    // Keep what they managed to send before stopping.
    while let Ok(observation) = observations.try_recv() {
        if let Some(writer) = &writer {
            writer.record(observation);
        }
    }
    match writer {
        Some(writer) => Some(writer.finish().await),
        None => None,
    }
}
