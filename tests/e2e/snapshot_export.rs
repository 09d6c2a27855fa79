//! Incident export: trip, alert, acknowledgement and reset, exported through the button,
//! read back from the JSON in that order.

use std::time::Duration;

use anyhow::Result;
use serde_json::{json, Value};
use switchyard_tests::Window;

use crate::fleet_control::{registry_fleet, set};
use crate::page::{acknowledge, action_outcome, click, element_shown, service_read, type_reason};
use crate::ONE_WINDOW;

#[tokio::test]
async fn an_incident_exported_through_the_button_tells_it_in_order() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let (fleet, base) = registry_fleet().await?;
    let exports = tempfile::tempdir()?;
    let config = format!(
        "[[service]]\nname = \"registry\"\nbase_url = \"{base}\"\nprofile = \"breaker-registry\"\npoll_interval = \"1s\"\n\n\
         [[alert]]\nname = \"exchange down\"\nselect = {{ breaker_state = \"exchange_api\" }}\nwhen = \"state is open\"\n\
         severity = \"critical\"\ndescription = \"Orders cannot reach the exchange\"\n"
    );
    let window =
        Window::with_config_and_env(&config, &[("SWITCHYARD_SNAPSHOT_DIR", exports.path())])
            .await?;
    let session = &window.session;
    service_read(session, "registry").await?;

    // The incident: the breaker trips and the alert fires …
    set(
        &base,
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 9}}}),
    )
    .await?;
    click(session, "button[data-tab=\"alerts\"]").await?;
    let alert = "li[data-alert=\"exchange down|registry|exchange_api\"]";
    session
        .wait_for(
            "the alert firing",
            Duration::from_secs(15),
            &format!("return document.querySelector('{alert}')?.dataset.phase ?? null;"),
            |v| (v == "firing").then_some(()),
        )
        .await?;
    // … the engineer acknowledges it …
    acknowledge(session, "exchange down|registry|exchange_api", "on it").await?;
    // … and resets the breaker.
    click(session, "button[data-tab=\"overview\"]").await?;
    element_shown(
        session,
        "the reset button",
        "button[data-reset=\"registry/exchange_api\"]",
        Duration::from_secs(10),
    )
    .await?;
    click(session, "button[data-reset=\"registry/exchange_api\"]").await?;
    element_shown(
        session,
        "the dialog",
        "[data-testid=action-reason]",
        Duration::from_secs(10),
    )
    .await?;
    type_reason(session, "exchange back").await?;
    click(session, "[data-testid=action-confirm]").await?;
    let text = action_outcome(session, "the reset verified").await?;
    anyhow::ensure!(text.starts_with("verified"), "outcome: {text}");
    click(session, "[data-testid=action-dialog] .alert-actions button").await?;

    // Export through the button.
    click(session, "[data-testid=export-snapshot]").await?;
    let done = "return document.querySelector('[data-testid=export-done]')?.dataset.json ?? null;";
    let (json_path, _) = session
        .wait_for("the export written", Duration::from_secs(30), done, |v| {
            v.as_str().map(str::to_string)
        })
        .await?;
    let snapshot: Value = serde_json::from_str(&std::fs::read_to_string(&json_path)?)?;
    let timeline = snapshot["timeline"].as_array().cloned().unwrap_or_default();
    let position = |kind: &str, pred: &dyn Fn(&Value) -> bool| {
        timeline.iter().position(|e| e["kind"] == kind && pred(e))
    };
    let tripped = position("transition", &|e| {
        e["subject"] == "exchange_api" && e["state"] == "open"
    });
    let fired = position("alert", &|e| {
        e["subject"] == "exchange_api" && e["state"] == "firing"
    });
    let acknowledged = position("acknowledgement", &|e| e["subject"] == "exchange_api");
    let reset = position("action", &|e| e["subject"] == "exchange_api");
    eprintln!("timeline positions: tripped {tripped:?}, fired {fired:?}, acknowledged {acknowledged:?}, reset {reset:?}");
    let order = [tripped, fired, acknowledged, reset];
    anyhow::ensure!(
        order.iter().all(Option::is_some),
        "missing events: {order:?} in {timeline:#?}"
    );
    anyhow::ensure!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "out of order: {order:?}"
    );
    anyhow::ensure!(
        std::path::Path::new(&json_path)
            .with_extension("html")
            .is_file(),
        "the HTML is beside the JSON"
    );

    window.close().await?;
    fleet.shutdown().await;
    Ok(())
}
