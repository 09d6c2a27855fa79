//! One window per history: a second launch on the same configuration and data folder
//! brings the first window to the front, tells it so, and exits (see
//! `switchyard_core::dirs::instance_id` for why the key is the history, not the app).

use std::path::Path;
use std::sync::Mutex;

use switchyard_core::config::ConfigSource;
use tauri::ipc::Channel;
use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime, State};

/// The window's subscriptions to "launched again" (a channel, like every other update:
/// the window listens to no events).
#[derive(Default)]
pub struct LaunchWatchers(Mutex<Vec<Channel<()>>>);

pub fn plugin<R: Runtime>(source: &ConfigSource, data_dir: Option<&Path>) -> TauriPlugin<R> {
    tauri_plugin_single_instance::Builder::new()
        .dbus_id(switchyard_core::dirs::instance_id(source, data_dir))
        .callback(|app, _argv, _cwd| bring_to_front(app))
        .build()
}

/// Tells the window, through `on_launch`, each time Switchyard is launched again here.
#[tauri::command]
pub fn watch_second_launch(on_launch: Channel<()>, watchers: State<'_, LaunchWatchers>) {
    if let Ok(mut watchers) = watchers.0.lock() {
        watchers.push(on_launch);
    }
}

fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    tracing::info!("launched again on the same history; bringing this window to the front");
    if let Some(window) = app.get_webview_window("main") {
        // Each can fail on a window manager that refuses; the notice below still shows.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    if let Some(watchers) = app.try_state::<LaunchWatchers>() {
        if let Ok(mut watchers) = watchers.0.lock() {
            // A reloaded page leaves a dead channel behind: forget it.
            watchers.retain(|channel| channel.send(()).is_ok());
        }
    }
}
