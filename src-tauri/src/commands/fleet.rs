//! Reading the live fleet and the session.

use switchyard_core::engine::ServiceState;
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
