//! `check-config FILE`: validates a configuration without polling anything, and checks
//! that every secret reference resolves, printing references, never values.

use std::path::PathBuf;

use clap::Args;
use switchyard_core::config::Config;
use switchyard_core::secrets::{self, HeaderSource};

use crate::Outcome;

/// Validate a configuration file and resolve its secret references.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli check-config ~/.config/switchyard/switchyard.toml"
)]
pub struct CheckConfigArgs {
    /// The configuration file to check.
    file: PathBuf,
}

pub fn run(args: CheckConfigArgs) -> Outcome {
    let config = match Config::load(&args.file) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return Outcome::UsageError;
        }
    };
    let mut unresolved = 0;
    for service in &config.services {
        println!(
            "{}: {} at {}, every {}, timeout {}",
            service.name,
            service
                .profile
                .map_or("profile detected at start", |p| p.name()),
            service.base_url,
            humantime::format_duration(service.poll_interval),
            humantime::format_duration(service.timeout),
        );
        for (header, source) in &service.headers {
            let status = match (source, secrets::header_value(source)) {
                (HeaderSource::Literal(_), Ok(_)) => "literal".to_string(),
                (HeaderSource::Secret(_), Ok(_)) => "resolves".to_string(),
                (_, Err(e)) => {
                    unresolved += 1;
                    format!("DOES NOT RESOLVE: {e}")
                }
            };
            println!("  header {header} = {}: {status}", source.describe());
        }
    }
    println!(
        "{}: {} services, storage {}",
        args.file.display(),
        config.services.len(),
        config.storage.path.display()
    );
    if unresolved > 0 {
        eprintln!(
            "{unresolved} secret references do not resolve; set them before starting Switchyard"
        );
        return Outcome::Unhealthy;
    }
    Outcome::Ok
}
