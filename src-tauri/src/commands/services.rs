//! "Watch your own services": probing a service before it is added, and adding,
//! editing and removing services in the configuration file (which the core edits and
//! validates; `reload.rs` then applies it).

use secrecy::SecretString;
use switchyard_core::config::edit::{self, ServiceEdit, ServiceEntry};
use switchyard_core::ipc_error::{ErrorCode, FirstRunRefusal};
use switchyard_core::secrets;
use switchyard_core::session::SessionInfo;
use switchyard_core::sources::probe::{self, ProbeReport, ProbeRequest, DEFAULT_PROBE_TIMEOUT};
use tauri::{AppHandle, State};

use super::IpcError;
use crate::session::Session;

/// One round of polls of a service not yet configured, detecting its profile.
#[tauri::command]
#[tracing::instrument(skip_all, fields(url = %request.base_url), err(level = "warn", Debug))]
pub async fn probe_service(request: ProbeRequest) -> Result<ProbeReport, IpcError> {
    let service =
        probe::service_to_probe(&request, DEFAULT_PROBE_TIMEOUT).map_err(FirstRunRefusal::Probe)?;
    Ok(probe::probe(service).await)
}

/// The services in the configuration file as the dialog edits them (none in the demo).
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub fn configured_services(session: State<'_, Session>) -> Result<Vec<ServiceEntry>, IpcError> {
    let Some(file) = session.config_file() else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    Ok(edit::entries(&text)?)
}

/// Adds, updates or removes a service in the configuration file and applies the result.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "warn", Debug))]
pub async fn edit_services(
    app: AppHandle,
    session: State<'_, Session>,
    edit: ServiceEdit,
) -> Result<SessionInfo, IpcError> {
    let file = session.config_path().ok_or_else(|| {
        IpcError::new(
            ErrorCode::ConfigNotWritten,
            "no home directory, so there is no configuration folder to write to; start Switchyard with --config FILE",
        )
    })?;
    let edited = edit::edit_file(&file, &edit)?;
    crate::reload::written(&app, file, &edited.text, edited.config).await;
    Ok(session.info())
}

/// Stores a secret typed once in the OS keyring; returns the reference to write.
#[tauri::command]
#[tracing::instrument(skip_all, fields(account = %account), err(level = "warn", Debug))]
pub fn store_secret(account: String, secret: String) -> Result<String, IpcError> {
    let reference = secrets::store_in_keyring(&account, SecretString::from(secret))
        .map_err(FirstRunRefusal::Secret)?;
    Ok(reference.to_string())
}
