//! WebSocket streams: a breaker tripped at the service shows open through its stream,
//! before the next poll.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use switchyard_tests::Window;

use crate::fleet_control::{polls, registry_fleet, set};
use crate::page::breaker_shown;
use crate::ONE_WINDOW;

#[tokio::test]
async fn a_tripped_breaker_shows_open_through_the_stream_before_the_next_poll() -> Result<()> {
    let _window = ONE_WINDOW.lock().await;
    let (fleet, base) = registry_fleet().await?;
    // A minute between polls: whatever the window shows after the first one came
    // through the stream.
    let window = Window::with_config(&format!(
            "[[service]]\nname = \"registry\"\nbase_url = \"{base}\"\nprofile = \"breaker-registry\"\npoll_interval = \"60s\"\n\n\
             [[service.stream]]\npath = \"/api/ws/breakers\"\nsubscribe = [\"breakers\"]\n"
        )).await?;
    let session = &window.session;

    breaker_shown(
        session,
        ("registry", "exchange_api", "closed"),
        Duration::from_secs(30),
    )
    .await?;
    let stream_live = "return document.querySelector('li[data-stream]')?.dataset.state ?? null;";
    session
        .wait_for(
            "the stream live",
            Duration::from_secs(10),
            stream_live,
            |v| (v == "live").then_some(()),
        )
        .await?;

    let polls_before = polls(&base).await?;
    set(
        &base,
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await?;
    let took = breaker_shown(
        session,
        ("registry", "exchange_api", "open"),
        Duration::from_secs(10),
    )
    .await?;
    let polls_after = polls(&base).await?;
    eprintln!("exchange_api shown open {took:?} after the trip; breaker polls {polls_before} → {polls_after}");
    anyhow::ensure!(
        polls_after == polls_before,
        "a poll happened: the stream was not what showed it"
    );
    anyhow::ensure!(took < Duration::from_secs(60), "slower than the next poll");

    window.close().await?;
    fleet.shutdown().await;
    Ok(())
}
