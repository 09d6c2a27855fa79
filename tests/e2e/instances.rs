//! A service of several instances in the demo: `ledger-api` runs as three replicas with
//! `exchange_api` open on one. The window shows "open on 1 of 3", the reset dialog lists
//! that one instance before anything is sent, one request goes to it alone, and the
//! breaker then reads "closed on 3 of 3".

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;
use switchyard_tests::Window;

use crate::fleet_control::fleet_actions;
use crate::page::{action_outcome, click, every_demo_service_read, row, type_reason};
use crate::ONE_WINDOW;

/// The combined `exchange_api` breaker on ledger-api's tile, as the tile words it.
const READ_LEDGER_BREAKER: &str = "return document.querySelector(
    'article[data-service=\"ledger-api\"] li[data-breaker=\"exchange_api\"]')?.dataset.aggregate ?? null;";

/// The instances the open dialog's plan lists, as `{id, state}`.
const READ_PLANNED: &str = "return Array.from(document.querySelectorAll('[data-testid=action-dialog] [data-plan-instance]'))
    .map(e => ({ id: e.dataset.planInstance, state: e.dataset.state }));";

#[tokio::test]
async fn the_demo_ledger_is_reset_on_its_one_open_instance() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let window = Window::demo().await?;
    let session = &window.session;
    let rows = every_demo_service_read(session).await?;
    let urls: Vec<String> = row(&rows, "ledger-api")
        .and_then(|r| r["instances"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect();
    anyhow::ensure!(urls.len() == 3, "ledger-api's instances: {urls:?}");

    session
        .wait_for(
            "open on 1 of 3",
            Duration::from_secs(20),
            READ_LEDGER_BREAKER,
            |v| (v.as_str() == Some("open on 1 of 3")).then_some(()),
        )
        .await?;
    click(session, "button[data-reset=\"ledger-api/exchange_api\"]").await?;
    let (planned, _) = session
        .wait_for(
            "the dialog's list of instances",
            Duration::from_secs(10),
            READ_PLANNED,
            |v| v.as_array().filter(|a| !a.is_empty()).map(|_| v.clone()),
        )
        .await?;
    let planned = planned.as_array().cloned().unwrap_or_default();
    anyhow::ensure!(planned.len() == 1, "one instance is open: {planned:?}");
    let open_id = planned[0]["id"].as_str().unwrap_or_default().to_string();
    anyhow::ensure!(planned[0]["state"] == "open", "{planned:?}");
    let open_url = format!("http://{open_id}");
    anyhow::ensure!(urls.contains(&open_url), "{open_id} is not one of {urls:?}");

    type_reason(session, "ledger exchange back (INC-5122)").await?;
    click(session, "[data-testid=action-confirm]").await?;
    let outcome = action_outcome(session, "the reset's outcome").await?;
    anyhow::ensure!(
        outcome.starts_with("verified: closed"),
        "outcome: {outcome}"
    );

    // One request, at the open instance only.
    for url in &urls {
        let sent: Vec<Value> = fleet_actions(url).await?;
        let expected = usize::from(*url == open_url);
        anyhow::ensure!(sent.len() == expected, "{url} received {sent:?}");
    }
    click(session, "[data-testid=action-dialog] .alert-actions button").await?;
    session
        .wait_for(
            "closed on 3 of 3",
            Duration::from_secs(20),
            READ_LEDGER_BREAKER,
            |v| (v.as_str() == Some("closed on 3 of 3")).then_some(()),
        )
        .await?;
    Ok(())
}
