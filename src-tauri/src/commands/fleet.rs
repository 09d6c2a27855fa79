//! Reading the live fleet and the session.

use switchyard_core::feed::FleetUpdate;
use switchyard_core::model::ServiceState;
use switchyard_core::session::SessionInfo;
use tauri::State;

use crate::session::Session;

#[tauri::command]
pub fn session_info(session: State<'_, Session>) -> SessionInfo {
    session.info().clone()
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
    on_update: tauri::ipc::Channel<FleetUpdate>,
) {
    if let Some(engine) = session.engine() {
        crate::bridge::stream_updates(app, engine.clone(), on_update);
    }
}

/// Why the history is not being written right now (disk full, read-only), if it is not.
#[tauri::command]
pub fn history_problem(session: State<'_, Session>) -> Option<String> {
    session.history_problem()
}
