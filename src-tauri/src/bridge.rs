//! Carries engine events to the window as Tauri events. The core knows nothing of Tauri;
//! this is the only place the two meet for live updates.

use switchyard_core::engine::EngineEvent;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::{self, error::RecvError};

/// The event name the UI listens on (ui/src/backend.ts).
pub const ENGINE_EVENT: &str = "engine-event";

pub fn forward_engine_events(app: AppHandle, mut events: broadcast::Receiver<EngineEvent>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(e) = app.emit(ENGINE_EVENT, &event) {
                        tracing::warn!(error = %e, "cannot send an update to the window");
                    }
                }
                // Each event carries a service's whole state, so the next one for that
                // service catches the window up.
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "window updates lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    });
}
