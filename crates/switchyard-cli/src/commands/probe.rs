//! `probe URL [--profile P] [--header K=REF]`: one round of polls, printed as the
//! normalised observation. Without `--profile`, the profile is detected first.

use std::time::Duration;

use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::ServiceConfig;
use switchyard_core::sources::http;
use switchyard_core::sources::poller::ServicePoller;
use switchyard_core::sources::probe;
use switchyard_core::units::parse_duration;

use crate::Outcome;

/// Poll a service once and print what the console sees, as JSON (docs/contracts.md).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  switchyard-cli probe http://127.0.0.1:8001 --profile health-contract\n  switchyard-cli probe http://127.0.0.1:8002 --header X-Internal-Key=env:EVENTS_KEY"
)]
pub struct ProbeArgs {
    /// The service's base URL.
    url: String,
    /// The contract the service speaks (docs/contracts.md); detected when omitted.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// A header to send, as NAME=REFERENCE (env:VAR or keyring:SERVICE/ACCOUNT). Repeatable.
    #[arg(long = "header", value_name = "NAME=REF")]
    headers: Vec<String>,
    /// How long to wait for each answer.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    timeout: Duration,
}

pub async fn run(args: ProbeArgs) -> Outcome {
    match build_service(&args) {
        Ok(service) => probe(service).await,
        Err(message) => {
            eprintln!("switchyard-cli probe: {message}");
            Outcome::UsageError
        }
    }
}

fn build_service(args: &ProbeArgs) -> Result<ServiceConfig, String> {
    let mut headers = Vec::new();
    for header in &args.headers {
        let (key, value) = header
            .split_once('=')
            .ok_or_else(|| format!("--header `{header}` must be NAME=REFERENCE"))?;
        headers.push((key.to_string(), value.to_string()));
    }
    // The window's "watch your own services" probes through the same function.
    probe::service_to_probe(
        &probe::ProbeRequest {
            base_url: args.url.clone(),
            profile: args.profile.clone(),
            headers,
        },
        args.timeout,
    )
}

async fn probe(service: ServiceConfig) -> Outcome {
    let detecting = service.profile.is_none();
    let mut poller = ServicePoller::new(service);
    let (observation, _) = poller.poll_round(&http::build_client(), &SystemClock).await;
    if detecting && observation.profile != "unknown" {
        eprintln!("detected profile: {}", observation.profile);
    }
    match serde_json::to_string_pretty(&observation) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("switchyard-cli probe: cannot print the observation: {e}");
            return Outcome::Unhealthy;
        }
    }
    if observation.is_reachable() {
        Outcome::Ok
    } else {
        Outcome::Unhealthy
    }
}
