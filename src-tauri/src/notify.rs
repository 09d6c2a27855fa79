//! Desktop notifications for alerts, sent from Rust with tauri-plugin-notification (the
//! window needs no notification permission). The text comes from the core
//! ([`switchyard_core::alert_notices::announcement`]): only firing and resolved events that
//! the evaluator marked `notify`, so acknowledged and silenced alerts stay quiet.
//!
//! A click on a notification opens its service: the plugin (2.8) reports a click on
//! the notification body as the action `tap` on Linux too, through the Desktop
//! Notifications `default` action, as far as the notification server reports it (GNOME,
//! KDE and dunst do; a server without actions shows the notification and reports
//! nothing). The service travels in the notification's `extra` data.

use switchyard_core::alert_notices::{announcement, AlertNotice, Announcement};
use switchyard_core::alerts::AlertEvent;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::alert_watch::AlertWindow;

/// The key of the service in a notification's `extra` data.
const SERVICE: &str = "service";

/// Shows a notification for each event that calls for one.
pub fn announce(app: &AppHandle, events: &[AlertEvent]) {
    for event in events {
        if let Some(text) = announcement(event) {
            show(app, &text);
        }
    }
}

/// Shows one notification (Switchyard's own alert or the team's).
pub fn show(app: &AppHandle, text: &Announcement) {
    let shown = app
        .notification()
        .builder()
        .title(&text.title)
        .body(&text.body)
        .extra(SERVICE, &text.service)
        .show();
    if let Err(e) = shown {
        tracing::warn!(error = %e, title = %text.title, "cannot show a desktop notification");
    }
}

/// Opens the service of a clicked notification: the window comes forward and the
/// panel is told which service to show.
pub fn open_service_on_click(app: &AppHandle) {
    let handle = app.clone();
    let registered = app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let service = performed
            .notification()
            .and_then(|n| n.extra().get(SERVICE))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        crate::tray::show_main_window(&handle);
        if let Some(service) = service {
            handle
                .state::<AlertWindow>()
                .send(AlertNotice::OpenService { service });
        }
    });
    if let Err(e) = registered {
        tracing::warn!(error = %e, "notification clicks will not open the service");
    }
}
