//! Carries the team's alerts (the console's Alertmanager subscription) to the desktop
//! by the same rules as Switchyard's own: the tray (worst of both), a notification when
//! one starts firing unhandled or resolves, and the alerts panel over the channel it
//! passed to `watch_team_alerts`. One small task, started with the app, only when
//! `[alertmanager]` is configured.

use switchyard_core::alertmanager::notices::team_announcements;
use switchyard_core::alertmanager::TeamAlerts;
use switchyard_core::console::Console;
use tauri::{AppHandle, Manager};

/// The window's channel for the team's alerts, once its page has subscribed.
pub type TeamWindow = crate::pushes::PageChannel<TeamAlerts>;

/// Registers the window's channel and, with an Alertmanager configured, starts the task.
pub fn start(app: &AppHandle, console: Option<&Console>) {
    app.manage(TeamWindow::default());
    let Some(console) = console.filter(|c| c.config().alertmanager.is_some()) else {
        return;
    };
    let mut view = console.team_alerts();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut shown = view.borrow_and_update().clone();
        crate::alert_watch::show_team_in_tray(&app, &shown);
        while view.changed().await.is_ok() {
            let current = view.borrow_and_update().clone();
            for text in team_announcements(&shown, &current) {
                crate::notify::show(&app, &text);
            }
            crate::alert_watch::show_team_in_tray(&app, &current);
            app.state::<TeamWindow>().send(current.clone());
            shown = current;
        }
    });
}
