//! Actions: a breaker reset confirmed with a reason is sent once (even on a double
//! click), verified and audited; an invalidation by pattern; a refused reset overridden.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use switchyard_tests::Window;

use crate::fleet_control::{fleet_actions, set};
use crate::page::{
    action_outcome, breaker_shown, click, element_shown, save_screenshot, type_into, type_reason,
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
    let plan = "return document.querySelector('[data-testid=action-plan]')?.textContent ?? null;";
    session
        .wait_for(
            "the plan in the dialog",
            Duration::from_secs(10),
            plan,
            |v| v.as_str().map(|_| ()),
        )
        .await?;
    type_reason(session, "exchange recovered; letting traffic back").await?;
    // A double click: two clicks in the same instant.
    session
        .execute(
            "const ok = document.querySelector('[data-testid=action-confirm]'); ok.click(); ok.click(); return null;",
        )
        .await?;
    let text = action_outcome(session, "the verified outcome").await?;
    anyhow::ensure!(text.starts_with("verified: closed"), "outcome: {text}");
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
    session
        .wait_for(
            "the plan naming the pattern",
            Duration::from_secs(10),
            plan,
            |v| {
                v.as_str()
                    .filter(|t| t.contains("market_data:*"))
                    .map(|_| ())
            },
        )
        .await?;
    click(session, "[data-testid=action-confirm]").await?;
    let text = action_outcome(session, "the invalidation's outcome").await?;
    let dropped: u64 = text
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or(0);
    anyhow::ensure!(
        text.contains("entries invalidated") && dropped > 0,
        "outcome: {text}"
    );
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
    let refusal =
        "return document.querySelector('[data-testid=action-refusal]')?.textContent ?? null;";
    session
        .wait_for("the refusal", Duration::from_secs(10), refusal, |v| {
            v.as_str().map(|_| ())
        })
        .await?;
    type_reason(session, "testing the guard").await?;
    click(session, "[data-testid=action-override]").await?;
    let text = action_outcome(session, "the override sent").await?;
    anyhow::ensure!(
        text.starts_with("verified") || text.starts_with("done"),
        "outcome: {text}"
    );
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
