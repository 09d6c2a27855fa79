//! The first run: from the demo, an engineer adds one of their own services from the
//! window (paste its URL, see the profile detected and what was read, confirm); the
//! service lands in a configuration file the window created, with its comment header;
//! an edit of that file by hand is applied without a restart; a broken edit is shown as
//! the `check-config` error while the service keeps updating.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use switchyard_tests::webdriver::Session;
use switchyard_tests::Window;

use crate::fleet_control::{registry_fleet, set};
use crate::page::{breaker_shown, click, element_shown, press, row, type_into, READ_ROWS};
use crate::ONE_WINDOW;
use switchyard_fleet::keyring_on_session::TestKeyring;

/// Submits the services dialog's form, as Enter in one of its fields does.
async fn press_enter_in_dialog(session: &Session) -> Result<()> {
    session
        .execute("document.querySelector('[data-testid=services-dialog] form').requestSubmit(); return null;")
        .await
        .map(|_| ())
}

/// Waits until the overview shows `name`, read (not waiting); returns its row.
async fn tile_read(session: &Session, name: &str, patience: Duration) -> Result<Value> {
    let (found, _) = session
        .wait_for(
            &format!("{name} shown, read"),
            patience,
            READ_ROWS,
            |rows| {
                row(rows, name)
                    .filter(|r| r["status"] != "waiting")
                    .cloned()
            },
        )
        .await?;
    Ok(found)
}

#[tokio::test]
async fn a_service_added_from_the_demo_lands_in_the_file_and_follows_its_edits() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let (_fleet, url) = registry_fleet().await?;
    let window = Window::demo().await?;
    let session = &window.session;
    let file = window
        .home()
        .join("config")
        .join("switchyard")
        .join("switchyard.toml");

    // The demo runs, and says how to watch your own services instead.
    element_shown(
        session,
        "the watch-your-own-services button",
        "[data-testid=watch-own-services].primary",
        Duration::from_secs(30),
    )
    .await?;
    open_services_dialog(session).await?;

    // Paste the URL, Enter: the profile is detected and what was read is shown.
    type_into(session, "service-url", &url).await?;
    press_enter_in_dialog(session).await?;
    let (probe, took) = session
        .wait_for(
            "the probe's result",
            Duration::from_secs(15),
            "const r = document.querySelector('[data-testid=probe-result]');
             return r?.dataset.state === 'reachable' ? { profile: r.querySelector('[data-testid=probe-profile]').textContent,
               lines: Array.from(r.querySelectorAll('[data-testid=probe-lines] li')).map(l => l.textContent) } : null;",
            |v| (!v.is_null()).then(|| v.clone()),
        )
        .await?;
    eprintln!("probe shown after {took:?}: {probe}");
    anyhow::ensure!(probe["profile"] == "breaker-registry", "detected: {probe}");
    let lines = probe["lines"].to_string();
    anyhow::ensure!(lines.contains("breaker"), "what was read: {lines}");
    anyhow::ensure!(!file.exists(), "nothing is written before confirming");

    // Name it, Enter again: the file is created and the window leaves the demo for it.
    type_into(session, "service-name", "payments-registry").await?;
    press_enter_in_dialog(session).await?;
    let (source, took) = session
        .wait_for(
            "the window watching the new configuration file",
            Duration::from_secs(30),
            "return document.querySelector('[data-testid=config-source]')?.textContent ?? null;",
            |v| {
                v.as_str()
                    .filter(|s| s.ends_with("switchyard.toml"))
                    .map(str::to_string)
            },
        )
        .await?;
    eprintln!("switched from the demo to {source} after {took:?}");
    tile_read(session, "payments-registry", Duration::from_secs(30)).await?;
    let rows = session.execute(READ_ROWS).await?;
    anyhow::ensure!(
        rows.as_array().map(Vec::len) == Some(1),
        "only the added service is watched now, the demo is gone: {rows}"
    );

    // The file: the comment header, then the service with its detected profile.
    let written = std::fs::read_to_string(&file).context("the configuration file")?;
    anyhow::ensure!(
        written.starts_with("# Switchyard's configuration"),
        "{written}"
    );
    anyhow::ensure!(
        written.contains("name = \"payments-registry\"")
            && written.contains(&format!("base_url = \"{url}\""))
            && written.contains("profile = \"breaker-registry\""),
        "{written}"
    );

    // A hand edit (a comment of our own and a faster poll for the service) is applied
    // without a restart: the service is renamed in the window.
    let edited = written
        .replace(
            "\n[[service]]\n",
            "\n# Owned by payments; edited by hand.\n[[service]]\n",
        )
        .replace(
            "name = \"payments-registry\"",
            "name = \"registry\"\npoll_interval = \"1s\"",
        );
    std::fs::write(&file, &edited)?;
    let (_, took) = session
        .wait_for(
            "the hand edit applied",
            Duration::from_secs(30),
            READ_ROWS,
            |rows| {
                let names: Vec<&str> = rows
                    .as_array()?
                    .iter()
                    .filter_map(|r| r["name"].as_str())
                    .collect();
                (names == ["registry"]).then_some(())
            },
        )
        .await?;
    eprintln!("hand edit shown after {took:?}");
    tile_read(session, "registry", Duration::from_secs(30)).await?;

    // A broken edit: the check-config error is shown, with the file and line...
    let broken = edited.replace("base_url =", "base_ur =");
    std::fs::write(&file, &broken)?;
    let (problem, _) = session
        .wait_for(
            "the configuration error shown",
            Duration::from_secs(30),
            "return document.querySelector('[data-testid=config-problem]')?.textContent ?? null;",
            |v| v.as_str().map(str::to_string),
        )
        .await?;
    anyhow::ensure!(
        problem.contains("switchyard.toml:")
            && problem.contains("base_ur")
            && problem.contains("last good configuration keeps running"),
        "{problem}"
    );
    // ...while the last good configuration keeps running and updating.
    set(
        &url,
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await?;
    breaker_shown(
        session,
        ("registry", "exchange_api", "open"),
        Duration::from_secs(15),
    )
    .await?;
    // The file is the engineer's: nothing rewrote it.
    anyhow::ensure!(std::fs::read_to_string(&file)? == broken);

    // Fixed again: the error goes away.
    std::fs::write(&file, &edited)?;
    session
        .wait_for(
            "the configuration error gone",
            Duration::from_secs(30),
            "return document.querySelector('[data-testid=config-problem]') === null;",
            |v| (v == true).then_some(()),
        )
        .await?;

    // Edited from the window: the hand-written comment and key stay.
    tile_read(session, "registry", Duration::from_secs(30)).await?;
    press(session, "w").await?;
    element_shown(
        session,
        "the service listed in the dialog",
        "[data-testid=configured-services] button[data-edit=registry]",
        Duration::from_secs(10),
    )
    .await?;
    click(session, "button[data-edit=registry]").await?;
    type_into(session, "service-tags", "team:payments").await?;
    press_enter_in_dialog(session).await?; // probes
    session
        .wait_for(
            "the probe of the edited service",
            Duration::from_secs(15),
            "return document.querySelector('[data-testid=probe-result]')?.dataset.state ?? null;",
            |v| (v == "reachable").then_some(()),
        )
        .await?;
    press_enter_in_dialog(session).await?; // saves
    let (_, took) = session
        .wait_for(
            "the edit from the window applied",
            Duration::from_secs(30),
            "return Array.from(document.querySelectorAll('article[data-service=registry] .tag')).map(t => t.textContent);",
            |tags| tags.to_string().contains("team:payments").then_some(()),
        )
        .await?;
    eprintln!("edit from the window shown after {took:?}");
    let rewritten = std::fs::read_to_string(&file)?;
    anyhow::ensure!(
        rewritten.starts_with("# Switchyard's configuration")
            && rewritten.contains("# Owned by payments; edited by hand.\n[[service]]\nname = \"registry\"\npoll_interval = \"1s\"")
            && rewritten.contains("tags = [\"team:payments\"]"),
        "{rewritten}"
    );

    // Removing the only service would leave a file check-config refuses: refused, with
    // its words, and the file untouched.
    press(session, "w").await?;
    element_shown(
        session,
        "the remove button",
        "button[data-remove=registry]",
        Duration::from_secs(10),
    )
    .await?;
    click(session, "button[data-remove=registry]").await?;
    let (refusal, _) = session
        .wait_for(
            "the removal refused",
            Duration::from_secs(10),
            "return document.querySelector('[data-testid=services-problem]')?.textContent ?? null;",
            |v| v.as_str().map(str::to_string),
        )
        .await?;
    anyhow::ensure!(refusal.contains("no services"), "{refusal}");
    anyhow::ensure!(std::fs::read_to_string(&file)? == rewritten);
    window.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_secret_typed_once_goes_to_the_keyring_and_only_its_reference_to_the_file() -> Result<()>
{
    let _window = ONE_WINDOW.lock().await;
    let _keyring = TestKeyring::start().await?;
    let fleet = switchyard_fleet::Fleet::start(switchyard_fleet::FleetSpec {
        services: vec![switchyard_fleet::ServiceSpec::quiet(
            switchyard_fleet::Profile::HealthLevels,
            "events",
        )],
    })
    .await?;
    let url = fleet.services()[0].base_url.clone();
    let key = fleet.internal_key().to_string();
    let window = Window::demo().await?;
    let session = &window.session;
    let file = window
        .home()
        .join("config")
        .join("switchyard")
        .join("switchyard.toml");

    element_shown(
        session,
        "the watch-your-own-services button",
        "[data-testid=watch-own-services]",
        Duration::from_secs(30),
    )
    .await?;
    open_services_dialog(session).await?;
    type_into(session, "service-url", &url).await?;
    type_into(session, "service-name", "events").await?;
    click(session, "[data-testid=add-header]").await?;
    type_into(session, "header-name", "X-Internal-Key").await?;
    click(session, "[data-testid=header-type-secret]").await?;
    type_into(session, "header-secret", &key).await?;
    click(session, "[data-testid=header-store]").await?;
    let (reference, _) = session
        .wait_for(
            "the header holding a keyring reference",
            Duration::from_secs(15),
            "return document.querySelector('[data-testid=header-value]')?.value ?? null;",
            |v| {
                v.as_str()
                    .filter(|r| r.starts_with("keyring:"))
                    .map(str::to_string)
            },
        )
        .await
        .context("the secret stored in the keyring")?;
    anyhow::ensure!(
        reference == "keyring:switchyard/events-X-Internal-Key",
        "{reference}"
    );

    // The probe sends the secret from the keyring: the internal endpoint answers.
    press_enter_in_dialog(session).await?;
    let (lines, _) = session
        .wait_for(
            "the probe's result",
            Duration::from_secs(15),
            "const r = document.querySelector('[data-testid=probe-result]');
             return r?.dataset.state === 'reachable' ? Array.from(r.querySelectorAll('[data-testid=probe-lines] li')).map(l => l.textContent) : null;",
            |v| (!v.is_null()).then(|| v.to_string()),
        )
        .await?;
    anyhow::ensure!(
        !lines.contains("unauthorized") && !lines.contains("not sent"),
        "the key was not sent: {lines}"
    );

    press_enter_in_dialog(session).await?;
    tile_read(session, "events", Duration::from_secs(30)).await?;
    let written = std::fs::read_to_string(&file).context("the configuration file")?;
    anyhow::ensure!(
        written.contains("X-Internal-Key = \"keyring:switchyard/events-X-Internal-Key\""),
        "{written}"
    );
    anyhow::ensure!(!written.contains(&key), "the secret itself is in the file");
    window.close().await?;
    Ok(())
}

/// Presses `w` until the services dialog is open: a key pressed while the page is still
/// attaching its listeners (a loaded machine, just after start) is not heard, and an
/// engineer would press it again.
async fn open_services_dialog(session: &Session) -> Result<()> {
    session
        .wait_for(
            "the services dialog",
            Duration::from_secs(15),
            "if (document.querySelector('[data-testid=services-dialog]')) return true;
             window.dispatchEvent(new KeyboardEvent('keydown', { key: 'w' }));
             return false;",
            |open| (open == true).then_some(()),
        )
        .await
        .map(|_| ())
}
