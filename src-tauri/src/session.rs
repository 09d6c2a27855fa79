//! One run of the console: which configuration (or the demo fleet), which database, and
//! the engine watching it. A start-up problem does not close the app: the window opens
//! and says what is wrong and what to do.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use switchyard_core::actions::InFlight;
use switchyard_core::alerting::AlertSetup;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource, ServiceConfig};
use switchyard_core::dirs::AppDirs;
use switchyard_core::engine::EngineHandle;
use switchyard_core::secrets::{HeaderSource, SecretRef};
use switchyard_core::session::SessionInfo;
use switchyard_core::store::{MaintenanceTask, RetentionPolicy, Store, StoreHealth, WriterHandle};
use switchyard_fleet::Fleet;
use tokio::sync::watch;

/// The demo polls briskly so the screen visibly moves.
const DEMO_POLL_INTERVAL: &str = "2s";
const DEMO_TIMEOUT: &str = "1s";

/// What running actions needs: the HTTP client, the audit writer, and the set of
/// actions on their way (so a double click sends one request).
pub struct ActionContext {
    pub client: reqwest::Client,
    pub writer: Option<WriterHandle>,
    pub in_flight: InFlight,
}

pub struct Session {
    info: SessionInfo,
    /// The configuration in force (the demo's included), for planning actions.
    config: Option<Config>,
    actions: ActionContext,
    engine: Option<EngineHandle>,
    store: Option<Store>,
    /// Whether the history is being written, or why not (disk full, read-only).
    store_health: Option<watch::Receiver<StoreHealth>>,
    /// Roll-ups and retention, in the background; stopped on exit.
    maintenance: Mutex<Option<MaintenanceTask>>,
    /// The last snapshot written, the only file "open" and "show in folder" act on.
    last_export: Mutex<Option<PathBuf>>,
    /// The in-process demo fleet; kept so its servers live as long as the window.
    _fleet: Option<Fleet>,
}

/// The configuration this launch watches: `--demo`, else the documented search order.
pub fn locate_config(
    cli_config: Option<&Path>,
    force_demo: bool,
    dirs: Option<&AppDirs>,
) -> ConfigSource {
    if force_demo {
        return ConfigSource::Demo;
    }
    let env = std::env::var("SWITCHYARD_CONFIG").ok();
    config::locate(
        cli_config,
        env.as_deref(),
        dirs.map(|d| d.config_dir.as_path()),
    )
}

impl Session {
    pub async fn start(source: ConfigSource, dirs: Option<&AppDirs>) -> Session {
        let mut info = SessionInfo {
            config_source: match &source {
                ConfigSource::Demo => "demo".to_string(),
                ConfigSource::File(path) => path.display().to_string(),
            },
            demo: source == ConfigSource::Demo,
            database: None,
            error: None,
            warning: None,
            version: env!("SWITCHYARD_VERSION").to_string(),
        };
        let mut session = Session {
            info: info.clone(),
            engine: None,
            store: None,
            config: None,
            actions: ActionContext {
                client: switchyard_core::sources::http::build_client(),
                writer: None,
                in_flight: InFlight::default(),
            },
            store_health: None,
            last_export: Mutex::new(None),
            maintenance: Mutex::new(None),
            _fleet: None,
        };

        let config = match &source {
            ConfigSource::File(path) => Config::load(path),
            ConfigSource::Demo => match Fleet::start_demo().await {
                Ok(fleet) => {
                    let parsed =
                        Config::parse(&fleet.config_toml(DEMO_POLL_INTERVAL, DEMO_TIMEOUT));
                    let key = fleet.internal_key().to_string();
                    session._fleet = Some(fleet);
                    parsed.map(|mut c| {
                        c.storage.path = "demo-history.db".into();
                        give_demo_key(&mut c, &key);
                        c
                    })
                }
                Err(e) => {
                    info.error = Some(format!("cannot start the demo fleet on 127.0.0.1: {e}"));
                    session.info = info;
                    return session;
                }
            },
        };
        let config = match config {
            Ok(config) => config,
            Err(e) => {
                tracing::error!(error = %e, "configuration refused");
                info.error = Some(format!(
                    "{} Fix the configuration and restart, or run with --demo.",
                    sentence(&e)
                ));
                session.info = info;
                return session;
            }
        };

        // The alert rules saved from the UI and the silences in force live in the history;
        // without it, the configuration's rules and no silences.
        let mut alerts = AlertSetup::from_config(&config);
        let writer = match dirs {
            Some(dirs) => {
                let path = config.storage.resolved_path(&dirs.data_dir);
                info.database = Some(path.display().to_string());
                match Store::open_with_report(&path, &SystemClock).await {
                    Ok((store, report)) => {
                        if let Some(moved) = &report.recovered_from {
                            info.warning = Some(format!(
                                "The history database was damaged ({}). It was moved to {} and a fresh one started; older history is in that file.",
                                report.damage.as_deref().unwrap_or("unreadable"),
                                moved.display()
                            ));
                        }
                        match AlertSetup::load(&store, &config, chrono::Utc::now()).await {
                            Ok(loaded) => alerts = loaded,
                            Err(e) => tracing::warn!(
                                error = %e,
                                "cannot read saved alert rules and silences; using the configuration's rules"
                            ),
                        }
                        let writer = store.start_writer();
                        session.store_health = Some(writer.health());
                        session.actions.writer = Some(writer.handle());
                        let policy = RetentionPolicy::from_storage(&config.storage);
                        session.maintenance = Mutex::new(Some(
                            store.start_maintenance(Arc::new(SystemClock), policy),
                        ));
                        session.store = Some(store);
                        Some(writer)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "history disabled");
                        info.error = Some(format!(
                            "{} Live values are shown, but no history is kept.",
                            sentence(&e)
                        ));
                        None
                    }
                }
            }
            None => {
                info.error =
                    Some("no home directory: live values are shown, but no history is kept".into());
                None
            }
        };

        tracing::info!(
            source = %info.config_source,
            services = config.services.len(),
            database = info.database.as_deref().unwrap_or("none"),
            "watching"
        );
        session.engine = Some(EngineHandle::start_with_alerts(
            &config,
            Arc::new(SystemClock),
            writer,
            alerts,
        ));
        session.config = Some(config);
        session.info = info;
        session
    }

    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    pub fn remember_export(&self, path: PathBuf) {
        *self.last_export.lock().unwrap_or_else(|e| e.into_inner()) = Some(path);
    }

    pub fn last_export(&self) -> Option<PathBuf> {
        self.last_export
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn actions(&self) -> &ActionContext {
        &self.actions
    }

    pub fn service_config(&self, name: &str) -> Option<&ServiceConfig> {
        self.config
            .as_ref()?
            .services
            .iter()
            .find(|s| s.name == name)
    }

    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    pub fn engine(&self) -> Option<&EngineHandle> {
        self.engine.as_ref()
    }

    /// The history database and the engine feeding it, when both run.
    pub fn history(&self) -> Option<(&Store, &EngineHandle)> {
        Some((self.store.as_ref()?, self.engine.as_ref()?))
    }

    /// Stops polling and flushes the history.
    /// Why the history is not being written right now, if it is not.
    pub fn history_problem(&self) -> Option<String> {
        match &*self.store_health.as_ref()?.borrow() {
            StoreHealth::Writing => None,
            StoreHealth::Failing { message, .. } => Some(format!(
                "The history cannot be written: {message}. Live values go on; writing resumes by itself when it can."
            )),
        }
    }

    pub async fn shutdown(&self) {
        let maintenance = self
            .maintenance
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = maintenance {
            task.stop().await;
        }
        if let Some(engine) = &self.engine {
            if let Some(stats) = engine.shutdown().await {
                tracing::info!(
                    written = stats.observations_written,
                    dropped = stats.dropped,
                    "history flushed"
                );
            }
        }
        if let Some(store) = &self.store {
            store.close().await;
        }
    }
}

/// The demo fleet's config refers to its internal key by environment variable, as a
/// real config must. The demo lives in this process, so it hands the key over directly
/// instead of putting a secret into the process environment.
fn give_demo_key(config: &mut Config, key: &str) {
    let reference = HeaderSource::Secret(SecretRef::Env(
        switchyard_fleet::INTERNAL_KEY_ENV.to_string(),
    ));
    for service in &mut config.services {
        for (_, source) in &mut service.headers {
            if *source == reference {
                *source = HeaderSource::Literal(key.to_string());
            }
        }
    }
}

/// An error message as a sentence: ends with one stop, whatever it ended with.
fn sentence(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    if text.ends_with(['.', '?', '!']) {
        text
    } else {
        format!("{text}.")
    }
}
