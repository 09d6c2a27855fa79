//! Issue 14's window bench (`scripts/bench-window.sh`): the release app under Xvfb on N
//! loopback Prometheus targets (the document `scripts/bench-scrape.sh` serves: four
//! Resilience4j breakers and a bulkhead), polled at `--poll-interval`. It reports:
//!
//! - **first paint with data**: from the app process's start (`/proc`) to the first
//!   frame that showed a service's value (the page's own diagnostics, `firstValueShownAt`);
//! - after `--settle-seconds`, over `--window-seconds`: the CPU of the app and of its
//!   WebKit processes (% of one core, from `/proc/PID/stat`), their PSS at the end
//!   (`smaps_rollup`), the oldest value on screen (read every second through WebDriver,
//!   as the end-to-end test `large_fleet` reads it), the polls the targets answered, and
//!   the page's observation-to-screen latencies;
//! - then **filter keystrokes**: `svcN` typed one character at a time and cleared, each
//!   timed in the page from the input event to the first frame painted with the answer.
//!
//! It lives beside the soak because it is the soak's machinery (the window, the process
//! accounting) with a shorter, settled measurement: one example binary, not two.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde_json::Value;
use switchyard_fleet::StaticTargets;
use switchyard_tests::processes::{percent_of_a_core, AppFamily, Usage};
use switchyard_tests::webdriver::Session;
use switchyard_tests::{app_binary, Window, ON_SCREEN_AGES};

use super::Options;

/// Services are tagged `team:t0` … `team:t9`, so the overview can be grouped.
const TEAMS: usize = 10;
/// A value older than this (two poll intervals at 1 s) counts as late.
const LATE_MS: i64 = 2_000;

pub async fn run(options: &Options) -> Result<()> {
    let n = options.services;
    if n == 0 {
        bail!("the window bench needs --services N (N > 0)");
    }
    let document = std::fs::read(document_path())
        .with_context(|| format!("reading {}", document_path().display()))?;
    let targets = StaticTargets::start(n, document).await?;
    let polls_url = format!("http://{}/_bench/requests", targets.addresses[0]);
    println!(
        "window bench: {n} services (Prometheus text, 4 breakers and a bulkhead each), polled every {}; settle {} s, window {} s; load {}",
        options.poll_interval,
        options.settle.as_secs(),
        options.window.as_secs(),
        load()
    );

    let window = Window::with_config(&config(&targets, &options.poll_interval)).await?;
    let opened = Instant::now();
    let session = &window.session;
    let app = app_binary()?;

    let started = AppFamily::of(&app)?
        .started_at()
        .context("the app's start time")?;
    let shown_at = first_value_shown(session).await?;
    println!(
        "first paint with data: {} ms after the app process started",
        shown_at - epoch_ms(started)
    );
    print_marks(session, epoch_ms(started)).await?;

    tokio::time::sleep(options.settle.saturating_sub(opened.elapsed())).await;

    // The measured window. WebKit's processes are found again now: they start after the app.
    let family = AppFamily::of(&app)?;
    let load_before = load();
    let polls_before = polls(&polls_url).await?;
    let costs_before = page_costs(session).await?;
    let (app0, webkit0) = family.usage();
    let began = Instant::now();
    let mut oldest = Vec::new();
    let (mut late, mut never_read) = (0, 0);
    while began.elapsed() < options.window {
        let ages = session.execute(ON_SCREEN_AGES).await?;
        let rows = ages.as_array().map(Vec::as_slice).unwrap_or_default();
        never_read += rows.iter().filter(|r| r["age_ms"].is_null()).count();
        let worst = rows.iter().filter_map(|r| r["age_ms"].as_i64()).max();
        if let Some(worst) = worst {
            oldest.push(worst);
            late += usize::from(worst > LATE_MS);
        }
        let next = Duration::from_secs(oldest.len() as u64 + 1);
        tokio::time::sleep(next.saturating_sub(began.elapsed())).await;
    }
    let over = began.elapsed();
    let (app1, webkit1) = family.usage();
    let costs_after = page_costs(session).await?;
    let polls_after = polls(&polls_url).await?;
    report_window(
        &family,
        (app0, webkit0),
        (app1, webkit1),
        over,
        (polls_after - polls_before) as f64 / over.as_secs_f64(),
    );
    report_costs(&costs_before, &costs_after, over);
    let counts = session
        .execute("return document.querySelector('[data-testid=counts]')?.textContent ?? '';")
        .await?;
    println!("the summary bar: {}", counts.as_str().unwrap_or_default());
    oldest.sort_unstable();
    println!(
        "oldest value on screen, read each second: median {} ms, max {} ms; {late} of {} readings over {LATE_MS} ms; {never_read} services on screen never read; load {load_before} -> {}",
        quantile(&oldest, 0.5),
        oldest.last().copied().unwrap_or(-1),
        oldest.len(),
        load()
    );
    let mut latencies = page_latencies(session).await?;
    latencies.sort_unstable();
    println!(
        "observation to screen (the page's last {} updates): p50 {} ms, p99 {} ms, max {} ms",
        latencies.len(),
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(-1)
    );

    keystrokes(session, &format!("svc{n}")).await?;
    window.close().await?;
    Ok(())
}

fn report_window(
    family: &AppFamily,
    (app0, webkit0): (Usage, Usage),
    (app1, webkit1): (Usage, Usage),
    over: Duration,
    polls_per_second: f64,
) {
    let app_cpu = percent_of_a_core(app1.cpu_ticks.saturating_sub(app0.cpu_ticks), over);
    let webkit_cpu = percent_of_a_core(webkit1.cpu_ticks.saturating_sub(webkit0.cpu_ticks), over);
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "CPU over {:.0} s: app {app_cpu:.1} % + WebKit {webkit_cpu:.1} % = {:.1} % of one core ({} processes); polls answered {polls_per_second:.0}/s",
        over.as_secs_f64(),
        app_cpu + webkit_cpu,
        family.len()
    );
    println!(
        "PSS at the end: app {:.0} MiB + WebKit {:.0} MiB = {:.0} MiB",
        mib(app1.pss_kib),
        mib(webkit1.pss_kib),
        mib(app1.pss_kib + webkit1.pss_kib)
    );
}

/// The page's own accounting of its parts (`switchyardDiagnostics.costs`).
async fn page_costs(session: &Session) -> Result<Value> {
    session
        .execute("return window.switchyardDiagnostics?.costs ?? {};")
        .await
}

/// What each part of the page cost during the window: ms of a second, and calls a second.
fn report_costs(before: &Value, after: &Value, over: Duration) {
    let seconds = over.as_secs_f64();
    let mut parts: Vec<(String, f64, f64)> = after
        .as_object()
        .into_iter()
        .flatten()
        .map(|(part, cost)| {
            let was = &before[part];
            let ms = cost["ms"].as_f64().unwrap_or(0.0) - was["ms"].as_f64().unwrap_or(0.0);
            let calls =
                cost["calls"].as_f64().unwrap_or(0.0) - was["calls"].as_f64().unwrap_or(0.0);
            (part.clone(), ms / seconds, calls / seconds)
        })
        .collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    let text: Vec<String> = parts
        .iter()
        .map(|(part, ms, calls)| format!("{part} {ms:.1} ms/s ({calls:.1}/s)"))
        .collect();
    println!("the page's parts: {}", text.join(", "));
}

/// The steps of the page's start, as ms after the app process started.
async fn print_marks(session: &Session, started: i64) -> Result<()> {
    let marks = session
        .execute("return window.switchyardDiagnostics?.marks ?? {};")
        .await?;
    let mut steps: Vec<(i64, &String)> = marks
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((v.as_i64()?, k)))
                .collect()
        })
        .unwrap_or_default();
    steps.sort();
    let text: Vec<String> = steps
        .iter()
        .map(|(at, step)| format!("{step} {} ms", at - started))
        .collect();
    println!("  the page's start: {}", text.join(", "));
    Ok(())
}

/// When the page first showed a value (ms since the epoch), waiting up to a minute.
async fn first_value_shown(session: &Session) -> Result<i64> {
    let (at, _) = session
        .wait_for(
            "the first value on screen",
            Duration::from_secs(60),
            "return window.switchyardDiagnostics?.firstValueShownAt ?? null;",
            Value::as_i64,
        )
        .await?;
    Ok(at)
}

/// Types `text` into the filter one character at a time, then clears it, timing each
/// in the page: from the input event to the first frame painted with the answer (every
/// service on screen matches, or, cleared, the windowed overview is back).
async fn keystrokes(session: &Session, text: &str) -> Result<()> {
    let mut typed = Vec::new();
    let steps: Vec<String> = (1..=text.len())
        .map(|i| text[..i].to_owned())
        .chain([String::new()])
        .collect();
    for step in &steps {
        let script = format!(
            "const input = document.querySelector('[data-testid=filter]');
             const text = {text};
             const answered = () => {{
               if (text === '') return document.querySelector('[data-testid=overview-window]') !== null;
               const names = Array.from(document.querySelectorAll('article[data-service], [data-list-service]'))
                 .map(e => e.dataset.service ?? e.dataset.listService);
               return names.length > 0 && names.every(n => n.includes(text));
             }};
             const t0 = performance.now();
             input.value = text;
             input.dispatchEvent(new Event('input', {{ bubbles: true }}));
             const frame = () => requestAnimationFrame(() => answered()
               ? setTimeout(() => done(performance.now() - t0), 0)
               : (performance.now() - t0 > 10000 ? done(null) : frame()));
             frame();",
            text = Value::from(step.as_str())
        );
        let ms = session.execute_async(&script).await?;
        let ms = ms
            .as_f64()
            .with_context(|| format!("the filter {step:?} was not answered within 10 s"))?;
        typed.push(format!("{step:?} {ms:.0} ms"));
        // About a typist's pace: the next key after the window has had a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    println!(
        "filter keystrokes (input event to the answer painted): {}",
        typed.join(", ")
    );
    Ok(())
}

async fn page_latencies(session: &Session) -> Result<Vec<i64>> {
    let value = session
        .execute("return window.switchyardDiagnostics?.updateLatenciesMs ?? [];")
        .await?;
    Ok(value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_f64().map(|ms| ms as i64))
        .collect())
}

/// Scrapes the targets answered so far, all together.
async fn polls(url: &str) -> Result<u64> {
    Ok(reqwest::get(url).await?.text().await?.trim().parse()?)
}

fn quantile(sorted: &[i64], q: f64) -> i64 {
    if sorted.is_empty() {
        return -1;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn epoch_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The document every target serves: the one `scripts/bench-scrape.sh` uses.
fn document_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench/spring-actuator.prom")
}

/// One Prometheus-profile `[[service]]` per target, tagged with one of ten teams.
fn config(targets: &StaticTargets, poll_interval: &str) -> String {
    targets
        .addresses
        .iter()
        .enumerate()
        .map(|(i, address)| {
            format!(
                "[[service]]\nname = \"svc{}\"\nbase_url = \"http://{address}\"\nprofile = \"prometheus\"\npoll_interval = \"{poll_interval}\"\ntags = [\"team:t{}\"]\n\n",
                i + 1,
                i % TEAMS
            )
        })
        .collect()
}
