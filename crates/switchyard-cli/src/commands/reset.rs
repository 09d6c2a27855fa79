//! `reset`: a breaker reset from a script, with the app's checks, audit rows and
//! verification. Also the steps `clear-cache` shares: find the service, open the history,
//! read the service once, plan, send, verify, and say what happened.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use switchyard_core::actions::{
    self, ActionOutcome, ActionRequest, OutcomeStatus, Verification, VerifyOptions,
};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource, ServiceConfig};
use switchyard_core::console::{Console, ConsoleOptions, Watch};
use switchyard_core::dirs::AppDirs;
use switchyard_core::model::ActionKind;
use switchyard_core::units::parse_duration;

use crate::Outcome;

/// How long the first read of the service may take before the plan goes ahead without it.
const FIRST_READ_PATIENCE: Duration = Duration::from_secs(5);

/// Reset a breaker: closes it (Resilience4j: CLOSE), audited and verified.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli reset --config fleet.toml trading-api exchange_api --reason \"exchange back after maintenance (INC-4711)\"\n\n\
On a service of several instances, each instance where the breaker is open gets its own\n\
request, audit row and verification (--instance URL for one).\n\
A single-breaker service has one breaker, named circuit_breaker. When the service refuses\n\
(409: not active), run again with --override to reset anyway; the reason is sent with it.\n\n\
Exit codes: 0 done and verified, 1 refused, failed, outcome unknown or not verified,\n\
2 usage or configuration error."
)]
pub struct ResetArgs {
    #[command(flatten)]
    pub common: ActionArgs,
    /// The service, by its configured name.
    pub service: String,
    /// The breaker to reset.
    pub breaker: String,
    /// Send it even though the breaker is already closed, or the service refused (409).
    #[arg(long = "override")]
    pub override_checks: bool,
}

/// What every action command takes.
#[derive(Debug, Args)]
pub struct ActionArgs {
    /// The configuration file (else $SWITCHYARD_CONFIG, else the user's config directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The history database the audit rows go to (else the configuration's storage.path).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Why: required, kept in the audit log and sent to the service.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// How long to re-read the service for the expected state after it answers.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub verify_for: Duration,
    /// Print the outcome as JSON (the app's ActionOutcome) instead of sentences.
    #[arg(long)]
    pub json: bool,
    /// For a service of several instances: act on this one only (its URL, or
    /// `host:port`). Without it, each instance concerned gets its own request.
    #[arg(long, value_name = "URL")]
    pub instance: Option<String>,
}

impl ActionArgs {
    /// The instance asked for, named as the console names instances.
    pub fn instance_id(&self) -> Option<String> {
        self.instance
            .as_deref()
            .map(switchyard_core::discovery::instance_id)
    }
}

pub async fn run(args: ResetArgs) -> Outcome {
    let request = ActionRequest {
        service: args.service,
        kind: ActionKind::ResetBreaker,
        target: Some(args.breaker),
        reason: args.common.reason.clone(),
        override_checks: args.override_checks,
        instance: args.common.instance_id(),
    };
    act("reset", &args.common, request).await
}

/// Runs one action end to end; `command` names the subcommand in messages.
pub async fn act(command: &str, args: &ActionArgs, request: ActionRequest) -> Outcome {
    let say = |message: &str| eprintln!("switchyard-cli {command}: {message}");
    let dirs = AppDirs::discover();
    let (path, config) = match load_config(args.config.as_deref(), dirs.as_ref()) {
        Ok(found) => found,
        Err(message) => {
            say(&message);
            return Outcome::UsageError;
        }
    };
    let Some(service) = config
        .services
        .iter()
        .find(|s| s.name == request.service)
        .cloned()
    else {
        let names: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
        say(&format!(
            "no service `{}` in {}; services: {}",
            request.service,
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
        return Outcome::UsageError;
    };
    let db_path = match (&args.db, &dirs) {
        (Some(db), _) => db.clone(),
        (None, Some(dirs)) => config.storage.resolved_path(&dirs.data_dir),
        (None, None) => {
            say("no home directory for the history database; pass --db PATH");
            return Outcome::UsageError;
        }
    };

    // The console the window runs, reading only this service: its first poll is the
    // read the checks need (does the breaker exist, is it already closed), and the
    // verification watches its next ones.
    let console = Console::start(
        config,
        ConsoleOptions {
            database: Some(db_path.clone()),
            clock: Arc::new(SystemClock),
            watch: Watch::Only(vec![service.name.clone()]),
            maintenance: false,
        },
    )
    .await;
    if let Some(e) = &console.notes().history_error {
        say(&format!("{e}; nothing was sent"));
        console.shutdown().await;
        return Outcome::UsageError;
    }
    let outcome = act_on(command, &console, &service, &request, args).await;
    let stats = console.shutdown().await.unwrap_or_default();
    let outcome = match outcome {
        Some((outcome, verification)) => (outcome, verification),
        None => return Outcome::Unhealthy,
    };
    if args.json {
        match serde_json::to_string_pretty(&outcome.0) {
            Ok(text) => println!("{text}"),
            Err(e) => say(&format!("cannot print the outcome: {e}")),
        }
    } else {
        print_outcome(&outcome.0, &outcome.1);
        println!("audit: {}", db_path.display());
    }
    if stats.events_lost > 0 {
        say("the audit rows could not all be written; see the log above");
        return Outcome::Unhealthy;
    }
    judge(&outcome.0, &outcome.1)
}

/// Reads the service, plans, sends and verifies; `None` when the plan was refused.
async fn act_on(
    command: &str,
    console: &Console,
    service: &ServiceConfig,
    request: &ActionRequest,
    args: &ActionArgs,
) -> Option<(ActionOutcome, Verification)> {
    let say = |message: &str| eprintln!("switchyard-cli {command}: {message}");
    let first = console.first_read(&service.name, FIRST_READ_PATIENCE).await;
    let problem = first
        .as_ref()
        .and_then(|s| s.latest.as_ref())
        .and_then(|o| o.reachability.message().map(str::to_string));
    match (&first, problem) {
        (None, _) => say(&format!(
            "cannot read {} first (no answer within {}); the service will decide",
            service.name,
            humantime::format_duration(FIRST_READ_PATIENCE)
        )),
        (Some(_), Some(problem)) => say(&format!(
            "cannot read {} first ({problem}); the service will decide",
            service.name
        )),
        _ => {}
    }
    let plan = match console.plan_action(request) {
        Ok(plan) => plan,
        Err(refusal) => {
            say(&format!("refused: {}", refusal.message));
            if refusal.overridable {
                eprintln!("  to send it anyway, run again with --override");
            }
            return None;
        }
    };
    if !args.json {
        print_plan(service, &plan);
    }
    let options = VerifyOptions {
        deadline: args.verify_for,
        ..VerifyOptions::default()
    };
    match console.run_plan(&plan, options).await {
        Ok(outcome) => {
            let verification = outcome
                .verification
                .clone()
                .unwrap_or(Verification::NotChecked {
                    message: "not verified".into(),
                });
            Some((outcome, verification))
        }
        Err(refusal) => {
            say(&format!("refused: {}", refusal.message));
            None
        }
    }
}

fn load_config(cli: Option<&Path>, dirs: Option<&AppDirs>) -> Result<(PathBuf, Config), String> {
    let env = std::env::var("SWITCHYARD_CONFIG").ok();
    let path = match config::locate(cli, env.as_deref(), dirs.map(|d| d.config_dir.as_path())) {
        ConfigSource::File(path) => path,
        ConfigSource::Demo => {
            return Err(
                "no configuration found; pass --config FILE or set SWITCHYARD_CONFIG".into(),
            )
        }
    };
    let config = Config::load(&path).map_err(|e| e.to_string())?;
    Ok((path, config))
}

fn print_plan(service: &ServiceConfig, plan: &actions::ActionPlan) {
    println!("service: {} ({})", service.name, plan.profile);
    if let Some(breaker) = &plan.breaker {
        let mut line = format!("breaker: {} is {}", breaker.name, breaker.state.as_str());
        if let Some(since) = &breaker.since {
            line.push_str(&format!(" since {since}"));
        }
        if let Some(rate) = breaker.failure_rate {
            line.push_str(&format!(", failure rate {:.1}%", rate * 100.0));
        }
        println!("{line}");
    }
    println!("plan: {}", plan.description);
    for one in &plan.instances {
        let at = one.request.instance.as_deref().unwrap_or("?");
        match &one.breaker {
            Some(breaker) => println!(
                "  instance {at}: {} is {}",
                breaker.name,
                breaker.state.as_str()
            ),
            None => println!("  instance {at}"),
        }
    }
    for why in &plan.overridden {
        println!("override: {why}");
    }
    println!("reason: {}", plan.request.reason);
}

fn print_outcome(outcome: &ActionOutcome, verification: &Verification) {
    let status = outcome
        .http_status
        .map(|code| format!(" (HTTP {code}, {:.0} ms)", outcome.duration_ms))
        .unwrap_or_default();
    println!(
        "outcome: {}{status}: {}",
        outcome.status.as_str(),
        outcome.message
    );
    if outcome.override_available {
        println!("  to reset anyway, run again with --override (the reason is sent with it)");
    }
    for one in &outcome.instances {
        let at = one.request.instance.as_deref().unwrap_or("?");
        let code = one
            .http_status
            .map(|code| format!(" (HTTP {code})"))
            .unwrap_or_default();
        let checked = one
            .verification
            .as_ref()
            .map(|v| format!("; {}", v.line()))
            .unwrap_or_default();
        println!("  instance {at}: {}{code}{checked}", one.status.as_str());
    }
    if outcome.instances.is_empty() || outcome.verification.is_some() {
        println!("{}", verification.line());
    }
}

/// 0 only when it was done and, where there is a state to check, verified.
fn judge(outcome: &ActionOutcome, verification: &Verification) -> Outcome {
    match (outcome.status, verification) {
        (OutcomeStatus::Done, Verification::Verified { .. } | Verification::NotChecked { .. }) => {
            Outcome::Ok
        }
        _ => Outcome::Unhealthy,
    }
}
