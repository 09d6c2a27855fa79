//! Reading and driving the window as a person would: the tiles, breakers and alerts on
//! screen, key presses, clicks and typing, the action dialog's outcome, screenshots.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;
use switchyard_tests::docs_dir;
use switchyard_tests::webdriver::Session;

/// Every row of the service table as `{name, status, url, interval}`.
pub const READ_ROWS: &str =
    "return Array.from(document.querySelectorAll('article[data-service]')).map(r => ({
    name: r.dataset.service, status: r.dataset.status,
    url: r.querySelector('[data-testid=base-url]').textContent,
    instances: (r.dataset.instances ?? '').split(' ').filter(u => u),
    interval: Number(r.dataset.pollIntervalMs) }));";

/// The demo: four health-contract services, one service of each other seed profile, and
/// `ledger-api`, one service of three instances.
pub const DEMO_SERVICES: [&str; 9] = [
    "execution-service",
    "market-data",
    "notifications",
    "risk-engine",
    "events-api",
    "trading-api",
    "trading-bot",
    "wallet-api",
    "ledger-api",
];

/// What a tile's badge says when the console could not read the service.
const UNREACHABLE_WORDS: [&str; 10] = [
    "waiting",
    "timeout",
    "refused",
    "dns",
    "tls",
    "http error",
    "invalid response",
    "too large",
    "rate limited",
    "unauthorized",
];

pub fn row<'a>(rows: &'a Value, name: &str) -> Option<&'a Value> {
    rows.as_array()?.iter().find(|r| r["name"] == name)
}

/// Waits until every demo service (one per seed profile among them) has been read —
/// not merely polled: a service the console cannot read does not count. Returns the rows.
pub async fn every_demo_service_read(session: &Session) -> Result<Value> {
    let (rows, _) = session
        .wait_for(
            "every demo service, read",
            Duration::from_secs(30),
            READ_ROWS,
            |rows| {
                let all_read = DEMO_SERVICES.iter().all(|name| {
                    row(rows, name)
                        .and_then(|r| r["status"].as_str())
                        .is_some_and(|s| !UNREACHABLE_WORDS.contains(&s))
                });
                all_read.then(|| rows.clone())
            },
        )
        .await?;
    Ok(rows)
}

/// Every breaker on screen as `{service, name, state}`.
pub const READ_BREAKERS: &str =
    "return Array.from(document.querySelectorAll('article[data-service] li[data-breaker]')).map(b => ({
    service: b.closest('article').dataset.service, name: b.dataset.breaker, state: b.dataset.state }));";

/// Waits until the window shows `(service, breaker, state)`; returns how long it took.
pub async fn breaker_shown(
    session: &Session,
    (service, breaker, state): (&str, &str, &str),
    patience: Duration,
) -> Result<Duration> {
    let (_, took) = session
        .wait_for(
            &format!("{breaker} of {service} shown {state}"),
            patience,
            READ_BREAKERS,
            |breakers| {
                breakers.as_array()?.iter().find(|b| {
                    b["service"] == service && b["name"] == breaker && b["state"] == state
                })?;
                Some(())
            },
        )
        .await?;
    Ok(took)
}

/// Every alert in the panel as `{id, phase}`.
pub const READ_ALERTS: &str = "return Array.from(document.querySelectorAll('li[data-alert]')).map(a => ({ id: a.dataset.alert, phase: a.dataset.phase,
    acknowledged: a.querySelector('[data-testid=acknowledged]')?.textContent ?? null }));";

/// Presses a key the way a person would: a keydown on the window.
pub async fn press(session: &Session, key: &str) -> Result<()> {
    session
        .execute(&format!(
            "window.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}' }})); return null;"
        ))
        .await
        .map(|_| ())
}

pub async fn click(session: &Session, selector: &str) -> Result<()> {
    session
        .execute(&format!(
            "document.querySelector('{selector}').click(); return null;"
        ))
        .await
        .map(|_| ())
}

pub async fn type_reason(session: &Session, text: &str) -> Result<()> {
    type_into(session, "action-reason", text).await
}

/// Types `text` into the input with `data-testid=testid`, as a keystroke would land.
pub async fn type_into(session: &Session, testid: &str, text: &str) -> Result<()> {
    session
        .execute(&format!(
            "const box = document.querySelector('[data-testid={testid}]');
             box.value = '{text}'; box.dispatchEvent(new Event('input', {{ bubbles: true }})); return null;"
        ))
        .await
        .map(|_| ())
}

/// The action dialog's outcome line, once the request has come back.
pub async fn action_outcome(session: &Session, what: &str) -> Result<String> {
    let (text, _) = session
        .wait_for(
            what,
            Duration::from_secs(20),
            "return document.querySelector('[data-testid=action-outcome]')?.textContent ?? null;",
            |v| v.as_str().filter(|t| !t.is_empty()).map(str::to_string),
        )
        .await?;
    Ok(text)
}

/// What the open action dialog shows, as `{title, state, plan, refusal}`: its heading,
/// the breaker's current state line, the plan (method, place, path and effect) and the
/// refusal; `null` for what it does not show, and `null` with no dialog open.
pub const READ_ACTION_DIALOG: &str =
    "const d = document.querySelector('[data-testid=action-dialog]');
    if (!d) return null;
    const text = (selector) => d.querySelector(selector)?.textContent ?? null;
    return { title: text('h2'), state: text('p.meta'), plan: text('[data-testid=action-plan]'),
        refusal: text('[data-testid=action-refusal]') };";

/// Waits until the action dialog shows its `part` (`plan` or `refusal`); returns all it
/// shows (see [`READ_ACTION_DIALOG`]).
pub async fn action_dialog(session: &Session, part: &str) -> Result<Value> {
    let (dialog, _) = session
        .wait_for(
            &format!("the action dialog's {part}"),
            Duration::from_secs(10),
            READ_ACTION_DIALOG,
            |d| d[part].is_string().then(|| d.clone()),
        )
        .await?;
    Ok(dialog)
}

/// Whether an action's outcome line says the re-read found the breaker in `state`, as
/// the dialog words it: `verified: closed after 0.6 s`.
pub fn reads_verified(outcome: &str, state: &str) -> bool {
    outcome
        .strip_prefix(&format!("verified: {state} after "))
        .and_then(|rest| rest.strip_suffix(" s"))
        .and_then(|seconds| seconds.split_once('.'))
        .is_some_and(|(whole, tenths)| {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && tenths.len() == 1
                && tenths.bytes().all(|b| b.is_ascii_digit())
        })
}

pub async fn save_screenshot(session: &Session, name: &str) -> Result<()> {
    // WebKit captures the last painted frame: wait for two frames so the picture shows
    // what the DOM already holds.
    session
        .execute_async("requestAnimationFrame(() => requestAnimationFrame(() => done(null)));")
        .await?;
    let png = session.screenshot().await?;
    anyhow::ensure!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
    std::fs::write(docs_dir().join(name), &png)?;
    Ok(())
}

/// Waits until an element matching `selector` is on the page.
pub async fn element_shown(
    session: &Session,
    what: &str,
    selector: &str,
    patience: Duration,
) -> Result<()> {
    session
        .wait_for(
            what,
            patience,
            &format!("return !!document.querySelector('{selector}');"),
            |v| (v == true).then_some(()),
        )
        .await?;
    Ok(())
}

/// Waits until the window has read `service`: its badge no longer says waiting.
pub async fn service_read(session: &Session, service: &str) -> Result<()> {
    session
        .wait_for(
            "the service read",
            Duration::from_secs(30),
            READ_ROWS,
            |rows| {
                row(rows, service)
                    .filter(|r| r["status"] != "waiting")
                    .map(|_| ())
            },
        )
        .await?;
    Ok(())
}

/// Acknowledges the alert `id` in the panel as a person would (its button, the comment
/// box, submit) and waits until the panel shows it acknowledged with `comment`.
pub async fn acknowledge(session: &Session, id: &str, comment: &str) -> Result<()> {
    click(
        session,
        &format!("li[data-alert=\"{id}\"] [data-testid=acknowledge]"),
    )
    .await?;
    element_shown(
        session,
        "the comment box",
        "[data-testid=alert-comment]",
        Duration::from_secs(5),
    )
    .await?;
    type_into(session, "alert-comment", comment).await?;
    click(session, "[data-testid=alert-submit]").await?;
    session
        .wait_for(
            &format!("{id} acknowledged with the comment"),
            Duration::from_secs(10),
            READ_ALERTS,
            |alerts| {
                let row = alerts.as_array()?.iter().find(|a| a["id"] == id)?;
                row["acknowledged"]
                    .as_str()?
                    .contains(comment)
                    .then_some(())
            },
        )
        .await?;
    Ok(())
}

#[test]
fn reads_verified_takes_only_the_verified_state_asked_for() {
    assert!(reads_verified("verified: closed after 0.6 s", "closed"));
    assert!(reads_verified("verified: closed after 12.0 s", "closed"));
    // What the override check accepted before: any "done", or a re-read that failed.
    assert!(!reads_verified("done: circuit breaker reset", "closed"));
    assert!(!reads_verified(
        "not verified: circuit_breaker is still open after 10s (expected closed)",
        "closed"
    ));
    assert!(!reads_verified("verified: open after 0.6 s", "closed"));
    assert!(!reads_verified("verified: closed", "closed"));
    assert!(!reads_verified("verified: closed after s", "closed"));
}
