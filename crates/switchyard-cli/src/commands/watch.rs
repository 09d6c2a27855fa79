//! `watch`: headless collection into the history database, with a one-line live summary
//! when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource};
use switchyard_core::dirs::AppDirs;
use switchyard_core::engine::{EngineEvent, EngineHandle};
use switchyard_core::store::{RetentionPolicy, Store};
use switchyard_core::summary::FleetSummary;
use switchyard_core::units::parse_duration;
use tokio::sync::broadcast::error::RecvError;

use crate::Outcome;

/// Poll every configured service and write what is seen to the history database.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli watch --config fleet.toml --db /tmp/history.db --duration 30s"
)]
pub struct WatchArgs {
    /// The configuration file (else $SWITCHYARD_CONFIG, else the user's config directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database file (else the configuration's storage.path).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Stop after this long (else run until Ctrl-C).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
}

pub async fn run(args: WatchArgs) -> Outcome {
    let dirs = AppDirs::discover();
    let env = std::env::var("SWITCHYARD_CONFIG").ok();
    let path = match config::locate(
        args.config.as_deref(),
        env.as_deref(),
        dirs.as_ref().map(|d| d.config_dir.as_path()),
    ) {
        ConfigSource::File(path) => path,
        ConfigSource::Demo => {
            eprintln!("switchyard-cli watch: no configuration found; pass --config FILE or set SWITCHYARD_CONFIG");
            return Outcome::UsageError;
        }
    };
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("switchyard-cli watch: {e}");
            return Outcome::UsageError;
        }
    };
    let db_path = match (&args.db, &dirs) {
        (Some(db), _) => db.clone(),
        (None, Some(dirs)) => config.storage.resolved_path(&dirs.data_dir),
        (None, None) => {
            eprintln!("switchyard-cli watch: no home directory; pass --db PATH");
            return Outcome::UsageError;
        }
    };
    let store = match Store::open_with_report(&db_path, &SystemClock).await {
        Ok((store, report)) => {
            if let Some(moved) = &report.recovered_from {
                eprintln!(
                    "the history database was damaged ({}); it was moved to {} and a fresh one started",
                    report.damage.as_deref().unwrap_or("unreadable"),
                    moved.display()
                );
            }
            store
        }
        Err(e) => {
            eprintln!("switchyard-cli watch: {e}");
            return Outcome::UsageError;
        }
    };
    // Roll-ups and retention run beside the collection, so a long watch stays bounded.
    let maintenance = store.start_maintenance(
        Arc::new(SystemClock),
        RetentionPolicy::from_storage(&config.storage),
    );

    let engine = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    eprintln!(
        "watching {} services from {} into {}",
        config.services.len(),
        path.display(),
        db_path.display()
    );
    let deadline = async {
        match args.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    follow(&engine, deadline).await;

    let stats = engine.shutdown().await.unwrap_or_default();
    maintenance.stop().await;
    store.close().await;
    eprintln!(
        "stopped: {} observations written in {} transactions{}",
        stats.observations_written,
        stats.batches,
        if stats.dropped > 0 {
            format!(
                ", {} dropped because the database fell behind",
                stats.dropped
            )
        } else {
            String::new()
        }
    );
    if stats.failed_batches > 0 {
        eprintln!(
            "{} batches could not be written; see the log above",
            stats.failed_batches
        );
        return Outcome::Unhealthy;
    }
    Outcome::Ok
}

/// Prints the live summary until the deadline or Ctrl-C.
async fn follow(engine: &EngineHandle, deadline: impl std::future::Future<Output = ()>) {
    let mut events = engine.subscribe();
    let mut states = engine.snapshot().await;
    let live = std::io::stderr().is_terminal();
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
            event = events.recv() => match event {
                Ok(EngineEvent::ServiceUpdated { state }) => {
                    if let Some(slot) = states.iter_mut().find(|s| s.name == state.name) {
                        *slot = state;
                    }
                    if live {
                        eprint!("\r\x1b[2K{}", FleetSummary::of(&states).line());
                        let _ = std::io::stderr().flush();
                    }
                }
                // The summary line is about services; alerts are the window's business.
                Ok(EngineEvent::AlertsChanged { .. }) => {}
                Err(RecvError::Lagged(_)) => states = engine.snapshot().await,
                Err(RecvError::Closed) => break,
            }
        }
    }
    if live {
        eprintln!();
    }
}
