//! "Export snapshot": one self-contained HTML file (and the same data as JSON beside it)
//! for an incident ticket. The file is chosen in a save dialog, or, for scripted
//! exports, written into `$SWITCHYARD_SNAPSHOT_DIR`. Opening it, or its folder, only
//! ever applies to the export this session just wrote: the web view never names a path.

use std::path::PathBuf;

use chrono::Utc;
use switchyard_core::snapshot::{self, ExportProgress, ExportResult, Redactor, SnapshotRequest};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use super::IpcError;
use crate::session::Session;

/// Exports go here without a dialog when set (automation, tests).
const EXPORT_DIR_ENV: &str = "SWITCHYARD_SNAPSHOT_DIR";

#[tauri::command]
pub async fn export_snapshot(
    app: AppHandle,
    session: State<'_, Session>,
    on_progress: Channel<ExportProgress>,
    services: Option<Vec<String>>,
    since_ms: Option<f64>,
    until_ms: Option<f64>,
) -> Result<Option<ExportResult>, IpcError> {
    let (store, _) = session.history().ok_or_else(|| {
        IpcError::new(
            "no_history",
            "no history database is open, so there is nothing to export",
        )
    })?;
    let now = Utc::now();
    let file_name = format!("switchyard-incident-{}.html", now.format("%Y%m%d-%H%M%S"));
    let Some(html_path) = choose_path(&app, &file_name).await? else {
        return Ok(None); // the engineer cancelled the dialog
    };
    // What the engineer is looking at is preselected: the services the filter shows and
    // a paused or custom range; otherwise the default window around the first alert.
    let at = |ms: Option<f64>| ms.and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64));
    let request = match (at(since_ms), at(until_ms)) {
        (Some(since), Some(until)) if since < until => SnapshotRequest {
            since,
            until,
            services,
        },
        _ => SnapshotRequest::default_window(store, now, services)
            .await
            .map_err(|e| IpcError::new("export_failed", e))?,
    };
    // The gathering future is not provably `Send` (rustc's higher-ranked closure
    // limits), and a command's future must be: run it on a blocking thread instead.
    let (store, config, runtime) = (
        store.clone(),
        session.config().cloned(),
        tokio::runtime::Handle::current(),
    );
    let snapshot = tauri::async_runtime::spawn_blocking(move || {
        let redactor = Redactor::from_config(config.as_ref());
        let report: &(dyn Fn(snapshot::Progress<'_>) + Sync) = &|p| {
            let _ = on_progress.send(ExportProgress {
                done: u32::try_from(p.done).unwrap_or(u32::MAX),
                total: u32::try_from(p.total).unwrap_or(u32::MAX),
                service: p.service.to_string(),
            });
        };
        runtime.block_on(snapshot::gather_with(
            &store,
            config.as_ref(),
            &request,
            now,
            &redactor,
            report,
        ))
    })
    .await
    .map_err(|e| IpcError::new("export_failed", e))?
    .map_err(|e| IpcError::new("export_failed", e))?;
    let json = snapshot::render_json(&snapshot).map_err(|e| IpcError::new("export_failed", e))?;
    let json_path = html_path.with_extension("json");
    let write = |path: &PathBuf, text: &str| {
        std::fs::write(path, text).map_err(|e| {
            IpcError::new(
                "export_failed",
                format!("cannot write {}: {e}", path.display()),
            )
        })
    };
    write(&html_path, &snapshot::render_html(&snapshot))?;
    write(&json_path, &json)?;
    tracing::info!(html = %html_path.display(), events = snapshot.timeline.len(), "snapshot exported");
    session.remember_export(html_path.clone());
    Ok(Some(ExportResult {
        html: html_path.display().to_string(),
        json: json_path.display().to_string(),
        events: u32::try_from(snapshot.timeline.len()).unwrap_or(u32::MAX),
        services: u32::try_from(snapshot.services.len()).unwrap_or(u32::MAX),
    }))
}

/// Opens the last export in the default browser.
#[tauri::command]
pub fn open_last_export(app: AppHandle, session: State<'_, Session>) -> Result<(), IpcError> {
    let path = last_export(&session)?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| IpcError::new("open_failed", e))
}

/// Shows the last export in its folder.
#[tauri::command]
pub fn reveal_last_export(app: AppHandle, session: State<'_, Session>) -> Result<(), IpcError> {
    let path = last_export(&session)?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| IpcError::new("open_failed", e))
}

fn last_export(session: &Session) -> Result<PathBuf, IpcError> {
    session
        .last_export()
        .ok_or_else(|| IpcError::new("no_export", "nothing has been exported yet"))
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
        .map_err(|e| IpcError::new("export_failed", e))?;
    picked
        .map(|p| p.into_path().map_err(|e| IpcError::new("export_failed", e)))
        .transpose()
}
