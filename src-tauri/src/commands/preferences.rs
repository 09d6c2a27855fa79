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
pub fn save_preferences(
    preferences: Preferences,
    file: State<'_, PreferencesFile>,
) -> Result<(), IpcError> {
    let Some(path) = file.0.as_deref() else {
        return Ok(());
    };
    preferences.save(path).map_err(|e| {
        tracing::warn!(error = %e, path = %path.display(), "cannot save the preferences");
        IpcError::new(
            "preferences_not_saved",
            format!("cannot save the preferences in {}: {e}", path.display()),
        )
    })
}
