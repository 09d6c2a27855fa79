//! The window's low-rate subscriptions besides the fleet and the alerts: the history's
//! health (disk full, read-only) and the action log. One task each, started with the app,
//! forwards the console's subscription to the channel the page opened last (a reload
//! replaces it), so nothing in the window asks on a timer.

use std::sync::Mutex;

use switchyard_core::console::{problem_of, ActionLogged, Console};
use tauri::ipc::{Channel, IpcResponse};
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::RecvError;

/// The channel a page subscribed with, once it has.
pub struct PageChannel<T> {
    channel: Mutex<Option<Channel<T>>>,
}

impl<T> Default for PageChannel<T> {
    fn default() -> Self {
        PageChannel {
            channel: Mutex::new(None),
        }
    }
}

impl<T: IpcResponse> PageChannel<T> {
    /// A page subscribed (again, after a reload): it replaces the previous one.
    pub fn attach(&self, channel: Channel<T>) {
        *self.channel.lock().unwrap_or_else(|e| e.into_inner()) = Some(channel);
    }

    /// Sends to the page, forgetting a channel whose page is gone.
    pub fn send(&self, value: T) {
        let mut slot = self.channel.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(channel) = slot.as_ref() {
            if channel.send(value).is_err() {
                *slot = None;
            }
        }
    }
}

/// Why the history is not being written (`None`: it is), as it changes.
pub type StoreHealthWindow = PageChannel<Option<String>>;
/// Each new or completed audit row.
pub type ActionLogWindow = PageChannel<ActionLogged>;

/// Registers the window's channels and starts the two forwarding tasks.
pub fn start(app: &AppHandle, console: Option<&Console>) {
    app.manage(StoreHealthWindow::default());
    app.manage(ActionLogWindow::default());
    if let Some(console) = console {
        follow(app, console);
    }
}

/// Forwards `console`'s history health and action log until it stops (a new
/// configuration starts a new console, followed in turn).
pub fn follow(app: &AppHandle, console: &Console) {
    if let Some(mut health) = console.store_health() {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let mut shown = problem_of(&health.borrow_and_update());
            // The writer republishes while it retries; the page hears only new words.
            while health.changed().await.is_ok() {
                let problem = problem_of(&health.borrow_and_update());
                if problem != shown {
                    app.state::<StoreHealthWindow>().send(problem.clone());
                    shown = problem;
                }
            }
        });
    }
    let mut log = console.action_log();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match log.recv().await {
                Ok(logged) => app.state::<ActionLogWindow>().send(logged),
                // Missed notices all say "re-read the log"; the next one does.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
}
