//! Carries the engine's news to the window: coalesced batches over a `tauri::ipc::Channel`
//! (Tauri's path for high-rate data; events are not for that), at most ten a second, and
//! the fleet's worst state in the native window title. The core knows nothing of Tauri;
//! this is the only place the two meet for live updates.

use std::time::Duration;

use switchyard_core::coalesce::{Coalescer, FleetUpdate, UPDATES_PER_SECOND};
use switchyard_core::engine::{EngineEvent, EngineHandle};
use switchyard_core::summary::FleetSummary;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::RecvError;

/// Sends coalesced updates to `channel` until the window stops listening.
pub fn stream_updates(app: AppHandle, engine: EngineHandle, channel: Channel<FleetUpdate>) {
    tauri::async_runtime::spawn(async move {
        let mut events = engine.subscribe();
        // The title re-reads the fleet after a lag; between lags, events keep it current.
        let mut fleet = engine.snapshot().await;
        let mut coalescer = Coalescer::default();
        let mut tick = tokio::time::interval(Duration::from_millis(1000 / UPDATES_PER_SECOND));
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(EngineEvent::ServiceUpdated { state }) => {
                        if let Some(slot) = fleet.iter_mut().find(|s| s.name == state.name) {
                            *slot = state.clone();
                        }
                        coalescer.push(state);
                    }
                    // Alerts reach the window through their own commands, the tray and
                    // notifications (`notify.rs`, `tray.rs`), not through the fleet batches.
                    Ok(EngineEvent::AlertsChanged { .. }) => {}
                    Err(RecvError::Lagged(missed)) => {
                        // Each batch carries whole states, so re-sending everything
                        // catches the window up.
                        tracing::warn!(missed, "window updates lagged; re-sending the fleet");
                        fleet = engine.snapshot().await;
                        for state in &fleet {
                            coalescer.push(state.clone());
                        }
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    let Some(batch) = coalescer.take() else { continue };
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.set_title(&FleetSummary::of(&fleet).title());
                    }
                    if channel.send(batch).is_err() {
                        // The page went away (closed or reloaded; a reload subscribes anew).
                        break;
                    }
                }
            }
        }
    });
}
