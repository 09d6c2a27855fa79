//! `snapshot`: the incident snapshot of a window of the history database, as one
//! self-contained HTML file, optionally also as JSON and as a zip with PNG charts.
//! Secrets are redacted using the configuration (when given) and the values behind its
//! `env:` references, read from this process' environment.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::console::{Console, ConsoleOptions, ExportError, ExportRequest, Watch};
use switchyard_core::snapshot::{Progress, SnapshotError};
use switchyard_core::units::parse_duration;

use crate::Outcome;

/// Export an incident snapshot: summary, timeline, charts, breakers, last observations.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli snapshot --db ~/.local/share/switchyard/history.db --config switchyard.toml --since 2h --out incident.html --json incident.json --zip incident.zip\n\nWithout --since the window starts 15 minutes before the first alert that fired in the last 24 hours (the last hour when none did).\nExit codes: 0 written, 1 the export failed, 2 usage error."
)]
pub struct SnapshotArgs {
    /// The history database file.
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// The configuration: its secrets are redacted and its references listed.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Start of the window: a duration back from now (`2h`, `90m`) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// End of the window, the same way; now when absent.
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Only this service (repeatable); all services when absent.
    #[arg(long = "service", value_name = "S")]
    services: Vec<String>,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE.html")]
    out: PathBuf,
    /// Also write the JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write a zip with the HTML, the JSON and PNG charts here.
    #[arg(long, value_name = "FILE")]
    zip: Option<PathBuf>,
}

/// A time given as `2h` (back from `now`) or as RFC 3339.
fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    let back = parse_duration(text).map_err(|e| {
        format!("`{text}` is neither a duration back from now (2h, 90m) nor an RFC 3339 time: {e}")
    })?;
    let back = chrono::Duration::from_std(back).map_err(|e| e.to_string())?;
    Ok(now - back)
}

fn usage(message: impl std::fmt::Display) -> Outcome {
    eprintln!("switchyard-cli snapshot: {message}");
    Outcome::UsageError
}

fn failed(message: impl std::fmt::Display) -> Outcome {
    eprintln!("switchyard-cli snapshot: {message}");
    Outcome::Unhealthy
}

pub async fn run(args: SnapshotArgs) -> Outcome {
    let now = Utc::now();
    if !args.db.is_file() {
        return usage(format!(
            "no database at {}; pass the file `watch` or the app writes",
            args.db.display()
        ));
    }
    let (config, with_config) = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(config) => (config, true),
            Err(e) => return usage(e),
        },
        None => (Config::history_only(), false),
    };
    let until = match args.until.as_deref().map(|t| parse_when(t, now)) {
        None => now,
        Some(Ok(t)) => t,
        Some(Err(e)) => return usage(format!("--until: {e}")),
    };
    let since = match args.since.as_deref().map(|t| parse_when(t, now)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return usage(format!("--since: {e}")),
    };
    if let Some(since) = since.filter(|since| until <= *since) {
        return usage(format!(
            "the window must end after it starts (from {} until {})",
            since.to_rfc3339(),
            until.to_rfc3339()
        ));
    }
    // The console on the history alone: nothing is polled.
    let console = Console::start(
        config,
        ConsoleOptions {
            database: Some(args.db.clone()),
            clock: Arc::new(SystemClock),
            watch: Watch::Nothing,
            maintenance: false,
        },
    )
    .await;
    if let Some(e) = &console.notes().history_error {
        let e = e.clone();
        console.shutdown().await;
        return usage(e);
    }
    let request = ExportRequest {
        window: since.map(|since| (since, until)),
        services: (!args.services.is_empty()).then(|| args.services.clone()),
        now: until,
        html: args.out.clone(),
        json: args.json.clone(),
        zip: args.zip.clone(),
        with_config,
    };
    let progress = |p: Progress<'_>| {
        eprintln!("  {}/{} {}", p.done, p.total, p.service);
    };
    let exported = console.export_snapshot(request, &progress).await;
    console.shutdown().await;
    let files = match exported {
        Ok(files) => files,
        Err(
            e @ (ExportError::UnknownService { .. }
            | ExportError::Snapshot(SnapshotError::EmptyWindow { .. })),
        ) => return usage(e),
        Err(e) => return failed(e),
    };
    eprintln!(
        "snapshot of {} until {}",
        files.request.since.to_rfc3339(),
        files.request.until.to_rfc3339()
    );
    for path in std::iter::once(&args.out).chain(&args.json) {
        eprintln!("wrote {}", path.display());
    }
    if let (Some(path), Some(report)) = (&args.zip, &files.zip) {
        if let Some(why) = &report.pngs_skipped {
            eprintln!("  no PNGs in the zip: {why}");
        }
        eprintln!(
            "wrote {} ({} entries, {} PNG charts)",
            path.display(),
            report.entries.len(),
            report.pngs
        );
    }
    let snapshot = &files.snapshot;
    println!(
        "{}: {} events, {} services, {} alerts fired, {} acknowledged, {} actions",
        args.out.display(),
        snapshot.summary.events,
        snapshot.summary.services.len(),
        snapshot.summary.alerts_fired,
        snapshot.summary.alerts_acknowledged,
        snapshot.summary.actions_taken
    );
    Outcome::Ok
}

#[cfg(test)]
mod tests {
    use super::parse_when;
    use chrono::{TimeZone, Utc};

    #[test]
    fn since_is_a_duration_back_or_a_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        assert_eq!(
            parse_when("2h", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
        );
        assert_eq!(
            parse_when("2026-11-23T09:30:00+01:00", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 23, 8, 30, 0).unwrap()
        );
        assert!(parse_when("yesterday", now).is_err());
    }
}
