//! `watch`: headless collection into the history database, with a one-line live summary
//! when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource};
use switchyard_core::console::{Console, ConsoleOptions, Watch};
use switchyard_core::dirs::AppDirs;
use switchyard_core::feed::FleetSubscription;
use switchyard_core::summary::FleetSummary;
use switchyard_core::units::parse_duration;

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
    // The same console the window runs: the alert rules saved from the window, the
    // silences in force and the alerts still open are restored from the history, and
    // roll-ups and retention run beside the collection, so a long watch stays bounded.
    let console = Console::start(
        config,
        ConsoleOptions {
            database: Some(db_path.clone()),
            clock: Arc::new(SystemClock),
            watch: Watch::All,
            maintenance: true,
        },
    )
    .await;
    let notes = console.notes();
    if let Some(recovered) = &notes.recovered {
        eprintln!("{recovered}");
    }
    if let Some(e) = &notes.history_error {
        eprintln!("switchyard-cli watch: {e}");
        console.shutdown().await;
        return Outcome::UsageError;
    }
    if let Some(warning) = &notes.alerts_warning {
        eprintln!(
            "the saved alert state could not be read ({warning}); using the configuration's rules"
        );
    }
    eprintln!(
        "watching {} services from {} into {}",
        console.config().services.len(),
        path.display(),
        db_path.display()
    );
    let deadline = async {
        match args.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    follow(console.engine().fleet(), deadline).await;

    let stats = console.shutdown().await.unwrap_or_default();
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
async fn follow(mut fleet: FleetSubscription, deadline: impl std::future::Future<Output = ()>) {
    let live = std::io::stderr().is_terminal();
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
            delta = fleet.next() => {
                if delta.is_none() {
                    break;
                }
                if live {
                    let states = fleet.feed().states();
                    eprint!("\r\x1b[2K{}", FleetSummary::of(states.iter().map(|s| &**s)).line());
                    let _ = std::io::stderr().flush();
                }
            }
        }
    }
    if live {
        eprintln!();
    }
}
