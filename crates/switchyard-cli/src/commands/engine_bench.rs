//! `debug-engine-bench` (hidden): what `scripts/bench-engine.sh` measures against an
//! engine it filled. A console whose only configuration is one `[[engine]]` at `--url`
//! is started; the time until `--expect` services are in its live state is one refresh
//! answered and applied. Then a `--chart` query over `--range` is read as a chart
//! `--pixels` wide would read it. Prints one JSON object.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{Config, EngineConfig};
use switchyard_core::engine::EngineHandle;
use switchyard_core::engines::api::EngineApi;
use switchyard_core::engines::range::{read_range, step_for};
use switchyard_core::sources::http;
use switchyard_core::units::parse_duration;

use crate::Outcome;

#[derive(Debug, Args)]
pub struct EngineBenchArgs {
    /// The engine's URL.
    #[arg(long)]
    url: String,
    /// How many services the engine holds.
    #[arg(long)]
    expect: usize,
    /// A PromQL query to read as a chart, e.g. `cache_hit_ratio{job="svc-00001"}`.
    #[arg(long)]
    chart: Option<String>,
    #[arg(long, default_value = "30d", value_parser = parse_duration)]
    range: Duration,
    #[arg(long, default_value_t = 1000)]
    pixels: u32,
}

pub async fn run(args: EngineBenchArgs) -> Outcome {
    let mut engine = EngineConfig::new("bench", &args.url);
    engine.refresh = Duration::from_secs(600);
    engine.timeout = Duration::from_secs(60);
    engine.max_body_bytes = 1 << 30;
    let mut config = Config::history_only();
    config.engines = vec![engine.clone()];

    let started = Instant::now();
    let console = EngineHandle::start(&config, Arc::new(SystemClock), None);
    // The engine applies news in order, and a refresh sends its status after its
    // services: once the status of a read refresh is in, so are they.
    let mut statuses = console.engine_status();
    let applied = tokio::time::timeout(Duration::from_secs(300), async {
        loop {
            if statuses.changed().await.is_err() {
                return false;
            }
            let read = statuses
                .borrow()
                .first()
                .is_some_and(|s| s.last_good.is_some());
            if read {
                return true;
            }
        }
    })
    .await;
    let applied_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = console.engine_status().borrow().first().cloned();
    let fresh = console
        .feed()
        .states()
        .iter()
        .filter(|s| s.latest.is_some())
        .count();
    console.shutdown().await;
    if applied != Ok(true) || fresh < args.expect {
        eprintln!(
            "debug-engine-bench: {} services never arrived: {status:?}",
            args.expect
        );
        return Outcome::Unhealthy;
    }
    let mut report = serde_json::json!({
        "services": fresh,
        "queries": status.as_ref().map(|s| s.queries),
        "answered_ms": status.as_ref().and_then(|s| s.latency_ms),
        "applied_ms": applied_ms,
    });
    if let Some(promql) = &args.chart {
        let api = EngineApi::new(http::build_client(), &engine);
        let end = chrono::Utc::now().timestamp() as f64;
        let start = end - args.range.as_secs_f64();
        let scrape = Duration::from_secs(15);
        let asked = Instant::now();
        match read_range(&api, promql, start, end, args.pixels, scrape).await {
            Ok(answer) => {
                report["chart_ms"] = (asked.elapsed().as_secs_f64() * 1000.0).into();
                report["chart_step_s"] = step_for(args.range, args.pixels, scrape).as_secs().into();
                report["chart_points"] = answer
                    .result
                    .iter()
                    .map(|s| s.points.len())
                    .sum::<usize>()
                    .into();
            }
            Err(e) => {
                eprintln!("debug-engine-bench: the chart failed: {e}");
                return Outcome::Unhealthy;
            }
        }
    }
    println!("{report}");
    Outcome::Ok
}
