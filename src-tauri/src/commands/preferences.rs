//! The window's remembered theme and range (see `switchyard_core::preferences`).

use std::path::PathBuf;

use switchyard_core::preferences::Preferences;
use tauri::State;

use super::IpcError;

/// Where the preferences live; none without a home directory (then nothing is kept).
pub struct PreferencesFile(pub Option<PathBuf>);

#[tauri::command]
pub fn preferences(file: State<'_, PreferencesFile>) -> Preferences {
    file.0.as_deref().map(Preferences::load).unwrap_or_default()
}

#[tauri::command]
#[tracing::instrument(skip(file), err(Debug))]
pub fn save_preferences(
    preferences: Preferences,
    file: State<'_, PreferencesFile>,
) -> Result<(), IpcError> {
    match file.0.as_deref() {
        Some(path) => Ok(preferences.save(path)?),
        None => Ok(()),
    }
}
