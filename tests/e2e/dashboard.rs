//! The dashboard: tiles worst first, the breaker board's timeline, the detail view's
//! charts with thresholds, time ranges, the filter, and preferences kept across a
//! restart. Takes the README's screenshots.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use switchyard_tests::Window;

use crate::fleet_control::set;
use crate::page::{
    breaker_shown, every_demo_service_read, press, row, save_screenshot, DEMO_SERVICES, READ_ROWS,
};
use crate::ONE_WINDOW;

fn status_rank(word: &str) -> u8 {
    match word {
        "ok" => 5,
        "unknown" | "waiting" => 4,
        "degraded" => 2,
        _ => 0,
    }
}

#[tokio::test]
async fn the_dashboard_shows_what_broke_and_since_when() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let window = Window::demo().await?;
    let session = &window.session;
    let rows = every_demo_service_read(session).await?;
    let url = |name: &str| {
        row(&rows, name)
            .and_then(|r| r["url"].as_str())
            .unwrap_or_default()
            .to_string()
    };

    // Pin the whole demo so its scripts cannot reorder the tiles under the test; the
    // replicated ledger's open breaker is closed on each of its instances.
    let ledger = row(&rows, "ledger-api")
        .and_then(|r| r["instances"].as_array())
        .cloned()
        .unwrap_or_default();
    anyhow::ensure!(ledger.len() == 3, "ledger-api's instances: {ledger:?}");
    for instance in &ledger {
        let url = instance.as_str().unwrap_or_default();
        set(
            url,
            json!({"breakers": {"exchange_api": {"state": "CLOSED"}}}),
        )
        .await?;
    }
    for name in DEMO_SERVICES.iter().filter(|n| **n != "ledger-api") {
        let body = if [
            "execution-service",
            "market-data",
            "notifications",
            "risk-engine",
        ]
        .contains(name)
        {
            json!({"status": "OK"})
        } else {
            json!({})
        };
        set(&url(name), body).await?;
    }
    session
        .wait_for(
            "every service ok",
            Duration::from_secs(15),
            READ_ROWS,
            |rows| {
                DEMO_SERVICES
                    .iter()
                    .all(|n| row(rows, n).is_some_and(|r| r["status"] == "ok"))
                    .then_some(())
            },
        )
        .await?;

    // Worst first: degrade one service and its tile leads.
    set(&url("notifications"), json!({"status": "DEGRADED"})).await?;
    let (order, _) = session
        .wait_for(
            "notifications first",
            Duration::from_secs(10),
            READ_ROWS,
            |rows| (rows.as_array()?.first()?["name"] == "notifications").then(|| rows.clone()),
        )
        .await?;
    let ranks: Vec<u8> = order
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| status_rank(r["status"].as_str().unwrap_or("")))
        .collect();
    anyhow::ensure!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "tiles are not worst first: {order}"
    );

    // Tripping a breaker moves its service above a merely degraded one, coloured open.
    set(
        &url("trading-api"),
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await?;
    breaker_shown(
        session,
        ("trading-api", "exchange_api", "open"),
        Duration::from_secs(10),
    )
    .await?;
    session
        .wait_for(
            "trading-api leads",
            Duration::from_secs(10),
            READ_ROWS,
            |rows| (rows.as_array()?.first()?["name"] == "trading-api").then_some(()),
        )
        .await?;
    save_screenshot(session, "overview.png").await?;

    // Closed again, the board's timeline still shows the open band.
    set(
        &url("trading-api"),
        json!({"breakers": {"exchange_api": {"state": "CLOSED", "failure_count": 0}}}),
    )
    .await?;
    breaker_shown(
        session,
        ("trading-api", "exchange_api", "closed"),
        Duration::from_secs(10),
    )
    .await?;
    press(session, "g").await?;
    press(session, "b").await?;
    let timeline =
        "return document.querySelector('[data-chart=\"state timeline\"] .svg')?.innerHTML ?? '';";
    session
        .wait_for(
            "an open band on the board's timeline",
            Duration::from_secs(15),
            timeline,
            |svg| {
                let svg = svg.as_str()?.to_uppercase();
                (svg.contains("TRADING-API / EXCHANGE_API") && svg.contains("#E5534B"))
                    .then_some(())
            },
        )
        .await?;
    save_screenshot(session, "breaker-board.png").await?;

    // The detail view's queue chart has its capacity and backpressure lines.
    press(session, "g").await?;
    press(session, "o").await?;
    set(
        &url("events-api"),
        json!({"queue": {"depth": 900, "capacity": 1000}}),
    )
    .await?;
    session
        .execute(
            "document.querySelector('article[data-service=\"events-api\"]').click(); return null;",
        )
        .await?;
    let queue_chart =
        "return document.querySelector('[data-chart=\"queue.depth\"] .svg')?.innerHTML ?? '';";
    let (fifteen_minutes, _) = session
        .wait_for(
            "the queue chart with capacity and backpressure",
            Duration::from_secs(15),
            queue_chart,
            |svg| {
                let svg = svg.as_str()?;
                (svg.contains("capacity") && svg.contains("backpressure")).then(|| svg.to_string())
            },
        )
        .await?;
    // Alert thresholds come from the rules: the default "cache hit rate low" (< 70 %).
    let cache_chart =
        "return document.querySelector('[data-chart=\"cache.hit_rate\"] .svg')?.innerHTML ?? '';";
    session
        .wait_for(
            "the cache chart's alert threshold",
            Duration::from_secs(15),
            cache_chart,
            |svg| svg.as_str()?.contains("cache hit rate low").then_some(()),
        )
        .await?;
    // A fresh history holds raw samples only, and the chart says so.
    let (note, _) = session
        .wait_for(
            "the queue chart's note on its data",
            Duration::from_secs(10),
            "return document.querySelector('[data-chart=\"queue.depth\"] [data-testid=chart-note]')?.textContent ?? null;",
            |note| note.as_str().map(str::to_string),
        )
        .await?;
    anyhow::ensure!(note.contains("raw samples ·"), "note: {note}");
    save_screenshot(session, "detail.png").await?;

    // A different range redraws the charts (key 4: the last 24 hours).
    press(session, "4").await?;
    session
        .wait_for(
            "the chart redrawn for 24 h",
            Duration::from_secs(15),
            queue_chart,
            |svg| {
                let svg = svg.as_str()?;
                (!svg.is_empty() && svg != fifteen_minutes).then_some(())
            },
        )
        .await?;

    // `/` focuses the filter; typing narrows the tiles.
    press(session, "Escape").await?;
    press(session, "/").await?;
    let focused = session
        .execute("return document.activeElement?.dataset?.testid ?? null;")
        .await?;
    anyhow::ensure!(
        focused == "filter",
        "`/` did not focus the filter: {focused}"
    );
    session
        .execute("const f = document.activeElement; f.value = 'wallet'; f.dispatchEvent(new Event('input', { bubbles: true })); return null;")
        .await?;
    session
        .wait_for(
            "only wallet-api shown",
            Duration::from_secs(5),
            READ_ROWS,
            |rows| {
                let names: Vec<&str> = rows
                    .as_array()?
                    .iter()
                    .filter_map(|r| r["name"].as_str())
                    .collect();
                (names == ["wallet-api"]).then_some(())
            },
        )
        .await?;

    // The theme and the live range are kept for the next start.
    let theme_and_range = "return { theme: document.documentElement.dataset.theme ?? null,
        range: document.querySelector('[data-testid=ranges] button.active')?.dataset.range ?? null,
        read: (window.switchyardDiagnostics?.watching ?? []).includes('preferences') };";
    session
        .execute("document.activeElement?.blur(); return null;")
        .await?;
    press(session, "t").await?;
    session
        .wait_for(
            "the light theme",
            Duration::from_secs(5),
            theme_and_range,
            |v| (v["theme"] == "light" && v["range"] == "1440").then_some(()),
        )
        .await?;
    let window = window.restart().await?;
    let (kept, _) = window
        .session
        .wait_for(
            "the preferences of the last start read",
            Duration::from_secs(30),
            theme_and_range,
            |v| (v["read"] == true).then(|| v.clone()),
        )
        .await?;
    anyhow::ensure!(
        kept["theme"] == "light" && kept["range"] == "1440",
        "after a restart: {kept}"
    );
    window.close().await?;
    Ok(())
}
