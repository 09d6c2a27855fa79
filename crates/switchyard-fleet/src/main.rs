//! `switchyard-fleet`: runs a fleet of simulated services on 127.0.0.1
//! until Ctrl-C or SIGTERM (by default one per seed profile, or the larger
//! demo fleet), optionally printing the Switchyard configuration that
//! watches it.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use switchyard_fleet::Fleet;
use tracing_subscriber::EnvFilter;

/// Simulated services that speak Switchyard's contracts, with fault injection.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "\
Example:
  switchyard-fleet --print-config --poll-interval 2s --timeout 1s > fleet.toml
  switchyard-cli watch --config fleet.toml

The printed configuration starts with a commented
  # export SWITCHYARD_FLEET_INTERNAL_KEY=…
line: health-levels services need that key, and the configuration only
refers to the environment variable.

Each service also answers POST /_fleet/set, POST /_fleet/script and
GET /_fleet/state, e.g.
  curl -X POST -d '{\"status\": \"DOWN\"}' http://127.0.0.1:PORT/_fleet/set
  curl -X POST -d '{\"fault\": \"hang\", \"endpoint\": \"/api/cache/stats\"}' \\
       http://127.0.0.1:PORT/_fleet/set"
)]
struct Args {
    /// Start the demo fleet (four health-contract services and one of each
    /// other seed profile) instead of one service per seed profile.
    #[arg(long)]
    demo: bool,
    /// Print a Switchyard configuration for the running fleet to stdout,
    /// after a commented `export` line carrying the internal key.
    #[arg(long)]
    print_config: bool,
    /// `[defaults] poll_interval` in the printed configuration.
    #[arg(long, default_value = "2s", value_name = "DURATION")]
    poll_interval: String,
    /// `[defaults] timeout` in the printed configuration.
    #[arg(long, default_value = "1s", value_name = "DURATION")]
    timeout: String,
    /// Instead of a fleet: serve the file FILE (a Prometheus text document) at N
    /// loopback ports, print each `127.0.0.1:PORT` on a line of its own, and count
    /// the scrapes at `GET /_bench/requests` (scripts/bench-scrape.sh).
    #[arg(long, num_args = 2, value_names = ["N", "FILE"], conflicts_with_all = ["demo", "print_config"])]
    serve_static: Option<Vec<String>>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // Logs go to stderr so stdout carries nothing but the configuration.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only help a person at a terminal, not a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    if let Some(static_args) = &args.serve_static {
        return serve_static(static_args).await;
    }

    let (which, started) = if args.demo {
        ("demo", Fleet::start_demo().await)
    } else {
        ("seed", Fleet::start_seed().await)
    };
    tracing::info!(fleet = which, "starting");
    let fleet = match started {
        Ok(fleet) => fleet,
        Err(error) => {
            tracing::error!(%error, fleet = which, "could not start the fleet");
            return ExitCode::FAILURE;
        }
    };
    for service in fleet.services() {
        tracing::info!(
            service = %service.name,
            url = %service.base_url,
            profile = service.profile,
            "serving"
        );
    }

    if args.print_config {
        let config = fleet.internal_key_export_line()
            + &fleet.config_toml(&args.poll_interval, &args.timeout);
        // Flushed now: a reader of a pipe must see it while we keep serving.
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout
            .write_all(config.as_bytes())
            .and_then(|()| stdout.flush())
        {
            tracing::error!(%error, "could not print the configuration");
            fleet.shutdown().await;
            return ExitCode::FAILURE;
        }
    }

    match wait_for_stop_signal().await {
        Ok(signal) => tracing::info!(signal, "stopping"),
        Err(error) => tracing::error!(%error, "cannot listen for stop signals; stopping"),
    }
    fleet.shutdown().await;
    ExitCode::SUCCESS
}

/// `--serve-static N FILE`: the bench's targets, until a stop signal.
async fn serve_static(args: &[String]) -> ExitCode {
    let [count, file] = args else {
        tracing::error!("--serve-static takes N and FILE");
        return ExitCode::FAILURE;
    };
    let Ok(count) = count.parse::<usize>() else {
        tracing::error!(%count, "--serve-static: N must be a whole number");
        return ExitCode::FAILURE;
    };
    let body = match std::fs::read(file) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, %file, "cannot read the document to serve");
            return ExitCode::FAILURE;
        }
    };
    let targets = match switchyard_fleet::StaticTargets::start(count, body).await {
        Ok(targets) => targets,
        Err(error) => {
            tracing::error!(%error, count, "could not bind the targets");
            return ExitCode::FAILURE;
        }
    };
    let listing: String = targets
        .addresses
        .iter()
        .map(|address| format!("{address}\n"))
        .collect();
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(listing.as_bytes())
        .and_then(|()| stdout.flush())
    {
        tracing::error!(%error, "could not print the targets");
        return ExitCode::FAILURE;
    }
    drop(stdout);
    tracing::info!(count, "serving");
    match wait_for_stop_signal().await {
        Ok(signal) => tracing::info!(signal, "stopping"),
        Err(error) => tracing::error!(%error, "cannot listen for stop signals; stopping"),
    }
    ExitCode::SUCCESS
}

/// Waits for Ctrl-C or (on Unix) SIGTERM and names the one that came.
async fn wait_for_stop_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map(|()| "SIGINT"),
            _ = terminate.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "Ctrl-C")
    }
}
