//! `probe URL --profile P`: one round of polls, printed as the normalised observation.

use std::time::Duration;

use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::units::parse_duration;
use switchyard_core::config::ServiceConfig;
use switchyard_core::profiles::Profile;
use switchyard_core::sources::{http, poller};

use crate::Outcome;

/// Poll a service once and print what the console sees, as JSON (CONTRACTS.md).
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli probe http://127.0.0.1:8001 --profile health-contract"
)]
pub struct ProbeArgs {
    /// The service's base URL.
    url: String,
    /// The contract the service speaks (CONTRACTS.md).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// How long to wait for an answer.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    timeout: Duration,
}

pub async fn run(args: ProbeArgs) -> Outcome {
    let Some(profile_name) = args.profile.as_deref() else {
        eprintln!(
            "switchyard-cli probe: give --profile (one of: {}); detecting the profile is not available yet",
            Profile::supported_names().join(", ")
        );
        return Outcome::UsageError;
    };
    let profile = match Profile::from_name(profile_name) {
        Ok(profile) => profile,
        Err(e) => {
            eprintln!("switchyard-cli probe: {e}");
            return Outcome::UsageError;
        }
    };
    let base_url = args.url.trim_end_matches('/').to_string();
    if !is_http_url(&base_url) {
        eprintln!(
            "switchyard-cli probe: `{}` is not an http:// or https:// URL",
            args.url
        );
        return Outcome::UsageError;
    }
    let service = ServiceConfig {
        name: http::describe_place(&base_url)
            .trim_end_matches('/')
            .to_string(),
        base_url,
        profile,
        tags: Vec::new(),
        // A probe is one round: the interval only has to exceed the timeout.
        poll_interval: args.timeout * 2,
        timeout: args.timeout,
        max_body_bytes: 1 << 20,
        allow_actions: false,
    };
    let (observation, _) = poller::poll_once(&http::build_client(), &service, &SystemClock).await;
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

fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}
