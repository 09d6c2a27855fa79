//! Carries engine events to the window as Tauri events. The core knows nothing of Tauri;
//! this is the only place the two meet for live updates.

use switchyard_core::engine::{EngineEvent, EngineHandle};
use switchyard_core::summary::FleetSummary;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

/// The event name the UI listens on (ui/src/backend.ts).
pub const ENGINE_EVENT: &str = "engine-event";

pub fn forward_engine_events(app: AppHandle, engine: EngineHandle) {
    let mut events = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        // The title follows the fleet: the worst news shows in the taskbar too.
        let mut fleet = engine.snapshot().await;
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(e) = app.emit(ENGINE_EVENT, &event) {
                        tracing::warn!(error = %e, "cannot send an update to the window");
                    }
                    let EngineEvent::ServiceUpdated { state } = event;
                    if let Some(slot) = fleet.iter_mut().find(|s| s.name == state.name) {
                        *slot = state;
                    }
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.set_title(&FleetSummary::of(&fleet).title());
                    }
                }
                // Each event carries a service's whole state, so the next one for that
                // service catches the window up.
                // Each event carries a service's whole state, so the next one for that
                // service catches the window up; the title re-reads the fleet.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "window updates lagged");
                    fleet = engine.snapshot().await;
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}
