//! Actions: a breaker reset confirmed with a reason is sent once (even on a double
//! click), verified and audited; an invalidation by pattern; a refused reset overridden.
//! The dialog's words are read exactly (the request it plans, the breaker's state, the
//! refusal, the outcome): a dialog that showed the wrong request must fail here.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use switchyard_tests::Window;

use crate::fleet_control::{fleet_actions, set};
use crate::page::{
    action_dialog, action_outcome, breaker_shown, click, element_shown, reads_verified,
    save_screenshot, type_into, type_reason,
};
use crate::ONE_WINDOW;

#[tokio::test]
async fn a_reset_is_confirmed_sent_once_verified_and_audited() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let fleet = switchyard_fleet::Fleet::start(switchyard_fleet::FleetSpec {
        services: vec![
            switchyard_fleet::ServiceSpec::quiet(
                switchyard_fleet::Profile::BreakerRegistry,
                "registry",
            ),
            switchyard_fleet::ServiceSpec::quiet(switchyard_fleet::Profile::SingleBreaker, "halt"),
        ],
    })
    .await?;
    let url = |name: &str| {
        fleet
            .services()
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.base_url.clone())
            .unwrap_or_default()
    };
    // Where a plan says the request goes: host and port, as the dialog shows them.
    let place = |name: &str| url(name).trim_start_matches("http://").to_string();
    let window = Window::with_config(&fleet.config_toml("1s", "800ms")).await?;
    let session = &window.session;

    set(
        &url("registry"),
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await?;
    breaker_shown(
        session,
        ("registry", "exchange_api", "open"),
        Duration::from_secs(30),
    )
    .await?;
    element_shown(
        session,
        "the reset button",
        "button[data-reset=\"registry/exchange_api\"]",
        Duration::from_secs(5),
    )
    .await?;
    click(session, "button[data-reset=\"registry/exchange_api\"]").await?;
    // The dialog says what, in which state, and exactly which request will go where.
    let dialog = action_dialog(session, "plan").await?;
    anyhow::ensure!(
        dialog["title"] == "Reset exchange_api on registry?",
        "{dialog}"
    );
    // "since" (the failure the fleet recorded when it was set, seconds ago) is there when
    // the poll the tile last drew carried it; the state and the counts always are.
    let state_line = dialog["state"].as_str().unwrap_or_default();
    let counts = state_line.strip_prefix("now open").and_then(|rest| {
        match rest
            .strip_prefix(" since ")
            .and_then(|r| r.split_once(" s"))
        {
            Some((seconds, counts)) => seconds.parse::<u32>().ok().map(|_| counts),
            None => Some(rest),
        }
    });
    anyhow::ensure!(
        counts == Some(" · failure rate 0 % · 7 failures"),
        "{dialog}"
    );
    anyhow::ensure!(
        dialog["plan"]
            == format!(
                "POST {}/api/circuit-breakers/exchange_api/reset — resets breaker exchange_api \
                 of registry to CLOSED: calls go through again at once",
                place("registry")
            ),
        "{dialog}"
    );
    anyhow::ensure!(dialog["refusal"].is_null(), "{dialog}");
    type_reason(session, "exchange recovered; letting traffic back").await?;
    // A double click: two clicks in the same instant.
    session
        .execute(
            "const ok = document.querySelector('[data-testid=action-confirm]'); ok.click(); ok.click(); return null;",
        )
        .await?;
    let text = action_outcome(session, "the verified outcome").await?;
    anyhow::ensure!(reads_verified(&text, "closed"), "outcome: {text}");
    let sent = fleet_actions(&url("registry")).await?;
    anyhow::ensure!(
        sent.len() == 1,
        "the fleet saw {} requests: {sent:?}",
        sent.len()
    );
    anyhow::ensure!(
        sent[0]["reason"] == "exchange recovered; letting traffic back",
        "{sent:?}"
    );
    save_screenshot(session, "reset.png").await?;
    click(session, "[data-testid=action-dialog] .alert-actions button").await?;

    click(session, "button[data-tab=\"actions\"]").await?;
    let audit = "return Array.from(document.querySelectorAll('tr[data-action-row]')).map(r => ({ row: r.dataset.actionRow,
        verified: r.querySelector('[data-testid=verified]').textContent }));";
    session
        .wait_for(
            "the audit row, verified",
            Duration::from_secs(10),
            audit,
            |rows| {
                rows.as_array()?
                    .iter()
                    .find(|r| r["row"] == "registry/exchange_api" && r["verified"] == "closed")
                    .map(|_| ())
            },
        )
        .await?;

    // Invalidate by pattern, where the service offers it: nothing to confirm until a
    // pattern is typed; then the plan names it and the service answers how many keys
    // it dropped.
    click(session, "button[data-tab=\"overview\"]").await?;
    click(
        session,
        "button[data-action=\"invalidate_cache_pattern:registry/\"]",
    )
    .await?;
    type_reason(session, "stale quotes after the feed restart").await?;
    let confirm_enabled =
        "return !document.querySelector('[data-testid=action-confirm]').disabled;";
    anyhow::ensure!(
        session.execute(confirm_enabled).await? == false,
        "the invalidation could be confirmed without a pattern"
    );
    type_into(session, "action-pattern", "market_data:*").await?;
    let invalidation = format!(
        "POST {}/api/cache/invalidate/pattern {{\"pattern\":\"market_data:*\"}} — evicts the \
         entries of registry's cache matching `market_data:*`",
        place("registry")
    );
    session
        .wait_for(
            "the plan naming the pattern",
            Duration::from_secs(10),
            crate::page::READ_ACTION_DIALOG,
            |d| (d["plan"] == invalidation.as_str()).then_some(()),
        )
        .await?;
    click(session, "[data-testid=action-confirm]").await?;
    let text = action_outcome(session, "the invalidation's outcome").await?;
    let dropped: Option<u64> = text
        .strip_prefix("done: ")
        .and_then(|rest| rest.strip_suffix(" entries invalidated"))
        .and_then(|n| n.parse().ok());
    anyhow::ensure!(dropped.is_some_and(|n| n > 0), "outcome: {text}");
    let sent = fleet_actions(&url("registry")).await?;
    anyhow::ensure!(
        sent.len() == 2
            && sent[1]["path"] == "/api/cache/invalidate/pattern"
            && sent[1]["reason"] == "stale quotes after the feed restart",
        "{sent:?}"
    );
    click(session, "[data-testid=action-dialog] .alert-actions button").await?;

    // single-breaker: resetting a closed breaker is refused first, then offered as an
    // explicit override with the reason.
    element_shown(
        session,
        "halt's reset button",
        "button[data-reset=\"halt/circuit_breaker\"]",
        Duration::from_secs(10),
    )
    .await?;
    click(session, "button[data-reset=\"halt/circuit_breaker\"]").await?;
    let dialog = action_dialog(session, "refusal").await?;
    anyhow::ensure!(
        dialog["title"] == "Reset circuit_breaker on halt?"
            && dialog["refusal"]
                == "circuit_breaker is already closed: the service would refuse the reset \
                    (409, not active); confirm with override to send it anyway"
            && dialog["plan"].is_null(),
        "{dialog}"
    );
    anyhow::ensure!(dialog["state"] == "now closed · 0 failures", "{dialog}");
    type_reason(session, "testing the guard").await?;
    click(session, "[data-testid=action-override]").await?;
    let text = action_outcome(session, "the override sent").await?;
    anyhow::ensure!(reads_verified(&text, "closed"), "outcome: {text}");
    let halt = fleet_actions(&url("halt")).await?;
    anyhow::ensure!(
        halt.len() == 1
            && halt[0]["query"]
                .as_str()
                .unwrap_or("")
                .contains("override=true"),
        "{halt:?}"
    );

    window.close().await?;
    fleet.shutdown().await;
    Ok(())
}
