//! The one place a running console is assembled: [`Console::start`] opens the history
//! (moving a damaged file aside), restores what the history remembers (the alert rules
//! saved from the window, the silences in force, the alerts still open, every breaker's
//! last state), starts the sources, the engine and the maintenance, and
//! [`Console::shutdown`] stops them in order. The window's shell and every CLI command
//! start one and forward to it; neither assembles its own. Operations that chain steps
//! are its methods: an action (plan, execute, verify; `actions.rs`, which announces each
//! new audit row on [`Console::action_log`]) and a snapshot export (`export.rs`). The
//! history's health and the action log are subscriptions, so the window is told of a
//! change instead of asking on a timer.

mod actions;
mod engine_actions;
mod export;
mod fleet_round;
mod in_force;
mod instance_actions;
mod team;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, watch};

use crate::actions::InFlight;
use crate::clock::Clock;
use crate::config::Config;
use crate::engine::AlertSetup;
use crate::engine::{EngineHandle, EngineStart};
use crate::model::BreakerState;
use crate::store::{
    MaintenanceTask, RetentionPolicy, Store, StoreHealth, WriterHandle, WriterStats,
};
use crate::transitions::BreakerBook;

pub use actions::{ActionLogged, ActionRun};
pub use export::{ExportError, ExportFiles, ExportRequest};
pub use fleet_round::{fleet_round, BreakerReport, FleetReport, ServiceReport};
pub use in_force::{AckDone, AlertInForce, AlertsInForce, TEAM_ID_PREFIX};
pub use team::{TeamRequestError, TeamSilenceDone};

/// Which services a console polls and streams.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Watch {
    /// Every configured service: the window, `watch`.
    #[default]
    All,
    /// Only these: a CLI action reads the one service it acts on.
    Only(Vec<String>),
    /// None: reading the history (a snapshot export).
    Nothing,
}

/// How to start a console.
pub struct ConsoleOptions {
    /// The history database file; `None` keeps no history (live values only).
    pub database: Option<PathBuf>,
    pub clock: Arc<dyn Clock>,
    pub watch: Watch,
    /// Run roll-ups and retention beside the collection (a long-running console).
    pub maintenance: bool,
}

/// What the engineer should know about how the console started, without it having
/// stopped it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartNotes {
    /// The history was damaged and replaced: what was wrong and where the old file is.
    pub recovered: Option<String>,
    /// The history could not be opened: live values only.
    pub history_error: Option<String>,
    /// The saved alert state could not be read: the configuration's rules are in force.
    pub alerts_warning: Option<String>,
}

/// A running console.
pub struct Console {
    config: Config,
    clock: Arc<dyn Clock>,
    engine: EngineHandle,
    store: Option<Store>,
    /// The audit log's way in (the engine owns the writer itself).
    audit: Option<WriterHandle>,
    /// Whether the history is being written, or why not (disk full, read-only).
    store_health: Option<watch::Receiver<StoreHealth>>,
    maintenance: Mutex<Option<MaintenanceTask>>,
    client: reqwest::Client,
    /// Actions on their way, so a double click sends one request.
    in_flight: InFlight,
    /// Told each time an action's audit row is written or completed.
    action_log: broadcast::Sender<ActionLogged>,
    notes: StartNotes,
    operator: String,
    /// The team's Alertmanager, when `[alertmanager]` is configured (`team.rs`).
    team: Option<Arc<team::TeamLink>>,
}

impl Console {
    /// Opens the history, restores the alert state and starts everything. Never fails:
    /// a history that cannot be opened leaves a console of live values, and says why in
    /// [`Console::notes`].
    pub async fn start(config: Config, options: ConsoleOptions) -> Console {
        let ConsoleOptions {
            database,
            clock,
            watch,
            maintenance,
        } = options;
        let mut notes = StartNotes::default();
        let store = match &database {
            Some(path) => match Store::open_with_report(path, clock.as_ref()).await {
                Ok((store, report)) => {
                    if let Some(moved) = &report.recovered_from {
                        notes.recovered = Some(format!(
                            "The history database was damaged ({}). It was moved to {} and a fresh one started; older history is in that file.",
                            report.damage.as_deref().unwrap_or("unreadable"),
                            moved.display()
                        ));
                    }
                    Some(store)
                }
                Err(e) => {
                    tracing::error!(error = %e, "history disabled");
                    notes.history_error = Some(e.to_string());
                    None
                }
            },
            None => None,
        };

        let mut start = EngineStart {
            alerts: AlertSetup::from_config(&config),
            only: match &watch {
                Watch::All => None,
                Watch::Only(names) => Some(names.clone()),
                Watch::Nothing => Some(Vec::new()),
            },
            ..EngineStart::default()
        };
        let mut store_health = None;
        let mut audit = None;
        let mut maintenance_task = None;
        // A console that watches only part of the fleet (a CLI action) or none of it (an
        // export) evaluates no alerts: it would resolve, or fire again, what the console
        // watching the whole fleet owns in the same history.
        let evaluates_alerts = watch == Watch::All;
        if !evaluates_alerts {
            start.alerts = AlertSetup::default();
        }
        if let Some(store) = &store {
            match restore(store, &config, clock.now()).await {
                Ok((alerts, breakers)) => {
                    if evaluates_alerts {
                        start.alerts = alerts;
                    }
                    start.breakers = breakers;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the saved alert state; using the configuration's rules");
                    notes.alerts_warning = Some(e);
                }
            }
            let writer = store.start_writer();
            store_health = Some(writer.health());
            audit = Some(writer.handle());
            start.writer = Some(writer);
            if maintenance {
                maintenance_task = Some(store.start_maintenance(
                    clock.clone(),
                    RetentionPolicy::from_storage(&config.storage),
                ));
            }
        }
        let engine = EngineHandle::start_with(&config, clock.clone(), start);
        let operator = crate::operator::operator(config.operator.as_deref());
        let client = crate::sources::http::build_client();
        let team = config
            .alertmanager
            .as_ref()
            .map(|am| Arc::new(team::TeamLink::new(am, client.clone())));
        let console = Console {
            config,
            clock,
            engine,
            store,
            audit,
            store_health,
            maintenance: Mutex::new(maintenance_task),
            client,
            in_flight: InFlight::default(),
            action_log: broadcast::channel(ACTION_LOG_BACKLOG).0,
            notes,
            operator,
            team,
        };
        // The team's alerts are refreshed by a long-running console only; a CLI command
        // reads them when it needs them.
        if watch == Watch::All {
            console.start_team_refresh();
        }
        console
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The history reader of the team's engine that reports `state`, when one does:
    /// its charts reach past the local history through it.
    pub fn engine_history(
        &self,
        state: &crate::model::ServiceState,
    ) -> Option<crate::engines::history::EngineHistory> {
        let name = &state.engine.as_ref()?.engine;
        let engine = self.config.engines.iter().find(|e| &e.name == name)?;
        Some(crate::engines::history::EngineHistory::new(
            crate::sources::http::build_client(),
            engine,
        ))
    }

    pub fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    /// The history, when it is open.
    pub fn store(&self) -> Option<&Store> {
        self.store.as_ref()
    }

    pub fn notes(&self) -> &StartNotes {
        &self.notes
    }

    /// Who the audit log and acknowledgements name.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The history's health as it changes, for a subscriber that shows it.
    pub fn store_health(&self) -> Option<watch::Receiver<StoreHealth>> {
        self.store_health.clone()
    }

    /// Why the history is not being written right now, if it is not.
    pub fn history_problem(&self) -> Option<String> {
        problem_of(&self.store_health.as_ref()?.borrow())
    }

    /// News of the audit log: one [`ActionLogged`] each time an action's row is written
    /// (the intent and first outcome) and completed (its verification), after which a
    /// read of the log shows it.
    pub fn action_log(&self) -> broadcast::Receiver<ActionLogged> {
        self.action_log.subscribe()
    }

    /// Stops maintenance, then the sources and the engine (which flushes the history),
    /// then closes the database. Returns the writer's statistics when there was one.
    pub async fn shutdown(&self) -> Option<WriterStats> {
        self.stop_team_refresh().await;
        let maintenance = self
            .maintenance
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = maintenance {
            task.stop().await;
        }
        let stats = self.engine.shutdown().await;
        if let Some(stats) = &stats {
            tracing::info!(
                written = stats.observations_written,
                dropped = stats.dropped,
                "history flushed"
            );
        }
        if let Some(store) = &self.store {
            store.close().await;
        }
        stats
    }
}

/// How many audit-log notices a slow subscriber may fall behind by; it then re-reads.
const ACTION_LOG_BACKLOG: usize = 64;

/// The history's health in the words the window shows; `None` while it is written.
pub fn problem_of(health: &StoreHealth) -> Option<String> {
    match health {
        StoreHealth::Writing => None,
        StoreHealth::Failing { message, .. } => Some(format!(
            "The history cannot be written: {message}. Live values go on; writing resumes by itself when it can."
        )),
    }
}

/// What the history remembers for the engine: the alert state and the breakers' states.
async fn restore(
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(AlertSetup, BreakerBook), String> {
    let alerts = AlertSetup::load(store, config, now)
        .await
        .map_err(|e| e.to_string())?;
    let stored = store.breaker_states().await.map_err(|e| e.to_string())?;
    let breakers = BreakerBook::from_stored(stored.into_iter().filter_map(|record| {
        let state = BreakerState::parse(&record.state)?;
        Some((record.service, record.breaker, state))
    }));
    Ok((alerts, breakers))
}
