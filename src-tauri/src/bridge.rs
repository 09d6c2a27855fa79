//! Carries the fleet to the window: a subscriber of the engine's fleet feed that sends
//! what changed over a `tauri::ipc::Channel` (Tauri's path for high-rate data; events are
//! not for that), at most ten batches a second, and the fleet's worst state in the native
//! window title. The feed coalesces: each batch holds every service that changed since the
//! last one, at its latest state, however slow the window was. The core knows nothing of
//! Tauri; this is the only place the two meet for live updates.

use std::time::Duration;

use switchyard_core::engine::EngineHandle;
use switchyard_core::feed::FleetUpdate;
use switchyard_core::summary::FleetSummary;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

/// At most this many batches a second reach the window.
pub const UPDATES_PER_SECOND: u64 = 10;

/// Sends the fleet, then its changes, to `channel` until the window stops listening.
pub fn stream_updates(app: AppHandle, engine: EngineHandle, channel: Channel<FleetUpdate>) {
    tauri::async_runtime::spawn(async move {
        let mut fleet = engine.fleet();
        let mut tick = tokio::time::interval(Duration::from_millis(1000 / UPDATES_PER_SECOND));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Nothing new, no work: wait for news, then for the tick, then take it all.
            if !fleet.wait().await {
                break;
            }
            tick.tick().await;
            let Some(delta) = fleet.take() else { continue };
            if let Some(window) = app.get_webview_window("main") {
                let states = fleet.feed().states();
                let _ = window.set_title(&FleetSummary::of(states.iter().map(|s| &**s)).title());
            }
            if channel.send(FleetUpdate::from(delta)).is_err() {
                // The page went away (closed or reloaded; a reload subscribes anew).
                break;
            }
        }
    });
}
