//! "Export snapshot": one self-contained HTML file (and the same data as JSON beside it)
//! for an incident ticket. The file is chosen in a save dialog, or, for scripted
//! exports, written into `$SWITCHYARD_SNAPSHOT_DIR`. Opening it, or its folder, only
//! ever applies to the export this session just wrote: the web view never names a path.

use std::path::PathBuf;

use chrono::Utc;
use switchyard_core::console::{ExportError, ExportRequest};
use switchyard_core::ipc_error::ErrorCode;
use switchyard_core::snapshot::{ExportProgress, ExportResult};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use super::IpcError;
use crate::session::Session;

const EXPORT_DIR_ENV: &str = "SWITCHYARD_SNAPSHOT_DIR";

#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub async fn export_snapshot(
    app: AppHandle,
    session: State<'_, Session>,
    on_progress: Channel<ExportProgress>,
    services: Option<Vec<String>>,
    since_ms: Option<f64>,
    until_ms: Option<f64>,
) -> Result<Option<ExportResult>, IpcError> {
    if session.running()?.store().is_none() {
        return Err(ExportError::NoHistory.into());
    }
    let now = Utc::now();
    let file_name = format!("switchyard-incident-{}.html", now.format("%Y%m%d-%H%M%S"));
    let Some(html_path) = choose_path(&app, &file_name).await? else {
        return Ok(None); // the engineer cancelled the dialog
    };
    let at = |ms: Option<f64>| ms.and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64));
    let window = match (at(since_ms), at(until_ms)) {
        (Some(since), Some(until)) if since < until => Some((since, until)),
        _ => None,
    };
    let json_path = html_path.with_extension("json");
    let request = ExportRequest {
        window,
        services,
        now,
        html: html_path.clone(),
        json: Some(json_path.clone()),
        zip: None,
        with_config: true,
    };
    // Gathering is long and its futures are not `Send` for every lifetime Tauri's
    // command futures need: it runs on a blocking thread of its own, which also keeps it
    // off the threads that serve the window.
    let (handle, runtime) = (app.clone(), tokio::runtime::Handle::current());
    let files = tauri::async_runtime::spawn_blocking(move || {
        let session = handle.state::<Session>();
        let console = session.running()?;
        let report: &(dyn Fn(switchyard_core::snapshot::Progress<'_>) + Sync) = &|p| {
            let _ = on_progress.send(ExportProgress {
                done: u32::try_from(p.done).unwrap_or(u32::MAX),
                total: u32::try_from(p.total).unwrap_or(u32::MAX),
                service: p.service.to_string(),
            });
        };
        Ok::<_, IpcError>(runtime.block_on(console.export_snapshot(request, report))?)
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::ExportFailed, e))??;
    let snapshot = &files.snapshot;
    tracing::info!(html = %html_path.display(), events = snapshot.timeline.len(), "snapshot exported");
    session.remember_export(html_path.clone());
    Ok(Some(ExportResult {
        html: html_path.display().to_string(),
        json: json_path.display().to_string(),
        events: u32::try_from(snapshot.timeline.len()).unwrap_or(u32::MAX),
        services: u32::try_from(snapshot.services.len()).unwrap_or(u32::MAX),
    }))
}

#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub fn open_last_export(app: AppHandle, session: State<'_, Session>) -> Result<(), IpcError> {
    let path = session.last_export()?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| IpcError::new(ErrorCode::OpenFailed, e))
}

/// Shows the last export in its folder.
#[tauri::command]
#[tracing::instrument(skip_all, err(Debug))]
pub fn reveal_last_export(app: AppHandle, session: State<'_, Session>) -> Result<(), IpcError> {
    let path = session.last_export()?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| IpcError::new(ErrorCode::OpenFailed, e))
}

/// The file to write: from `$SWITCHYARD_SNAPSHOT_DIR`, or a save dialog (off the async
/// runtime, since the dialog blocks until the engineer answers).
async fn choose_path(app: &AppHandle, file_name: &str) -> Result<Option<PathBuf>, IpcError> {
    if let Some(dir) = std::env::var_os(EXPORT_DIR_ENV) {
        return Ok(Some(PathBuf::from(dir).join(file_name)));
    }
    let dialog = app
        .dialog()
        .file()
        .set_file_name(file_name)
        .add_filter("HTML", &["html"]);
    let picked = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(|e| IpcError::new(ErrorCode::ExportFailed, e))?;
    picked
        .map(|p| {
            p.into_path()
                .map_err(|e| IpcError::new(ErrorCode::ExportFailed, e))
        })
        .transpose()
}
