//! The soak (issue 17): the release app in a real window under Xvfb for a long run, the
//! window switched between the overview, the breaker board, a service's charts and the
//! alerts panel on a schedule, and the proportional set size (PSS) of the app and its
//! WebKit processes sampled every minute. After the first ten minutes (start-up, caches
//! filling) memory may grow by at most 10 % over the rest of the run; the example exits
//! 1 when it grew more, so whatever grows gets found.
//!
//! Run through `scripts/soak.sh` (which builds the app and sets `SWITCHYARD_BIN`):
//! `scripts/soak.sh --minutes 120 --services 300 --poll-interval 2s`. With `--services 0`
//! (the default) it watches the demo fleet. It writes one CSV row per sample to `--out` and prints each as it goes.
//!
//! With `--mode window-bench` it is issue 14's window bench instead ([`window_bench`],
//! run through `scripts/bench-window.sh`): the same window and the same process
//! accounting, a short settled measurement rather than a long run.

// In a folder of its own, so cargo does not take it for an example of its own.
#[path = "soak/window_bench.rs"]
mod window_bench;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};
use switchyard_tests::processes::AppFamily;
use switchyard_tests::webdriver::Session;
use switchyard_tests::{app_binary, Window};

/// Memory may grow this much after the warm-up.
const ALLOWED_GROWTH: f64 = 0.10;
/// The samples before this are the warm-up.
const WARM_UP: Duration = Duration::from_secs(600);
/// How many samples at each end of the run are compared (their medians).
const JUDGED_SAMPLES: usize = 10;
/// How often the window changes view.
const VIEW_EVERY: Duration = Duration::from_secs(15);

struct Options {
    minutes: u64,
    services: usize,
    sample_every: Duration,
    /// How often each service is polled, as the configuration writes it.
    poll_interval: String,
    out: PathBuf,
    /// `soak` (the default) or `window-bench`.
    mode: String,
    /// The window bench: how long the app runs before the measured window, and the window.
    settle: Duration,
    window: Duration,
}

fn options() -> Result<Options> {
    let mut options = Options {
        minutes: 120,
        services: 0,
        sample_every: Duration::from_secs(60),
        poll_interval: "2s".to_owned(),
        out: PathBuf::from("soak.csv"),
        mode: "soak".to_owned(),
        settle: Duration::from_secs(240),
        window: Duration::from_secs(60),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--minutes" => options.minutes = value.parse()?,
            "--services" => options.services = value.parse()?,
            "--sample-seconds" => options.sample_every = Duration::from_secs(value.parse()?),
            "--poll-interval" => options.poll_interval = value,
            "--out" => options.out = PathBuf::from(value),
            "--mode" => options.mode = value,
            "--settle-seconds" => options.settle = Duration::from_secs(value.parse()?),
            "--window-seconds" => options.window = Duration::from_secs(value.parse()?),
            other => bail!(
                "unknown option {other} (--mode, --minutes, --services, --sample-seconds, --poll-interval, --out, --settle-seconds, --window-seconds)"
            ),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = options()?;
    match options.mode.as_str() {
        "soak" => soak(&options).await,
        "window-bench" => window_bench::run(&options).await,
        other => bail!("unknown mode {other} (soak, window-bench)"),
    }
}

async fn soak(options: &Options) -> Result<()> {
    // A fleet of the given size: breaker registries among health documents, so the
    // board and the charts have something to draw.
    let fleet = if options.services > 0 {
        Some(
            Fleet::start(FleetSpec {
                services: (1..=options.services)
                    .map(|i| {
                        let profile = if i % 10 == 0 {
                            Profile::BreakerRegistry
                        } else {
                            Profile::HealthContract
                        };
                        ServiceSpec::quiet(profile, format!("svc{i}"))
                    })
                    .collect(),
            })
            .await?,
        )
    } else {
        None
    };
    let window = match &fleet {
        Some(fleet) => Window::with_config(&config(fleet, &options.poll_interval)).await?,
        None => Window::demo().await?,
    };
    let session = &window.session;
    let app = app_binary()?;

    let mut csv = String::from(
        "minute,app_pss_mib,webkit_pss_mib,total_pss_mib,processes,app_anon_mib,webkit_anon_mib,other_webkit\n",
    );
    let started = Instant::now();
    let end = started + Duration::from_secs(options.minutes * 60);
    let mut next_sample = started;
    let mut next_view = started;
    let mut view = 0usize;
    let mut samples: Vec<Sample> = Vec::new();
    while Instant::now() < end {
        let now = Instant::now();
        if now >= next_view {
            show_view(session, view).await?;
            view += 1;
            next_view += VIEW_EVERY;
        }
        if now >= next_sample {
            let family = AppFamily::of(&app)?;
            let (app_use, webkit_use) = family.usage();
            let (app_kib, webkit_kib) = (app_use.pss_kib, webkit_use.pss_kib);
            let processes = family.len();
            let others = family.other_webkit;
            let minute = now.duration_since(started).as_secs_f64() / 60.0;
            let total = (app_kib + webkit_kib) as f64 / 1024.0;
            let anon = (app_use.anon_pss_kib + webkit_use.anon_pss_kib) as f64 / 1024.0;
            let line = format!(
                "{minute:.1},{:.1},{:.1},{total:.1},{processes},{:.1},{:.1},{others}",
                app_kib as f64 / 1024.0,
                webkit_kib as f64 / 1024.0,
                app_use.anon_pss_kib as f64 / 1024.0,
                webkit_use.anon_pss_kib as f64 / 1024.0,
            );
            println!("{line}");
            let _ = writeln!(csv, "{line}");
            std::fs::write(&options.out, &csv)?;
            if others > 0 {
                eprintln!(
                    "warning: {others} other WebKit processes run beside this window; they share its libraries, so its PSS moves when they start or end (the anonymous columns do not)"
                );
            }
            samples.push(Sample {
                at: now.duration_since(started),
                total,
                anon,
            });
            next_sample += options.sample_every;
        }
        let wake = next_sample.min(next_view).min(end);
        tokio::time::sleep(wake.saturating_duration_since(Instant::now())).await;
    }
    window.close().await?;
    drop(fleet);
    judge(&samples)
}

/// One sample of the family's memory (MiB).
struct Sample {
    at: Duration,
    total: f64,
    anon: f64,
}

/// Whether memory after the warm-up stayed within the allowed growth: the whole PSS is
/// judged; the anonymous part is printed beside it, as what the processes themselves
/// allocated.
fn judge(samples: &[Sample]) -> Result<()> {
    let after: Vec<&Sample> = samples.iter().filter(|s| s.at >= WARM_UP).collect();
    if after.is_empty() {
        println!("the run ended within the warm-up: no verdict");
        return Ok(());
    }
    // WebKit's heap swings by tens of MiB with the view on screen and its collections,
    // so one sample at each end says more about the view than about growth: compare the
    // median of the first ten samples after the warm-up with that of the last ten.
    let window = after.len().min(JUDGED_SAMPLES);
    let growth_of = |value: fn(&Sample) -> f64| {
        let values: Vec<f64> = after.iter().map(|s| value(s)).collect();
        let first = median(&values[..window]);
        let last = median(&values[values.len() - window..]);
        let peak = values.iter().copied().fold(f64::MIN, f64::max);
        (first, last, peak, (last - first) / first)
    };
    let (first, last, peak, growth) = growth_of(|s| s.total);
    let (anon_first, anon_last, _, anon_growth) = growth_of(|s| s.anon);
    println!(
        "after the warm-up (medians of {window} samples): {first:.1} MiB → {last:.1} MiB at the end ({:+.1} %), peak {peak:.1} MiB; anonymous part {anon_first:.1} → {anon_last:.1} MiB ({:+.1} %)",
        growth * 100.0,
        anon_growth * 100.0
    );
    if growth > ALLOWED_GROWTH {
        bail!(
            "memory grew {:.1} % after the warm-up (allowed {:.0} %)",
            growth * 100.0,
            ALLOWED_GROWTH * 100.0
        );
    }
    Ok(())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Overview, breaker board, one service's charts, alerts: the views an engineer moves
/// between, in turn.
async fn show_view(session: &Session, turn: usize) -> Result<()> {
    let script = match turn % 4 {
        0 => keys(&["Escape", "g", "o"]),
        1 => keys(&["g", "b"]),
        2 => format!(
            "{} const tiles = document.querySelectorAll('article[data-service]');
             if (tiles.length) tiles[{}% tiles.length].click();",
            keys(&["Escape", "g", "o"]),
            turn / 4
        ),
        _ => keys(&["Escape", "g", "a"]),
    };
    session.execute(&format!("{script} return null;")).await?;
    Ok(())
}

fn keys(keys: &[&str]) -> String {
    keys.iter()
        .map(|key| {
            format!("window.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}' }}));")
        })
        .collect()
}

fn config(fleet: &Fleet, poll_interval: &str) -> String {
    fleet
        .services()
        .iter()
        .map(|s| {
            format!(
                "[[service]]\nname = \"{}\"\nbase_url = \"{}\"\nprofile = \"{}\"\npoll_interval = \"{poll_interval}\"\n\n",
                s.name, s.base_url, s.profile
            )
        })
        .collect()
}
