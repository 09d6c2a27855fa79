//! A large fleet (issue 14): the window on 300 loopback services polled every second
//! stays current, groups by a tag key with the right counts, raises the group of a
//! broken service (collapsed while it looked healthy) to the top, and sorts names in
//! natural order (svc2 before svc10).

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use serde_json::{json, Value};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};
use switchyard_tests::{Window, ON_SCREEN_AGES};

use crate::fleet_control::set;
use crate::page::{click, press, save_screenshot};
use crate::ONE_WINDOW;

const SERVICES: usize = 300;
const TEAMS: usize = 6;

/// The group headers as `{name, open, text}`, in screen order.
const READ_GROUPS: &str = "return Array.from(document.querySelectorAll('[data-group]')).map(g => ({
    name: g.dataset.group, open: g.dataset.open === 'true', text: g.textContent }));";

/// The summary bar's count of services.
const READ_TOTAL: &str = "return document.querySelector('[data-count=total]')?.textContent ?? '';";

#[tokio::test]
async fn three_hundred_services_stay_current_grouped_and_in_natural_order() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let started = Instant::now();
    let fleet = Fleet::start(FleetSpec {
        services: (1..=SERVICES)
            .map(|i| ServiceSpec::quiet(Profile::HealthContract, format!("svc{i}")))
            .collect(),
    })
    .await?;
    eprintln!(
        "{SERVICES} loopback services started in {:?}",
        started.elapsed()
    );
    let window = Window::with_config(&config(&fleet)).await?;
    let session = &window.session;

    session
        .wait_for(
            "300 services in the summary bar",
            Duration::from_secs(60),
            READ_TOTAL,
            |t| (t.as_str() == Some("300 services")).then_some(()),
        )
        .await?;

    // Every service on screen stays within two poll intervals (2 s) for a minute.
    let fresh = |visible: &Value| {
        let rows = visible.as_array()?;
        let fresh = !rows.is_empty()
            && rows
                .iter()
                .all(|r| r["age_ms"].as_i64().is_some_and(|a| a <= 2_000));
        fresh.then_some(rows.len())
    };
    session
        .wait_for(
            "every visible value fresh",
            Duration::from_secs(30),
            ON_SCREEN_AGES,
            fresh,
        )
        .await?;
    let watch_until = Instant::now() + Duration::from_secs(60);
    let (mut worst, mut samples, mut late) = (0, 0, Vec::new());
    while Instant::now() < watch_until {
        let visible = session.execute(ON_SCREEN_AGES).await?;
        let rows = visible
            .as_array()
            .ok_or_else(|| anyhow!("no tiles: {visible}"))?;
        anyhow::ensure!(!rows.is_empty(), "no service on screen");
        anyhow::ensure!(
            rows.len() < SERVICES,
            "{} tiles in the DOM: the overview is not windowed",
            rows.len()
        );
        for r in rows {
            let age = r["age_ms"]
                .as_i64()
                .ok_or_else(|| anyhow!("{} never read", r["name"]))?;
            samples += 1;
            worst = worst.max(age);
            if age > 2_000 {
                late.push(format!("{} {age} ms", r["name"]));
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "oldest value on screen over a minute: {worst} ms ({samples} readings, {} over 2 s)",
        late.len()
    );
    // How long observations took from the poll to the screen, as the page measured them:
    // tells a slow engine from a slow page.
    let latencies = session
        .execute("return window.switchyardDiagnostics?.updateLatenciesMs ?? [];")
        .await?;
    let mut latencies: Vec<f64> = latencies
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
    };
    eprintln!(
        "observation to screen: p50 {:?} ms, p99 {:?} ms, max {:?} ms ({} updates)",
        at(0.5),
        at(0.99),
        latencies.last(),
        latencies.len()
    );

    // Grouped by team: six groups of fifty, all healthy, so all collapsed.
    group_by(session, "tag:team").await?;
    let (groups, _) = session
        .wait_for(
            "six team groups",
            Duration::from_secs(5),
            READ_GROUPS,
            |g| (g.as_array()?.len() == TEAMS).then(|| g.clone()),
        )
        .await?;
    for g in groups.as_array().into_iter().flatten() {
        let text = g["text"].as_str().unwrap_or_default();
        anyhow::ensure!(
            text.contains("50 services"),
            "group {} reads {text:?}",
            g["name"]
        );
        anyhow::ensure!(g["open"] == false, "healthy group {} is open", g["name"]);
    }

    // svc10 (team t4) goes down: its group shows the problem, opens and comes first.
    let broken = fleet
        .services()
        .iter()
        .find(|s| s.name == "svc10")
        .ok_or_else(|| anyhow!("no svc10"))?;
    set(&broken.base_url, json!({ "status": "DOWN" })).await?;
    session
        .wait_for(
            "team t4 first, open, one down",
            Duration::from_secs(5),
            READ_GROUPS,
            |g| {
                let first = g.as_array()?.first()?;
                let text = first["text"].as_str()?;
                (first["name"] == "t4" && first["open"] == true && text.contains("1 down"))
                    .then_some(())
            },
        )
        .await?;
    save_screenshot(session, "grouped-overview.png").await?;

    // The compact list, by name: natural order.
    group_by(session, "none").await?;
    press(session, "v").await?;
    click(session, "button[data-sort=\"name\"]").await?;
    let (names, _) = session
        .wait_for(
            "the list by name",
            Duration::from_secs(5),
            ON_SCREEN_AGES,
            |v| {
                let names: Vec<String> = v
                    .as_array()?
                    .iter()
                    .filter_map(|r| r["name"].as_str().map(String::from))
                    .collect();
                (names.len() >= 12).then_some(names)
            },
        )
        .await?;
    let expected: Vec<String> = (1..=12).map(|i| format!("svc{i}")).collect();
    anyhow::ensure!(
        names[..12] == expected[..],
        "not in natural order: {names:?}"
    );
    // Checked last, so a slow run still reports on grouping and order.
    anyhow::ensure!(
        late.is_empty(),
        "values older than two poll intervals on screen: {late:?}"
    );
    Ok(())
}

/// One `[[service]]` per fleet service, polled every second, tagged `team:tN`.
fn config(fleet: &Fleet) -> String {
    fleet
        .services()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "[[service]]\nname = \"{}\"\nbase_url = \"{}\"\nprofile = \"health-contract\"\npoll_interval = \"1s\"\ntags = [\"team:t{}\"]\n\n",
                s.name,
                s.base_url,
                (i + 1) % TEAMS
            )
        })
        .collect()
}

async fn group_by(session: &switchyard_tests::webdriver::Session, by: &str) -> Result<()> {
    session
        .execute(&format!(
            "const s = document.querySelector('[data-testid=group-by]'); s.value = '{by}';
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return null;"
        ))
        .await
        .map(|_| ())
}
