//! One run of the console: which configuration (or the demo fleet), which database, and
//! the engine watching it. A start-up problem does not close the app: the window opens
//! and says what is wrong and what to do.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource};
use switchyard_core::console::{Console, ConsoleOptions, Watch};
use switchyard_core::dirs::AppDirs;
use switchyard_core::engine::EngineHandle;
use switchyard_core::ipc_error::Unavailable;
use switchyard_core::secrets::{HeaderSource, SecretRef};
use switchyard_core::session::SessionInfo;
use switchyard_core::store::Store;
use switchyard_fleet::Fleet;

/// The demo polls briskly so the screen visibly moves.
const DEMO_POLL_INTERVAL: &str = "2s";
const DEMO_TIMEOUT: &str = "1s";

pub struct Session {
    info: SessionInfo,
    /// The running console; `None` when the configuration was refused.
    console: Option<Console>,
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
            config_path: None,
            config_problem: None,
        };
        let mut session = Session {
            info: info.clone(),
            console: None,
            last_export: Mutex::new(None),
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

        let database = dirs.map(|dirs| config.storage.resolved_path(&dirs.data_dir));
        info.database = database.as_ref().map(|p| p.display().to_string());
        let services = config.services.len();
        let console = Console::start(
            config,
            ConsoleOptions {
                database,
                clock: Arc::new(SystemClock),
                watch: Watch::All,
                maintenance: true,
            },
        )
        .await;
        let notes = console.notes();
        info.warning = notes.recovered.clone();
        if dirs.is_none() {
            info.error =
                Some("no home directory: live values are shown, but no history is kept".into());
        } else if let Some(e) = &notes.history_error {
            info.error = Some(format!(
                "{} Live values are shown, but no history is kept.",
                sentence(e)
            ));
        }
        tracing::info!(
            source = %info.config_source,
            services,
            database = info.database.as_deref().unwrap_or("none"),
            "watching"
        );
        session.console = Some(console);
        session.info = info;
        session
    }

    /// The running console, when the configuration was accepted.
    pub fn console(&self) -> Option<&Console> {
        self.console.as_ref()
    }

    pub fn remember_export(&self, path: PathBuf) {
        *self.last_export.lock().unwrap_or_else(|e| e.into_inner()) = Some(path);
    }

    pub fn last_export(&self) -> Result<PathBuf, Unavailable> {
        self.last_export
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(Unavailable::NoExport)
    }

    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    pub fn engine(&self) -> Option<&EngineHandle> {
        self.console.as_ref().map(Console::engine)
    }

    /// Who the audit log and acknowledgements name.
    pub fn operator(&self) -> String {
        match &self.console {
            Some(console) => console.operator().to_string(),
            None => switchyard_core::operator::operator(None),
        }
    }

    /// The running console, or why there is none, for a command to forward to.
    pub fn running(&self) -> Result<&Console, Unavailable> {
        self.console.as_ref().ok_or(Unavailable::NoEngine)
    }

    /// The history database and the engine feeding it, when both run.
    pub fn history(&self) -> Result<(&Store, &EngineHandle), Unavailable> {
        let console = self.running()?;
        Ok((
            console.store().ok_or(Unavailable::NoHistory)?,
            console.engine(),
        ))
    }

    /// Stops polling and flushes the history.
    pub async fn shutdown(&self) {
        if let Some(console) = &self.console {
            console.shutdown().await;
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
