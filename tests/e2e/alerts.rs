//! Alerts: a rule fires into the panel, is acknowledged with a comment, is edited with
//! its errors shown under the field, and keeps the tray red while it fires.

use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};
use switchyard_tests::webdriver::Session;
use switchyard_tests::Window;

use crate::fleet_control::{registry_fleet, set};
use crate::page::{acknowledge, element_shown, save_screenshot, service_read, READ_ALERTS};
use crate::ONE_WINDOW;

#[tokio::test]
async fn an_alert_fires_into_the_panel_and_is_acknowledged_with_a_comment() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let (fleet, base) = registry_fleet().await?;
    let window = Window::with_config(&format!(
            "[[service]]\nname = \"registry\"\nbase_url = \"{base}\"\nprofile = \"breaker-registry\"\npoll_interval = \"1s\"\n\n\
             [[alert]]\nname = \"cpu hot\"\nselect = {{ series = \"system.cpu_percent\" }}\nwhen = \"> 80\"\nfor = \"0s\"\n\
             severity = \"high\"\ndescription = \"CPU over 80 %: requests will queue\"\n"
        )).await?;
    let session = &window.session;
    service_read(session, "registry").await?;

    anyhow::ensure!(
        tray_level(session).await? == "green",
        "the tray starts green"
    );

    set(&base, json!({"system": {"cpu_percent": 91.0}})).await?;
    session
        .execute("document.querySelector('button[data-tab=\"alerts\"]').click(); return null;")
        .await?;
    let firing = |alerts: &Value| {
        alerts
            .as_array()?
            .iter()
            .find(|a| a["id"] == "cpu hot|registry|system.cpu_percent" && a["phase"] == "firing")
            .map(|_| ())
    };
    session
        .wait_for(
            "cpu hot firing in the panel",
            Duration::from_secs(15),
            READ_ALERTS,
            firing,
        )
        .await?;

    acknowledge(
        session,
        "cpu hot|registry|system.cpu_percent",
        "restarting the worker pool",
    )
    .await?;
    save_screenshot(session, "alerts.png").await?;
    // The rule editor refuses a recovery on the wrong side of the threshold, and says so
    // under that field; a sound one is saved.
    let edit = |value: &str| {
        format!(
            "const cell = document.querySelector('tr[data-rule=\"cpu hot\"] input[data-field=\"recover\"]');
             cell.value = '{value}'; cell.dispatchEvent(new Event('input', {{ bubbles: true }}));
             document.querySelector('[data-testid=save-rules]').click(); return null;"
        )
    };
    // Every refusal on the rule's row, with the field whose cell it sits under, and the
    // fields marked invalid.
    let rule_errors = "const row = document.querySelector('tr[data-rule=\"cpu hot\"]');
        return { errors: Array.from(row.querySelectorAll('[data-testid=rule-error]')).map(e => ({
            field: e.closest('td').querySelector('input').dataset.field, message: e.textContent })),
            invalid: Array.from(row.querySelectorAll('input.invalid')).map(i => i.dataset.field) };";
    element_shown(
        session,
        "the rule editor",
        "tr[data-rule=\"cpu hot\"]",
        Duration::from_secs(10),
    )
    .await?;
    session.execute(&edit(">= 95")).await?;
    let refusal = "`>= 95` is on the same side as `> 80`; recovery goes the other way (<= or <)";
    let (shown, _) = session
        .wait_for(
            "the refusal under the recover field",
            Duration::from_secs(10),
            rule_errors,
            |v| (!v["errors"].as_array()?.is_empty()).then(|| v.clone()),
        )
        .await?;
    anyhow::ensure!(
        shown
            == json!({ "errors": [{ "field": "recover", "message": refusal }], "invalid": ["recover"] }),
        "the rule editor shows {shown}"
    );
    let status = "return document.querySelector('[data-testid=rules-status]')?.textContent ?? '';";
    let said = session.execute(status).await?;
    anyhow::ensure!(
        said == format!("alert `cpu hot`: recover: {refusal}").as_str(),
        "the rules' status reads {said}"
    );
    session.execute(&edit("< 75")).await?;
    session
        .wait_for("the rules saved", Duration::from_secs(10), status, |v| {
            v.as_str()?.starts_with("Saved").then_some(())
        })
        .await?;

    // A high alert, acknowledged or not, is still broken: the tray stays red.
    let level = tray_level(session).await?;
    anyhow::ensure!(
        level == "red",
        "the tray shows {level}, not red, with a high alert firing"
    );

    window.close().await?;
    fleet.shutdown().await;
    Ok(())
}

/// The tray's colour as the app last set it (`tray_state`; the Linux tray itself cannot
/// be read back).
async fn tray_level(session: &Session) -> Result<String> {
    let state = session
        .execute_async("window.__TAURI_INTERNALS__.invoke('tray_state').then(done, e => done({ error: String(e) }));")
        .await?;
    state["level"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no tray state: {state}"))
}
