//! The team's alerts: an alert held by a real Alertmanager (Debian's package, on
//! loopback) appears in the window's alerts panel marked as the team's, is acknowledged
//! from the window with a comment, and the acknowledgement exists in Alertmanager as an
//! `ACK!` silence created by the operator; the tray counts it (critical: red).

use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};
use switchyard_fleet::engines_on_loopback::LoopbackEngine;
use switchyard_tests::Window;

use crate::page::{click, element_shown, type_into};
use crate::ONE_WINDOW;

/// Every team alert in the panel as `{id, acknowledged}`.
const READ_TEAM: &str = "return Array.from(document.querySelectorAll('li[data-team-alert]')).map(a => ({ id: a.dataset.teamAlert,
    text: a.textContent, acknowledged: a.querySelector('[data-testid=team-acknowledged]')?.textContent ?? null }));";

#[tokio::test]
async fn a_team_alert_is_acknowledged_from_the_window_as_an_ack_silence_in_alertmanager(
) -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let am = LoopbackEngine::alertmanager().await?;
    let posted = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", am.url()))
        .json(&json!([{
            "labels": {"alertname": "BreakerOpen", "job": "payments", "name": "ledger", "instance": "10.0.0.5:8080", "severity": "critical"},
            "annotations": {"summary": "ledger breaker open", "runbook_url": "https://runbooks.example/breaker-open"},
        }]))
        .send()
        .await?;
    anyhow::ensure!(posted.status() == 200, "alert not posted: {}", am.log());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let window = Window::with_config(&format!(
        "operator = \"e2e-operator\"\n\n[[service]]\nname = \"payments\"\nbase_url = \"http://127.0.0.1:{closed}\"\nprofile = \"health-contract\"\n\n\
         [alertmanager]\nurl = \"{}\"\nrefresh = \"1s\"\n",
        am.url()
    ))
    .await?;
    let session = &window.session;
    // The tabs exist once the page has rendered: on a loaded machine, not at once.
    element_shown(
        session,
        "the alerts tab",
        "button[data-tab=\"alerts\"]",
        Duration::from_secs(30),
    )
    .await?;
    session
        .execute("document.querySelector('button[data-tab=\"alerts\"]').click(); return null;")
        .await?;
    let (first, _) = session
        .wait_for(
            "the team's alert in the panel",
            Duration::from_secs(20),
            READ_TEAM,
            |v| v.as_array()?.first().cloned(),
        )
        .await?;
    let id = first["id"].as_str().context("an id")?.to_string();
    let text = first["text"].as_str().unwrap_or_default();
    anyhow::ensure!(
        text.contains("team")
            && text.contains("ledger breaker open")
            && text.contains("runbooks.example"),
        "the row shows the team's alert with its summary and runbook: {text}"
    );

    click(
        session,
        &format!("li[data-team-alert=\"{id}\"] [data-testid=team-acknowledge]"),
    )
    .await?;
    element_shown(
        session,
        "the comment box",
        "[data-testid=team-comment]",
        Duration::from_secs(5),
    )
    .await?;
    type_into(session, "team-comment", "looking at the ledger").await?;
    click(session, "[data-testid=team-submit]").await?;
    session
        .wait_for(
            "the alert acknowledged by the operator",
            Duration::from_secs(15),
            READ_TEAM,
            |v| {
                let row = v.as_array()?.iter().find(|a| a["id"] == id.as_str())?;
                row["acknowledged"]
                    .as_str()?
                    .contains("acknowledged by e2e-operator")
                    .then_some(())
            },
        )
        .await?;

    let silences: Value = reqwest::get(format!("{}/api/v2/silences", am.url()))
        .await?
        .json()
        .await?;
    let ack = silences
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|s| s["comment"] == "ACK! looking at the ledger")
        })
        .ok_or_else(|| anyhow!("no ACK! silence in Alertmanager: {silences}"))?;
    anyhow::ensure!(ack["createdBy"] == "e2e-operator", "created by: {ack}");
    anyhow::ensure!(ack["status"]["state"] == "active", "state: {ack}");
    anyhow::ensure!(
        !ack["matchers"].to_string().contains("instance"),
        "stable labels only: {ack}"
    );

    // A critical alert of the team's, acknowledged or not, keeps the tray red.
    let tray = session
        .execute_async("window.__TAURI_INTERNALS__.invoke('tray_state').then(done, e => done({ error: String(e) }));")
        .await?;
    anyhow::ensure!(tray["level"] == "red", "tray: {tray}");
    anyhow::ensure!(
        tray["text"]
            .as_str()
            .unwrap_or_default()
            .contains("team: 1 firing (1 acknowledged)"),
        "tray: {tray}"
    );
    window.close().await?;
    Ok(())
}
