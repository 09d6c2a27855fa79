//! `alerts`, `ack` and `unack`: the alerts in force from a terminal. Switchyard's own
//! come from the history, the team's from the configured Alertmanager; an
//! acknowledgement of the team's is an `ACK!` silence by the operator there, visible to
//! everyone on call. The console does the work; this file parses flags and prints.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use switchyard_core::alertmanager::AlertmanagerError;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource};
use switchyard_core::console::{
    AckDone, AlertInForce, Console, ConsoleOptions, TeamRequestError, Watch,
};
use switchyard_core::dirs::AppDirs;
use switchyard_core::units::parse_duration;

use crate::Outcome;

/// List the alerts in force: Switchyard's own (from the history) and Alertmanager's.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli alerts --config fleet.toml\n  switchyard-cli alerts --config fleet.toml --json\n\n\
Each alert has an id for ack and unack: service/rule[/subject] for Switchyard's own,\n\
am:FINGERPRINT for Alertmanager's.\n\n\
Exit codes: 0 nothing is firing unhandled, 1 something is (or a source could not be read),\n\
2 usage or configuration error."
)]
pub struct AlertsArgs {
    /// The configuration file (else $SWITCHYARD_CONFIG, else the user's config directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The history database (else the configuration's storage.path).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Acknowledge an alert: Alertmanager's as an ACK! silence by you, Switchyard's own in the history.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli ack --config fleet.toml am:4f9c2d1e0a7b3c55 --comment \"looking at the ledger (INC-4711)\"\n\n\
An Alertmanager alert is acknowledged with a silence on its stable labels ([alertmanager]\n\
ack_labels), comment \"ACK! <comment>\", lasting ack_for (or --for); a running Switchyard\n\
renews it while the alert fires.\n\n\
Exit codes: 0 acknowledged, 1 refused (Alertmanager's reason is printed) or not found,\n\
2 usage or configuration error."
)]
pub struct AckArgs {
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The alert, as `alerts` prints its id.
    pub alert_id: String,
    /// What you are doing about it.
    #[arg(long, value_name = "TEXT")]
    pub comment: String,
    /// How long the acknowledgement lasts (Alertmanager's; default: ack_for).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub lasting: Option<Duration>,
    #[arg(long)]
    pub json: bool,
}

/// Take back an acknowledgement of an Alertmanager alert: its ACK! silences are expired.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli unack --config fleet.toml am:4f9c2d1e0a7b3c55\n\n\
Exit codes: 0 taken back, 1 refused or not acknowledged, 2 usage or configuration error."
)]
pub struct UnackArgs {
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The alert, as `alerts` prints its id.
    pub alert_id: String,
}

fn say(command: &str, message: &str) {
    eprintln!("switchyard-cli {command}: {message}");
}

/// Finds the configuration and starts a console that watches nothing (it reads the
/// history and asks Alertmanager).
async fn start(
    command: &str,
    config_flag: Option<&std::path::Path>,
    db: Option<&std::path::Path>,
) -> Result<Console, Outcome> {
    let dirs = AppDirs::discover();
    let env = std::env::var("SWITCHYARD_CONFIG").ok();
    let path = match config::locate(
        config_flag,
        env.as_deref(),
        dirs.as_ref().map(|d| d.config_dir.as_path()),
    ) {
        ConfigSource::File(path) => path,
        ConfigSource::Demo => {
            say(
                command,
                "no configuration found; pass --config FILE or set SWITCHYARD_CONFIG",
            );
            return Err(Outcome::UsageError);
        }
    };
    let config = Config::load(&path).map_err(|e| {
        say(command, &e.to_string());
        Outcome::UsageError
    })?;
    let database = match (db, &dirs) {
        (Some(db), _) => db.to_path_buf(),
        (None, Some(dirs)) => config.storage.resolved_path(&dirs.data_dir),
        (None, None) => {
            say(
                command,
                "no home directory for the history database; pass --db PATH",
            );
            return Err(Outcome::UsageError);
        }
    };
    Ok(Console::start(
        config,
        ConsoleOptions {
            database: Some(database),
            clock: Arc::new(SystemClock),
            watch: Watch::Nothing,
            maintenance: false,
        },
    )
    .await)
}

pub async fn alerts(args: AlertsArgs) -> Outcome {
    let console = match start("alerts", args.config.as_deref(), args.db.as_deref()).await {
        Ok(console) => console,
        Err(outcome) => return outcome,
    };
    let found = console.alerts_in_force().await;
    console.shutdown().await;
    if args.json {
        match serde_json::to_string_pretty(&found) {
            Ok(text) => println!("{text}"),
            Err(e) => say("alerts", &format!("cannot print: {e}")),
        }
    } else {
        if found.alerts.is_empty() {
            println!("No alerts in force.");
        }
        for alert in &found.alerts {
            println!("{}", line(alert));
        }
        for problem in &found.problems {
            say("alerts", problem);
        }
    }
    let unhandled = found.alerts.iter().any(|a| {
        a.acknowledged_by.is_none()
            && a.silenced_by.is_none()
            && (a.state == "firing" || a.state == "active")
    });
    if unhandled || !found.problems.is_empty() {
        Outcome::Unhealthy
    } else {
        Outcome::Ok
    }
}

/// `am:4f9c…  [alertmanager] BreakerOpen on payments  suppressed  critical  acknowledged by ana`
fn line(alert: &AlertInForce) -> String {
    let mut text = format!("{}  [{}] {}", alert.id, alert.source, alert.name);
    if let Some(service) = &alert.service {
        text.push_str(&format!(" on {service}"));
    }
    text.push_str(&format!("  {}", alert.state));
    if let Some(severity) = &alert.severity {
        text.push_str(&format!("  {severity}"));
    }
    if let Some(since) = alert.since {
        text.push_str(&format!("  since {}", since.format("%Y-%m-%d %H:%M:%SZ")));
    }
    if let Some(by) = &alert.acknowledged_by {
        text.push_str(&format!("  acknowledged by {by}"));
    }
    if let Some(by) = &alert.silenced_by {
        text.push_str(&format!("  silenced by {by}"));
    }
    if let Some(summary) = &alert.summary {
        text.push_str(&format!("\n    {summary}"));
    }
    if let Some(runbook) = &alert.runbook_url {
        text.push_str(&format!("\n    runbook: {runbook}"));
    }
    text
}

/// Refusals are exit 1 with the reason; a configuration without Alertmanager is 2.
fn refused(command: &str, error: &TeamRequestError) -> Outcome {
    say(command, &error.to_string());
    match error {
        TeamRequestError::NotConfigured => {
            eprintln!("  add an [alertmanager] section with its url (docs/configuration.md)");
            Outcome::UsageError
        }
        TeamRequestError::Alertmanager(AlertmanagerError::Refused { .. }) => {
            eprintln!("  nothing was recorded");
            Outcome::Unhealthy
        }
        _ => Outcome::Unhealthy,
    }
}

pub async fn ack(args: AckArgs) -> Outcome {
    let console = match start("ack", args.config.as_deref(), args.db.as_deref()).await {
        Ok(console) => console,
        Err(outcome) => return outcome,
    };
    let done = console
        .acknowledge_in_force(&args.alert_id, &args.comment, args.lasting)
        .await;
    console.shutdown().await;
    match done {
        Ok(done) => {
            if args.json {
                if let Ok(text) = serde_json::to_string_pretty(&done) {
                    println!("{text}");
                }
            } else {
                match &done {
                    AckDone::Alertmanager(silence) => println!(
                        "acknowledged in Alertmanager: silence {} until {}",
                        silence.silence_id,
                        silence.ends_at.format("%Y-%m-%d %H:%M:%SZ")
                    ),
                    AckDone::Switchyard { id, by } => {
                        println!("acknowledged {id} by {by} in the history")
                    }
                }
            }
            Outcome::Ok
        }
        Err(error) => refused("ack", &error),
    }
}

pub async fn unack(args: UnackArgs) -> Outcome {
    let console = match start("unack", args.config.as_deref(), args.db.as_deref()).await {
        Ok(console) => console,
        Err(outcome) => return outcome,
    };
    let done = console.unacknowledge_in_force(&args.alert_id).await;
    console.shutdown().await;
    match done {
        Ok(expired) => {
            for silence in &expired {
                println!("silence {} expired", silence.silence_id);
            }
            Outcome::Ok
        }
        Err(error) => refused("unack", &error),
    }
}
