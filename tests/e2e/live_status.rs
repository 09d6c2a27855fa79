//! Live status: the demo window shows a service going down, degraded and back within
//! three poll intervals, with the worst news in the window title; the update path's
//! latency is reported for BENCHMARKS.md.

use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};
use switchyard_tests::webdriver::Session;
use switchyard_tests::{docs_dir, x_window_names, Window};

use crate::fleet_control::set;
use crate::page::{every_demo_service_read, press, row, READ_ROWS};
use crate::ONE_WINDOW;

#[tokio::test]
async fn the_demo_window_shows_live_status_changes() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let window = Window::demo().await?;
    let session = &window.session;

    // Every demo service appears and gets its first observation.
    let rows = every_demo_service_read(session).await?;
    let risk = row(&rows, "risk-engine").ok_or_else(|| anyhow!("no risk-engine row"))?;
    let risk_url = risk["url"]
        .as_str()
        .ok_or_else(|| anyhow!("no URL"))?
        .to_string();
    let interval = Duration::from_millis(
        risk["interval"]
            .as_u64()
            .ok_or_else(|| anyhow!("no interval"))?,
    );
    let within = 3 * interval;

    // A status change at the service reaches the window within three poll intervals.
    set(&risk_url, json!({ "status": "DOWN", "dependencies": { "redis": { "status": "DOWN", "latency_ms": 0, "error": "Connection refused" } } })).await?;
    let (_, took) = session
        .wait_for("risk-engine shown down", within, READ_ROWS, |rows| {
            row(rows, "risk-engine")
                .filter(|r| r["status"] == "down")
                .map(|_| ())
        })
        .await?;
    eprintln!("risk-engine shown down {took:?} after the change (limit {within:?})");
    // The native window title carries the worst news too.
    let titles = x_window_names()?;
    anyhow::ensure!(
        titles
            .iter()
            .any(|t| t.contains("down") && t.ends_with("— Switchyard")),
        "no window title names the down service: {titles:?}"
    );

    // A second service degraded, so the screenshot shows the range of states.
    let execution_url = row(&rows, "execution-service")
        .and_then(|r| r["url"].as_str())
        .unwrap_or_default()
        .to_string();
    set(&execution_url, json!({ "status": "DEGRADED", "dependencies": { "postgres": { "status": "DEGRADED", "latency_ms": 250.3, "error": "Slow query" } } })).await?;
    session
        .wait_for(
            "execution-service shown degraded",
            within,
            READ_ROWS,
            |rows| {
                row(rows, "execution-service")
                    .filter(|r| r["status"] == "degraded")
                    .map(|_| ())
            },
        )
        .await?;
    let png = session.screenshot().await?;
    anyhow::ensure!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
    std::fs::create_dir_all(docs_dir())?;
    std::fs::write(docs_dir().join("screenshot.png"), &png)?;

    // And the way back up.
    set(&risk_url, json!({ "status": "OK", "dependencies": { "redis": { "status": "OK", "latency_ms": 1.5 } } })).await?;
    session
        .wait_for("risk-engine shown ok again", within, READ_ROWS, |rows| {
            row(rows, "risk-engine")
                .filter(|r| r["status"] == "ok")
                .map(|_| ())
        })
        .await?;

    // The help names the version and the commit the app was built from.
    press(session, "?").await?;
    let (shown, _) = session
        .wait_for(
            "the help's version line",
            Duration::from_secs(5),
            "const v = document.querySelector('[data-testid=version]'); return v && v.textContent;",
            |text| text.as_str().map(str::to_string),
        )
        .await?;
    let prefix = format!("Switchyard {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = shown
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_default();
    anyhow::ensure!(
        commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "the help shows {shown:?}, not the version and a commit"
    );
    press(session, "Escape").await?;

    report_update_path(session).await?;
    window.close().await?;
    Ok(())
}

/// The update path, engine observation to the DOM changed, as the page measured it over
/// this test, and its first part, observation to the batch reaching the page (figures
/// for BENCHMARKS.md; speed is reported, not asserted).
async fn report_update_path(session: &Session) -> Result<()> {
    let read = |name: &'static str| async move {
        let latencies = session
            .execute(&format!(
                "return window.switchyardDiagnostics?.{name} ?? [];"
            ))
            .await?;
        let mut values: Vec<f64> = latencies
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        anyhow::ensure!(!values.is_empty(), "the page measured no update ({name})");
        values.sort_by(f64::total_cmp);
        let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        Ok::<_, anyhow::Error>(format!(
            "over {} updates: median {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            values.len(),
            at(0.5),
            at(0.95),
            values[values.len() - 1]
        ))
    };
    eprintln!("update path {}", read("updateLatenciesMs").await?);
    eprintln!(
        "  of which to the page {}",
        read("arrivalLatenciesMs").await?
    );
    Ok(())
}
