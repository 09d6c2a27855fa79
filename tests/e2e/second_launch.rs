//! One window per history: launching the app again hands over to the open window and
//! exits, without a second window.

use std::time::Duration;

use anyhow::Result;
use switchyard_tests::{x_window_names, Window};

use crate::ONE_WINDOW;

#[tokio::test]
async fn a_second_launch_on_the_same_history_brings_this_window_forward() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let window = Window::demo().await?;
    let session = &window.session;
    session
        .wait_for(
            "the page listening for a second launch",
            Duration::from_secs(30),
            "return window.switchyardDiagnostics?.watching ?? [];",
            |watching| {
                watching
                    .as_array()?
                    .iter()
                    .any(|w| w == "second-launch")
                    .then_some(())
            },
        )
        .await?;
    let windows_before = x_window_names()?
        .iter()
        .filter(|t| t.ends_with("Switchyard"))
        .count();

    // The same command again, as an engineer double-clicking the launcher would: it
    // hands over to this window and exits at once, without a window of its own.
    let (status, took) = window.launch_again(Duration::from_secs(30)).await?;
    anyhow::ensure!(status.success(), "the second launch exited with {status}");
    eprintln!("second launch handed over and exited in {took:?}");
    session
        .wait_for(
            "the first window saying it was launched again",
            Duration::from_secs(10),
            "return document.querySelector('[data-testid=second-launch]')?.textContent ?? null;",
            |text| {
                text.as_str()
                    .filter(|t| t.contains("already open on this history"))
                    .map(|_| ())
            },
        )
        .await?;
    let windows_after = x_window_names()?
        .iter()
        .filter(|t| t.ends_with("Switchyard"))
        .count();
    anyhow::ensure!(
        windows_before >= 1 && windows_after == windows_before,
        "Switchyard windows: {windows_before} before the second launch, {windows_after} after"
    );
    window.close().await?;
    Ok(())
}
