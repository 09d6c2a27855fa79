//! Carries the team's alerts (the console's Alertmanager subscription) to the desktop
//! by the same rules as Switchyard's own: the tray (worst of both), a notification when
//! one starts firing unhandled or resolves, and the alerts panel over the channel it
//! passed to `watch_team_alerts`. One small task per console, only when
//! `[alertmanager]` is configured; a new configuration starts a new console, followed
//! in turn.

use switchyard_core::alertmanager::notices::team_announcements;
use switchyard_core::alertmanager::TeamAlerts;
use switchyard_core::console::Console;
use tauri::{AppHandle, Manager};

/// The window's channel for the team's alerts, once its page has subscribed.
pub type TeamWindow = crate::pushes::PageChannel<TeamAlerts>;

/// Registers the window's channel and follows the console, if there is one.
pub fn start(app: &AppHandle, console: Option<&Console>) {
    app.manage(TeamWindow::default());
    if let Some(console) = console {
        follow(app, console);
    }
}

/// Carries `console`'s team alerts until it stops (its subscription then closes). A
/// console without an Alertmanager clears the team's part of the tray.
pub fn follow(app: &AppHandle, console: &Console) {
    if console.config().alertmanager.is_none() {
        crate::alert_watch::show_team_in_tray(app, &TeamAlerts::off());
        return;
    }
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
