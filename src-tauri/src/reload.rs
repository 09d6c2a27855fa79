//! Applies a new configuration without a restart: the file being watched is followed
//! (`switchyard_core::config::watch`), a valid saved edit replaces the running console
//! with one on the new configuration (same history), a bad one is shown in the window
//! while the last good configuration keeps running. The page hears of either on the
//! channel it passed to `watch_session`, and subscribes afresh when the console changed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use switchyard_core::config::watch::{ConfigChange, ConfigWatcher};
use switchyard_core::config::Config;
use switchyard_core::session::SessionInfo;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use crate::pushes::PageChannel;
use crate::session::Session;

/// The session as it changes: a new console (its `run` counts up), or a refused edit.
pub type SessionWindow = PageChannel<SessionInfo>;

/// The watch on the configuration file, once there is a file.
#[derive(Default)]
struct FileWatch(Mutex<Option<(PathBuf, ConfigWatcher)>>);

/// Registers the page's channel and watches `file` when the app runs on one.
pub fn start(app: &AppHandle, file: Option<PathBuf>) {
    app.manage(SessionWindow::default());
    app.manage(FileWatch::default());
    if let Some(file) = file {
        let current = std::fs::read_to_string(&file).ok();
        watch_file(app, &file, current);
    }
}

/// Tells the page, on `on_change`, each time the session changes.
#[tauri::command]
pub fn watch_session(window: State<'_, SessionWindow>, on_change: Channel<SessionInfo>) {
    window.attach(on_change);
}

/// Follows `file`, whose text is now `current`; replaces any earlier watch.
fn watch_file(app: &AppHandle, file: &Path, current: Option<String>) {
    // The watcher's task runs on Tauri's runtime, whichever thread asks.
    let _runtime = tauri::async_runtime::handle().inner().enter();
    let (watcher, mut changes) = match ConfigWatcher::start(file, current) {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(error = %e, "edits to the configuration file will need a restart");
            return;
        }
    };
    *app.state::<FileWatch>()
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some((file.to_path_buf(), watcher));
    let (app, file) = (app.clone(), file.to_path_buf());
    tauri::async_runtime::spawn(async move {
        while let Some(change) = changes.recv().await {
            match change {
                ConfigChange::Valid { config, .. } => {
                    tracing::info!(file = %file.display(), "configuration saved; applying it");
                    apply(&app, file.clone(), *config).await;
                }
                ConfigChange::Invalid(error) => {
                    let session = app.state::<Session>();
                    session.refuse_edit(&error);
                    app.state::<SessionWindow>().send(session.info());
                }
            }
        }
    });
}

/// The window wrote `text` to `file` itself and applies `config` now: the watch is
/// told (so it does not apply it twice) or started (the first service out of the demo).
pub async fn written(app: &AppHandle, file: PathBuf, text: &str, config: Config) {
    let watching = {
        let watch = app.state::<FileWatch>();
        let slot = watch.0.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some((path, watcher)) if *path == file => {
                watcher.written(text);
                true
            }
            _ => false,
        }
    };
    if !watching {
        watch_file(app, &file, Some(text.to_string()));
    }
    apply(app, file, config).await;
}

/// Replaces the console and points the tray, notifications and page at the new one.
async fn apply(app: &AppHandle, file: PathBuf, config: Config) {
    let session = app.state::<Session>();
    session.switch_to(file, config).await;
    if let Some(console) = session.console() {
        crate::alert_watch::follow(app, console.engine().clone());
        crate::pushes::follow(app, &console);
        crate::team_watch::follow(app, &console);
    }
    app.state::<SessionWindow>().send(session.info());
}
