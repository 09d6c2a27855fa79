//! `switchyard-cli`: the console without a window, for scripts, servers and quick checks.
//! Exit codes: 0 ok, 1 the checked thing is unhealthy or refused, 2 usage or configuration.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "switchyard-cli",
    version = env!("SWITCHYARD_VERSION"),
    about = "Switchyard without a window: probe services, collect history headless, reset breakers and clear caches"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Probe(commands::probe::ProbeArgs),
    CheckConfig(commands::check_config::CheckConfigArgs),
    Watch(commands::watch::WatchArgs),
    History(commands::history::HistoryArgs),
    Reset(commands::reset::ResetArgs),
    ClearCache(commands::clear_cache::ClearCacheArgs),
    Snapshot(commands::snapshot::SnapshotArgs),
    Alerts(commands::alerts::AlertsArgs),
    Ack(commands::alerts::AckArgs),
    Unack(commands::alerts::UnackArgs),
    Fleet(commands::fleet::FleetArgs),
    /// Write to a history database at full speed, printing each committed batch's id
    /// (the kill test's child process).
    #[command(hide = true)]
    DebugIngest(commands::history::DebugIngestArgs),
    /// One refresh of a filled engine, timed, and a long chart from it
    /// (scripts/bench-engine.sh).
    #[command(hide = true)]
    DebugEngineBench(commands::engine_bench::EngineBenchArgs),
}

/// What a command concluded, mapped onto the documented exit codes.
pub enum Outcome {
    Ok,
    Unhealthy,
    UsageError,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("switchyard-cli: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Probe(args) => commands::probe::run(args).await,
            Command::CheckConfig(args) => commands::check_config::run(args),
            Command::Watch(args) => commands::watch::run(args).await,
            Command::History(args) => commands::history::run(args).await,
            Command::Reset(args) => commands::reset::run(args).await,
            Command::ClearCache(args) => commands::clear_cache::run(args).await,
            Command::Snapshot(args) => commands::snapshot::run(args).await,
            Command::Alerts(args) => commands::alerts::alerts(args).await,
            Command::Ack(args) => commands::alerts::ack(args).await,
            Command::Unack(args) => commands::alerts::unack(args).await,
            Command::Fleet(args) => commands::fleet::run(args).await,
            Command::DebugIngest(args) => commands::history::debug_ingest(args).await,
            Command::DebugEngineBench(args) => commands::engine_bench::run(args).await,
        }
    });
    match outcome {
        Outcome::Ok => ExitCode::SUCCESS,
        Outcome::Unhealthy => ExitCode::from(1),
        Outcome::UsageError => ExitCode::from(2),
    }
}
