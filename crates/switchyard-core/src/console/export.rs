//! An incident snapshot, once for the window and the CLI: the window (the one asked for,
//! else from 15 minutes before the first alert of the day), the redaction of every
//! secret the configuration names (literals, and the environment's values of its
//! references), the gathering with progress, and the files: HTML, and the JSON and zip
//! beside it when asked for.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Console;
use crate::snapshot::{
    self, Progress, Redactor, Snapshot, SnapshotError, SnapshotRequest, ZipReport,
};

/// What to export and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRequest {
    /// The window; `None` for the default one ending at `now`.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Only these services; every service the history knows when `None`.
    pub services: Option<Vec<String>>,
    pub now: DateTime<Utc>,
    pub html: PathBuf,
    pub json: Option<PathBuf>,
    pub zip: Option<PathBuf>,
    /// Describe the configuration in the snapshot (and redact with it); false for a
    /// console started without one, on a history alone.
    pub with_config: bool,
}

/// How long the OS keyring may take to give the secrets to hide: a locked keyring on a
/// headless machine may wait for a prompt nobody answers.
const KEYRING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The redactor for an export: the configuration's literal secrets and the values behind
/// its references, the OS keyring's included (the console sent those; a service may
/// have echoed one into the history). The keyring is read off the async threads and
/// within [`KEYRING_PATIENCE`]; past it, the environment's values only, said in the log.
async fn redactor_for(config: Option<&crate::config::Config>) -> Redactor {
    let Some(config) = config else {
        return Redactor::from_config(None);
    };
    let owned = config.clone();
    let with_keyring = tokio::task::spawn_blocking(move || {
        let mut redactor = Redactor::from_config(Some(&owned));
        redactor.add_resolved_references(&owned, true);
        redactor
    });
    match tokio::time::timeout(KEYRING_PATIENCE, with_keyring).await {
        Ok(Ok(redactor)) => redactor,
        _ => {
            tracing::warn!(
                "the OS keyring did not answer within {:?}: the snapshot hides the environment's secrets and literals only",
                KEYRING_PATIENCE
            );
            let mut redactor = Redactor::from_config(Some(config));
            redactor.add_resolved_references(config, false);
            redactor
        }
    }
}

/// What was written.
#[derive(Debug)]
pub struct ExportFiles {
    pub snapshot: Snapshot,
    pub request: SnapshotRequest,
    pub zip: Option<ZipReport>,
}

/// Why an export did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no history database is open, so there is nothing to export")]
    NoHistory,
    #[error("no service `{missing}` in the history; services: {known}")]
    UnknownService { missing: String, known: String },
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("cannot read the history: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

impl Console {
    /// Gathers the snapshot and writes its files, reporting progress per service.
    pub async fn export_snapshot(
        &self,
        request: ExportRequest,
        progress: &(dyn Fn(Progress<'_>) + Sync),
    ) -> Result<ExportFiles, ExportError> {
        let store = self.store().ok_or(ExportError::NoHistory)?;
        if let Some(wanted) = &request.services {
            let known = store.service_names().await?;
            if let Some(missing) = wanted.iter().find(|s| !known.contains(s)) {
                return Err(ExportError::UnknownService {
                    missing: missing.clone(),
                    known: if known.is_empty() {
                        "none yet".to_string()
                    } else {
                        known.join(", ")
                    },
                });
            }
        }
        let window = match request.window {
            Some((since, until)) => SnapshotRequest {
                since,
                until,
                services: request.services.clone(),
            },
            None => {
                SnapshotRequest::default_window(store, request.now, request.services.clone())
                    .await?
            }
        };
        let config = request.with_config.then_some(&self.config);
        let redactor = redactor_for(config).await;
        let snapshot =
            snapshot::gather_with(store, config, &window, request.now, &redactor, progress).await?;
        write(&request.html, snapshot::render_html(&snapshot).as_bytes())?;
        if let Some(path) = &request.json {
            write(path, snapshot::render_json(&snapshot)?.as_bytes())?;
        }
        let zip = match &request.zip {
            Some(path) => Some(snapshot::write_zip(&snapshot, path)?),
            None => None,
        };
        Ok(ExportFiles {
            snapshot,
            request: window,
            zip,
        })
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(|e| ExportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
