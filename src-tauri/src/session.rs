//! One run of the console: which configuration (or the demo fleet), which database, and
//! the engine watching it. A start-up problem does not close the app: the window opens
//! and says what is wrong and what to do. A new configuration (the first service added
//! from the demo, a saved edit of the file) replaces the running console with one
//! started on it, on the same history; a configuration that does not validate leaves
//! the running one in place and is reported.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigError, ConfigSource};
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
    dirs: Option<AppDirs>,
    run: RwLock<Run>,
    /// One change of console at a time (an edit from the window racing a hand edit).
    switching: tokio::sync::Mutex<()>,
    /// The last snapshot written, the only file "open" and "show in folder" act on.
    last_export: Mutex<Option<PathBuf>>,
}

/// What is running now.
struct Run {
    source: ConfigSource,
    info: SessionInfo,
    /// The running console; `None` when the configuration was refused.
    console: Option<Arc<Console>>,
    /// The in-process demo fleet; kept so its servers live as long as the demo runs.
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
        let config = match &source {
            ConfigSource::File(path) => Some(Config::load(path)),
            ConfigSource::Demo => None,
        };
        let run = start_run(source, config, dirs, 0).await;
        Session {
            dirs: dirs.cloned(),
            run: RwLock::new(run),
            switching: tokio::sync::Mutex::new(()),
            last_export: Mutex::new(None),
        }
    }

    /// Stops the running console and starts one on `config`, read from `path`.
    pub async fn switch_to(&self, path: PathBuf, config: Config) {
        let _one_at_a_time = self.switching.lock().await;
        let (old, run) = {
            let run = self.read();
            (run.console.clone(), run.info.run + 1)
        };
        // The history has one writer: the old console flushes and closes it first.
        if let Some(old) = old {
            old.shutdown().await;
        }
        let next = start_run(
            ConfigSource::File(path),
            Some(Ok(config)),
            self.dirs.as_ref(),
            run,
        )
        .await;
        // The demo fleet, if it ran, stops with the old run here.
        *self.run.write().unwrap_or_else(|e| e.into_inner()) = next;
    }

    /// A saved edit that does not validate: the running console stays.
    pub fn refuse_edit(&self, error: &ConfigError) {
        tracing::warn!(error = %error, "configuration edit refused; the last good one keeps running");
        let mut run = self.run.write().unwrap_or_else(|e| e.into_inner());
        run.info.config_problem = Some(format!(
            "{} The last good configuration keeps running; fix the file and save it again.",
            sentence(error)
        ));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Run> {
        self.run.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The running console, when the configuration was accepted.
    pub fn console(&self) -> Option<Arc<Console>> {
        self.read().console.clone()
    }

    /// The file the window's edits go to (see `config::edit::target_file`).
    pub fn config_path(&self) -> Option<PathBuf> {
        config::edit::target_file(
            &self.read().source,
            self.dirs.as_ref().map(|d| d.config_dir.as_path()),
        )
    }

    /// The configuration file being watched, if any (not the demo).
    pub fn config_file(&self) -> Option<PathBuf> {
        match &self.read().source {
            ConfigSource::File(path) => Some(path.clone()),
            ConfigSource::Demo => None,
        }
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

    pub fn info(&self) -> SessionInfo {
        self.read().info.clone()
    }

    pub fn engine(&self) -> Option<EngineHandle> {
        self.read().console.as_ref().map(|c| c.engine().clone())
    }

    /// Who the audit log and acknowledgements name.
    pub fn operator(&self) -> String {
        match &self.read().console {
            Some(console) => console.operator().to_string(),
            None => switchyard_core::operator::operator(None),
        }
    }

    /// The running console, or why there is none, for a command to forward to.
    pub fn running(&self) -> Result<Arc<Console>, Unavailable> {
        self.console().ok_or(Unavailable::NoEngine)
    }

    /// The history database and the engine feeding it, when both run.
    pub fn history(&self) -> Result<(Store, EngineHandle), Unavailable> {
        let console = self.running()?;
        Ok((
            console.store().cloned().ok_or(Unavailable::NoHistory)?,
            console.engine().clone(),
        ))
    }

    /// Stops polling and flushes the history.
    pub async fn shutdown(&self) {
        if let Some(console) = self.console() {
            console.shutdown().await;
        }
    }
}

/// Starts a console on `source` (`config` is its reading; the demo starts its fleet).
async fn start_run(
    source: ConfigSource,
    config: Option<Result<Config, ConfigError>>,
    dirs: Option<&AppDirs>,
    run: u32,
) -> Run {
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
        config_path: config::edit::target_file(&source, dirs.map(|d| d.config_dir.as_path()))
            .map(|p| p.display().to_string()),
        config_problem: None,
        run,
    };
    let mut fleet = None;
    let config = match config {
        Some(config) => config,
        None => match Fleet::start_demo().await {
            Ok(demo) => {
                let parsed = Config::parse(&demo.config_toml(DEMO_POLL_INTERVAL, DEMO_TIMEOUT));
                let key = demo.internal_key().to_string();
                fleet = Some(demo);
                parsed.map(|mut c| {
                    c.storage.path = "demo-history.db".into();
                    give_demo_key(&mut c, &key);
                    c
                })
            }
            Err(e) => {
                info.error = Some(format!("cannot start the demo fleet on 127.0.0.1: {e}"));
                return Run {
                    source,
                    info,
                    console: None,
                    _fleet: None,
                };
            }
        },
    };
    let config = match config {
        Ok(config) => config,
        Err(e) => {
            tracing::error!(error = %e, "configuration refused");
            info.error = Some(format!(
                "{} Fix the configuration (it is applied when saved), or run with --demo.",
                sentence(&e)
            ));
            return Run {
                source,
                info,
                console: None,
                _fleet: fleet,
            };
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
        run,
        database = info.database.as_deref().unwrap_or("none"),
        "watching"
    );
    Run {
        source,
        info,
        console: Some(Arc::new(console)),
        _fleet: fleet,
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
