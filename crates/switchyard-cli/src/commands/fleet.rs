//! `fleet [--config F] [--json]`: one round of everything configured (the services it
//! polls and the team's engines), each service with its instances, health and breakers
//! (aggregated: "open on 2 of 5 instances"), as a table or JSON. Exit 0 when all is
//! healthy, 1 when something is not, 2 for a configuration error. The round itself is
//! the core's (`console::fleet_round`); this prints it.

use std::path::PathBuf;

use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{self, Config, ConfigSource};
use switchyard_core::console::{fleet_round, FleetReport};
use switchyard_core::dirs::AppDirs;

use crate::Outcome;

/// One round of every configured service and engine, printed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  switchyard-cli fleet --config fleet.toml\n  switchyard-cli fleet --json | jq '.services[] | select(.health != \"ok\")'"
)]
pub struct FleetArgs {
    /// The configuration file (else $SWITCHYARD_CONFIG, else the user's config directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: FleetArgs) -> Outcome {
    let dirs = AppDirs::discover();
    let path = match config::locate(
        args.config.as_deref(),
        std::env::var("SWITCHYARD_CONFIG").ok().as_deref(),
        dirs.as_ref().map(|d| d.config_dir.as_path()),
    ) {
        ConfigSource::File(path) => path,
        ConfigSource::Demo => {
            eprintln!("switchyard-cli fleet: no configuration found; pass --config FILE or set SWITCHYARD_CONFIG");
            return Outcome::UsageError;
        }
    };
    let config = match Config::load(&path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return Outcome::UsageError;
        }
    };
    let report = fleet_round(&config, &SystemClock).await;
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("switchyard-cli fleet: cannot print the report: {e}");
                return Outcome::Unhealthy;
            }
        }
    } else {
        print!("{}", table(&report));
    }
    if report.healthy {
        Outcome::Ok
    } else {
        Outcome::Unhealthy
    }
}

/// The report as aligned columns, engines' problems first.
fn table(report: &FleetReport) -> String {
    let mut out = String::new();
    for engine in &report.engines {
        if let Some(message) = &engine.message {
            out.push_str(&format!("! {message}\n"));
        }
        for warning in &engine.warnings {
            out.push_str(&format!("! engine {} warns: {warning}\n", engine.engine));
        }
    }
    let rows: Vec<[String; 5]> = report
        .services
        .iter()
        .map(|s| {
            let instances = if s.instances.is_empty() {
                "-".to_string()
            } else {
                let up = s
                    .instances
                    .iter()
                    .filter(|i| i.health.as_str() == "ok")
                    .count();
                format!("{up} of {} up", s.instances.len())
            };
            let breakers = s
                .breakers
                .iter()
                .filter(|b| b.state.as_str() != "closed")
                .map(|b| match &b.detail {
                    Some(detail) => format!("{} {detail}", b.name),
                    None => format!("{} {}", b.name, b.state.as_str()),
                })
                .collect::<Vec<_>>();
            let breakers = if breakers.is_empty() {
                format!("{} closed", s.breakers.len())
            } else {
                breakers.join(", ")
            };
            let health = match &s.message {
                Some(message) => format!("{} ({message})", s.health),
                None => s.health.clone(),
            };
            [
                s.name.clone(),
                s.source.clone(),
                health,
                instances,
                breakers,
            ]
        })
        .collect();
    let header = ["SERVICE", "SOURCE", "HEALTH", "INSTANCES", "BREAKERS"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} services: {}\n",
        report.services.len(),
        if report.healthy {
            "all healthy"
        } else {
            "not all healthy"
        }
    ));
    out
}
