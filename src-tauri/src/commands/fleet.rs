//! Reading the live fleet and the session.

use switchyard_core::feed::FleetUpdate;
use switchyard_core::model::ServiceState;
use switchyard_core::session::SessionInfo;
use tauri::ipc::Channel;
use tauri::State;

use crate::pushes::StoreHealthWindow;
use crate::session::Session;

#[tauri::command]
pub fn session_info(session: State<'_, Session>) -> SessionInfo {
    session.info()
}

#[tauri::command]
pub async fn fleet_state(session: State<'_, Session>) -> Result<Vec<ServiceState>, ()> {
    Ok(match session.engine() {
        Some(engine) => engine.snapshot().await,
        None => Vec::new(),
    })
}

/// Subscribes the window to coalesced fleet updates on `on_update`.
#[tauri::command]
pub fn watch_fleet(
    app: tauri::AppHandle,
    session: State<'_, Session>,
    on_update: Channel<FleetUpdate>,
) {
    if let Some(engine) = session.engine() {
        crate::bridge::stream_updates(app, engine, on_update);
    }
}

/// Tells the page, on `on_change`, why the history is not being written (disk full,
/// read-only; `null` when it is): now, then each time that changes. A page that
/// subscribes again replaces the old one.
#[tauri::command]
pub fn watch_store_health(
    session: State<'_, Session>,
    window: State<'_, StoreHealthWindow>,
    on_change: Channel<Option<String>>,
) {
    // Attached first, read second: whatever the task sends meanwhile, this is newer.
    window.attach(on_change);
    window.send(session.console().and_then(|c| c.history_problem()));
}
