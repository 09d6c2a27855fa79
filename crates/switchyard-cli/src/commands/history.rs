//! `history`: one series of one service from the history database, as CSV or JSON; and
//! the hidden `debug-ingest`, which writes at full speed and says what it committed (the
//! kill test's child process).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use switchyard_core::clock::{Clock, SystemClock};
use switchyard_core::model::{Observation, Sample};
use switchyard_core::store::{RangePoint, Store, TimeRange};
use switchyard_core::units::parse_duration;

use crate::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Print the points of one series from the history database.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  switchyard-cli history --db ~/.local/share/switchyard/history.db --service orders --series queue.depth --since 24h\n\nOlder ranges come from the 1-minute or 1-hour roll-ups (the mean of each bucket)."
)]
pub struct HistoryArgs {
    /// The database file.
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// The service, by its configured name.
    #[arg(long)]
    service: String,
    /// The series name (`switchyard-cli history --db PATH --service S --series ?` lists them).
    #[arg(long)]
    series: String,
    /// How far back from now.
    #[arg(long, value_parser = parse_duration, default_value = "24h")]
    since: Duration,
    /// At most this many points (downsampled, keeping the extremes); all by default.
    #[arg(long, value_name = "N")]
    max_points: Option<usize>,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
}

pub async fn run(args: HistoryArgs) -> Outcome {
    if !args.db.is_file() {
        eprintln!(
            "switchyard-cli history: no database at {}; pass the file `watch` or the app writes",
            args.db.display()
        );
        return Outcome::UsageError;
    }
    let store = match Store::open(&args.db).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("switchyard-cli history: {e}");
            return Outcome::UsageError;
        }
    };
    let outcome = print_history(&store, &args).await;
    store.close().await;
    outcome
}

async fn print_history(store: &Store, args: &HistoryArgs) -> Outcome {
    let services = match store.service_names().await {
        Ok(names) => names,
        Err(e) => return failed(e),
    };
    if !services.contains(&args.service) {
        eprintln!(
            "switchyard-cli history: no service `{}` in {}; services: {}",
            args.service,
            args.db.display(),
            list(&services)
        );
        return Outcome::UsageError;
    }
    let now = SystemClock.now().timestamp_millis();
    let since = i64::try_from(args.since.as_millis()).unwrap_or(i64::MAX);
    let range = TimeRange {
        from_ms: now.saturating_sub(since),
        to_ms: now,
    };
    let result = match store
        .range(
            &args.service,
            &args.series,
            range,
            args.max_points.unwrap_or(usize::MAX),
        )
        .await
    {
        Ok(Some(result)) => result,
        Ok(None) => {
            let series = store.series_names(&args.service).await.unwrap_or_default();
            eprintln!(
                "switchyard-cli history: service `{}` has no series `{}`; series: {}",
                args.service,
                args.series,
                list(&series)
            );
            return Outcome::UsageError;
        }
        Err(e) => return failed(e),
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Csv => write_csv(&mut out, &result.points),
        Format::Json => write_json(&mut out, &result.points),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Outcome::Ok,
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Outcome::Ok,
        Err(e) => {
            eprintln!("switchyard-cli history: cannot write: {e}");
            Outcome::Unhealthy
        }
    }
}

fn failed(e: impl std::fmt::Display) -> Outcome {
    eprintln!("switchyard-cli history: {e}");
    Outcome::Unhealthy
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// RFC 3339, UTC, milliseconds: `2026-11-23T10:15:00.000Z`.
fn time(t_ms: i64) -> String {
    match chrono_time(t_ms) {
        Some(text) => text,
        None => t_ms.to_string(),
    }
}

fn chrono_time(t_ms: i64) -> Option<String> {
    let at = switchyard_core::store::time_from_ms(t_ms)?;
    Some(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn write_csv(out: &mut impl Write, points: &[RangePoint]) -> std::io::Result<()> {
    writeln!(out, "time,value")?;
    for point in points {
        writeln!(out, "{},{}", time(point.t_ms), point.value)?;
    }
    Ok(())
}

fn write_json(out: &mut impl Write, points: &[RangePoint]) -> std::io::Result<()> {
    let array: Vec<serde_json::Value> = points
        .iter()
        .map(|p| serde_json::json!({ "time": time(p.t_ms), "value": p.value }))
        .collect();
    serde_json::to_writer(&mut *out, &array)?;
    writeln!(out)
}

/// Write batches as fast as the store takes them; print each batch's id once committed.
#[derive(Debug, Args)]
pub struct DebugIngestArgs {
    #[arg(long, value_name = "PATH")]
    db: PathBuf,
    /// Stop after this many batches (else run until killed).
    #[arg(long)]
    batches: Option<i64>,
    /// Samples per batch besides the batch marker.
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
}

/// The service and series whose samples carry the batch ids.
pub const INGEST_SERVICE: &str = "ingest";
pub const INGEST_MARKER: &str = "ingest.batch";

pub async fn debug_ingest(args: DebugIngestArgs) -> Outcome {
    let (store, report) = match Store::open_with_report(&args.db, &SystemClock).await {
        Ok(opened) => opened,
        Err(e) => return failed(e),
    };
    if let Some(moved) = &report.recovered_from {
        eprintln!(
            "recovered: the damaged database was moved to {}",
            moved.display()
        );
    }
    // Continue after the last batch any earlier run committed.
    let first = match store.series_id(INGEST_SERVICE, INGEST_MARKER).await {
        Ok(Some(id)) => match store.raw_samples(id, TimeRange::all()).await {
            Ok(points) => points.last().map_or(0, |(t, _)| *t + 1),
            Err(e) => return failed(e),
        },
        Ok(None) => 0,
        Err(e) => return failed(e),
    };
    let writer = store.start_writer();
    let series: Vec<String> = (0..100).map(|i| format!("load.{i}")).collect();
    let rounds = args.samples.div_ceil(series.len()).clamp(1, 999) as i64;
    let mut stdout = std::io::stdout().lock();
    let mut batch = first;
    loop {
        if args.batches.is_some_and(|n| batch >= first + n) {
            break;
        }
        // The load of batch k is at k s + r ms; its marker sample is (k ms, k), written
        // last, so a committed marker means a committed batch.
        for round in 0..rounds {
            let samples = series
                .iter()
                .map(|name| Sample {
                    series: name.clone(),
                    value: batch as f64,
                })
                .collect();
            match ingest_observation(batch * 1000 + round, samples) {
                Some(observation) => writer.record(observation),
                None => return failed("batch time out of range"),
            }
        }
        let marker = vec![Sample {
            series: INGEST_MARKER.into(),
            value: batch as f64,
        }];
        match ingest_observation(batch, marker) {
            Some(observation) => writer.record(observation),
            None => return failed("batch time out of range"),
        }
        if writer.flush().await.is_err() {
            return failed("the writer stopped");
        }
        if writeln!(stdout, "{batch}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
        batch += 1;
    }
    writer.finish().await;
    store.close().await;
    Outcome::Ok
}

/// A reachable round of the ingest service at `t_ms`; built from JSON so that fields
/// added to the model keep their defaults.
fn ingest_observation(t_ms: i64, samples: Vec<Sample>) -> Option<Observation> {
    let at = switchyard_core::store::time_from_ms(t_ms)?;
    let mut observation: Observation = serde_json::from_value(serde_json::json!({
        "service": INGEST_SERVICE,
        "profile": "debug-ingest",
        "observed_at": at,
        "reachability": { "kind": "reachable", "latency_ms": 0.0 },
    }))
    .ok()?;
    observation.samples = samples;
    Some(observation)
}
