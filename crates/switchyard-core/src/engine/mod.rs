//! The engine owns the live state of the fleet. Every source sends its news on the one
//! ingress channel ([`crate::ingress`]); [`apply`] folds it into the service's state,
//! asks the [`BreakerBook`] which breaker transitions it makes, hands what the history
//! keeps to the store writer, and publishes the service's new state on the fleet feed
//! ([`crate::feed`]) that the window, the tray and the CLI subscribe to. One task owns
//! the state, so there are no locks to get wrong.
//!
//! The same task owns the alert evaluator (`alerts.rs`, from what `alert_setup.rs` read
//! back from the history): every service update is
//! evaluated as it is applied, a one-second tick moves alerts along with time alone, and
//! alert changes are published as [`EngineEvent::AlertsChanged`]. Evaluation time is
//! always the injected clock's `now`; the tick only decides how often to look.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

mod alert_setup;
mod alerts;
mod apply;
mod discovered;
pub(crate) mod replicas;
mod spawn;

pub use alert_setup::{AlertSetup, RulesSaved};
pub use alerts::{AlertRequestError, AlertsState};

use crate::alerts::{
    Acknowledgement, ActiveAlert, AlertEvent, AlertKey, RuleSpec, RuleView, Severity, Silence,
    SilenceId, SilenceTarget,
};
use crate::charts::Threshold;
use crate::clock::Clock;
use crate::config::{Config, InstanceSource, ServiceConfig};
use crate::feed::{FleetFeed, FleetSubscription};
use crate::ingress::{self, News, SourceEvent};
use crate::model::{EngineStatus, ServiceState, StreamStatus};
use crate::profiles::Profile;
use crate::store::{StoreWriter, WriterStats};
use crate::transitions::{BreakerBook, ExpectedChange};
use alerts::{AlertCommand, Alerting};
use discovered::{note_engine_status, EngineSources};
use replicas::ReplicaBook;

/// The state of a configured service before any news.
pub fn initial_state(service: &ServiceConfig, now: chrono::DateTime<chrono::Utc>) -> ServiceState {
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
        round_started_at: None,
        // A service of several instances lists each instance's sessions as they start.
        streams: service
            .streams
            .iter()
            .filter(|_| service.instances.is_single())
            .map(|stream| StreamStatus::new(&stream.path, now))
            .collect(),
        engine: None,
        replicas: (!service.instances.is_single()).then(|| crate::model::Replicas {
            discovery: service.base_url.clone(),
            instances: Vec::new(),
            summary: None,
            discovery_error: None,
        }),
    }
}

/// A change the engine publishes besides the fleet's states (those are on the feed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
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
    Alerts(AlertCommand),
    Expect {
        service: String,
        breaker: String,
        change: ExpectedChange,
    },
}

/// How often alerts are moved along when no observation comes (a `for` elapsing,
/// staleness, a silence ending). The time they are judged at is the clock's.
const ALERT_TICK: Duration = Duration::from_secs(1);

/// How many alert events a slow subscriber may fall behind before it misses some (it
/// then re-reads the whole picture with [`EngineHandle::alerts`]).
const EVENT_BUFFER: usize = 256;

/// What an engine starts from besides the configuration.
#[derive(Default)]
pub struct EngineStart {
    /// Alert rules, silences and open alerts to begin with (see [`AlertSetup::load`]).
    pub alerts: AlertSetup,
    /// Every breaker's state as the history last stored it.
    pub breakers: BreakerBook,
    /// Poll and stream only these services (all when `None`): a CLI action reads the
    /// one service it acts on, not the whole fleet.
    pub only: Option<Vec<String>>,
    /// Where the history goes, if anywhere.
    pub writer: Option<StoreWriter>,
}

/// The running engine. Cheap to clone; [`EngineHandle::shutdown`] stops it.
#[derive(Clone)]
pub struct EngineHandle {
    events: broadcast::Sender<EngineEvent>,
    commands: mpsc::Sender<Command>,
    feed: FleetFeed,
    /// One per polled service: a signal asks its poller for a full round now.
    poll_now: Arc<HashMap<String, Arc<Notify>>>,
    /// Every configured team engine's status after its last refresh.
    engine_status: watch::Receiver<Vec<EngineStatus>>,
    shutdown: CancellationToken,
    finished: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<Option<WriterStats>>>>>,
}

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
        EngineHandle::start_with(
            config,
            clock,
            EngineStart {
                alerts,
                writer,
                ..EngineStart::default()
            },
        )
    }

    /// Starts the sources and the engine task from everything in `start`.
    pub fn start_with(config: &Config, clock: Arc<dyn Clock>, start: EngineStart) -> EngineHandle {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (commands, command_rx) = mpsc::channel(64);
        let (ingress, ingress_rx) = ingress::channel();
        let shutdown = CancellationToken::new();
        let watched: Vec<&ServiceConfig> = config
            .services
            .iter()
            .filter(|s| {
                start
                    .only
                    .as_ref()
                    .is_none_or(|only| only.contains(&s.name))
            })
            .collect();

        let (sources, poll_now) = spawn::sources(
            &watched,
            (start.only.is_none()).then_some(config.engines.as_slice()),
            &clock,
            &ingress,
            &shutdown,
        );
        drop(ingress);
        let (engine_status_tx, engine_status) =
            watch::channel(discovered::initial_statuses(&config.engines));

        let now = clock.now();
        let states: Vec<ServiceState> = watched.iter().map(|s| initial_state(s, now)).collect();
        let feed = FleetFeed::new(states.clone());
        let alerting = Alerting::new(start.alerts, start.writer.as_ref().map(|w| w.handle()), now);
        let fleet = Fleet {
            index: states
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), i))
                .collect(),
            replicas: watched
                .iter()
                .enumerate()
                .filter_map(|(slot, service)| {
                    let listed = match &service.instances {
                        InstanceSource::Single => return None,
                        InstanceSource::Static(list) => list.as_slice(),
                        InstanceSource::Dns(_) => &[],
                    };
                    let book = ReplicaBook::new(
                        service.base_url.clone(),
                        service.quorum,
                        service.poll_interval,
                        listed,
                    );
                    Some((slot, book))
                })
                .collect(),
            states,
            book: start.breakers,
            engines: EngineSources::new(&config.engines),
        };
        let task = tokio::spawn(run(
            fleet,
            Inputs {
                ingress: ingress_rx,
                commands: command_rx,
            },
            Outputs {
                events: events.clone(),
                feed: feed.clone(),
                writer: start.writer,
                engine_status: engine_status_tx,
            },
            alerting,
            clock,
            sources,
            shutdown.clone(),
        ));
        EngineHandle {
            events,
            commands,
            feed,
            poll_now: Arc::new(poll_now),
            engine_status,
            shutdown,
            finished: Arc::new(tokio::sync::Mutex::new(Some(task))),
        }
    }

    /// The fleet as a subscription: the whole of it first, then what changed.
    pub fn fleet(&self) -> FleetSubscription {
        self.feed.subscribe()
    }

    /// The feed itself, for reading one service or the whole fleet now.
    pub fn feed(&self) -> &FleetFeed {
        &self.feed
    }

    /// Every configured team engine's status after its last refresh (the window's
    /// banner when one cannot be read), as a watch: the latest list, and a change signal.
    pub fn engine_status(&self) -> watch::Receiver<Vec<EngineStatus>> {
        self.engine_status.clone()
    }

    /// Alert news as it happens, for notifications and the tray.
    pub fn alert_events(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    /// Every service's current state, in configuration order.
    pub async fn snapshot(&self) -> Vec<ServiceState> {
        self.feed
            .states()
            .into_iter()
            .map(Arc::unwrap_or_clone)
            .collect()
    }

    /// Asks the service's poller for a full round now; false for a service not polled.
    pub fn poll_now(&self, service: &str) -> bool {
        match self.poll_now.get(service) {
            Some(nudge) => {
                nudge.notify_one();
                true
            }
            None => false,
        }
    }

    /// An action was sent: the breaker's next change to `change.to` is recorded as the
    /// action's transition.
    pub async fn expect_change(&self, service: &str, breaker: &str, change: ExpectedChange) {
        let _ = self
            .commands
            .send(Command::Expect {
                service: service.to_string(),
                breaker: breaker.to_string(),
                change,
            })
            .await;
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
    ingress: mpsc::Receiver<SourceEvent>,
    commands: mpsc::Receiver<Command>,
}

/// Where the engine task's results go.
struct Outputs {
    events: broadcast::Sender<EngineEvent>,
    feed: FleetFeed,
    writer: Option<StoreWriter>,
    engine_status: watch::Sender<Vec<EngineStatus>>,
}

/// The live state the engine task owns.
struct Fleet {
    states: Vec<ServiceState>,
    index: HashMap<String, usize>,
    book: BreakerBook,
    /// Each service polled at several instances, by its slot in `states`.
    replicas: HashMap<usize, ReplicaBook>,
    /// The configured team engines, for the services they report at run time.
    engines: EngineSources,
}

impl Fleet {
    /// Every instance of the services of several, each as a service of its own beside
    /// the name of the service it belongs to (for the per-instance alert rules).
    fn instance_states(&self) -> Vec<(String, ServiceState)> {
        self.replicas
            .iter()
            .flat_map(|(slot, replicas)| {
                let service = &self.states[*slot];
                replicas
                    .instance_states(service)
                    .into_iter()
                    .map(|instance| (service.name.clone(), instance))
            })
            .collect()
    }
}

async fn run(
    mut fleet: Fleet,
    inputs: Inputs,
    outputs: Outputs,
    mut alerting: Alerting,
    clock: Arc<dyn Clock>,
    mut sources: JoinSet<()>,
    shutdown: CancellationToken,
) -> Option<WriterStats> {
    let Inputs {
        mut ingress,
        mut commands,
    } = inputs;
    // No subscribers is fine: the CLI may only want the history.
    let publish = |event: Option<EngineEvent>| {
        if let Some(event) = event {
            let _ = outputs.events.send(event);
        }
    };
    let mut alert_tick = tokio::time::interval(ALERT_TICK);
    // After a stall (a suspended laptop) one tick is enough: it reads the clock anyway.
    alert_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A console with no sources (reading the history, or only the team's Alertmanager)
    // has its ingress closed at once; it keeps serving commands and the audit log's
    // writer until shutdown.
    let mut ingress_open = true;
    loop {
        tokio::select! {
            // News first: a burst of it must not wait behind commands.
            biased;
            received = ingress.recv(), if ingress_open => {
                let Some(event) = received else {
                    ingress_open = false;
                    continue;
                };
                if let News::EngineStatus(status) = event.news {
                    note_engine_status(&outputs.engine_status, status);
                    continue;
                }
                let Some(slot) = fleet.slot(&event, &outputs.feed) else { continue };
                let state = &mut fleet.states[slot];
                let replicas = fleet.replicas.get_mut(&slot);
                apply::apply(state, &mut fleet.book, replicas, event.news, outputs.writer.as_ref());
                outputs.feed.publish(Arc::new(state.clone()));
                publish(alerting.observe(state, clock.now()));
                // Each instance as a service of its own only when a rule reads them so.
                if let Some(replicas) = fleet.replicas.get(&slot).filter(|_| alerting.reads_instances()) {
                    let instances = replicas.instance_states(state);
                    publish(alerting.observe_instances(&state.name, &instances, clock.now()));
                }
            }
            Some(command) = commands.recv() => match command {
                Command::Alerts(command) => {
                    publish(alerting.handle(command, &fleet.states, clock.now()));
                }
                Command::Expect { service, breaker, change } => {
                    fleet.book.expect(&service, &breaker, change);
                }
            },
            _ = alerts::publish_timer(alerting.publish_due()) => {
                publish(alerting.publish_waiting(clock.now()));
            }
            _ = alert_tick.tick() => {
                let instances = if alerting.reads_instances() {
                    fleet.instance_states()
                } else {
                    Vec::new()
                };
                publish(alerting.tick(&fleet.states, &instances, clock.now()));
            }
            _ = shutdown.cancelled() => break,
        }
    }
    // Sources see the same token; wait for them so no news is half-sent.
    while sources.join_next().await.is_some() {}
    // Keep what they managed to send before stopping.
    while let Ok(event) = ingress.try_recv() {
        if let Some(slot) = fleet.slot(&event, &outputs.feed) {
            apply::apply(
                &mut fleet.states[slot],
                &mut fleet.book,
                fleet.replicas.get_mut(&slot),
                event.news,
                outputs.writer.as_ref(),
            );
        }
    }
    outputs.feed.close();
    match outputs.writer {
        Some(writer) => Some(writer.finish().await),
        None => None,
    }
}
