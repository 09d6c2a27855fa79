//! The tray icon: a dot whose colour is the worst firing alert (green for none or
//! info, amber for warning, red for high or critical), the counts, and a menu with
//! "Show Switchyard" and "Quit".
//!
//! On Linux the tray goes through libayatana-appindicator, which shows no tooltip and
//! reports no clicks on the icon itself, only menu choices; so the counts are also the
//! first (disabled) line of the menu, where every platform shows them.

use switchyard_core::alert_notices::{TrayLevel, TraySummary};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

/// The icon's side in pixels: trays scale it; 32 stays crisp at 16 and 24.
const SIDE: u32 = 32;

/// The tray and the menu line that carries the counts.
pub struct AlertTray {
    tray: TrayIcon,
    counts: MenuItem<Wry>,
}

impl AlertTray {
    /// Creates the tray showing "nothing firing" until the first alert news.
    pub fn create(app: &AppHandle) -> tauri::Result<AlertTray> {
        let counts = MenuItem::with_id(app, "counts", "No alerts firing", false, None::<&str>)?;
        let show = MenuItem::with_id(app, "show", "Show Switchyard", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
        let separator = PredefinedMenuItem::separator(app)?;
        let menu = Menu::with_items(app, &[&counts, &separator, &show, &quit])?;
        let tray = TrayIconBuilder::with_id("alerts")
            .icon(dot(TrayLevel::Green))
            .tooltip("Switchyard: no alerts firing")
            .menu(&menu)
            .on_menu_event(|app, event| match event.id.as_ref() {
                "show" => show_main_window(app),
                // The exit handler in main.rs flushes the history first.
                "quit" => app.exit(0),
                _ => {}
            })
            .build(app)?;
        Ok(AlertTray { tray, counts })
    }

    /// Shows a new summary. Failures are logged: the tray is a convenience, and the
    /// window shows the same alerts.
    pub fn show(&self, summary: &TraySummary) {
        let tooltip = format!("Switchyard: {}", summary.text);
        let results = [
            self.tray.set_icon(Some(dot(summary.level))),
            self.tray.set_tooltip(Some(&tooltip)),
            self.counts.set_text(&summary.text),
        ];
        for result in results {
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot update the tray");
            }
        }
    }
}

/// Brings the main window forward (from minimised or behind others).
pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// A filled circle in the level's colour on a transparent square, drawn here so the
/// three icons need no asset files; the edge is anti-aliased by coverage.
fn dot(level: TrayLevel) -> Image<'static> {
    let (r, g, b) = match level {
        TrayLevel::Green => (0x2e, 0xa0, 0x43),
        TrayLevel::Amber => (0xf0, 0xa0, 0x20),
        TrayLevel::Red => (0xd7, 0x2d, 0x2d),
    };
    let centre = SIDE as f32 / 2.0;
    let radius = centre - 2.0;
    let mut rgba = Vec::with_capacity((SIDE * SIDE * 4) as usize);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let dx = x as f32 + 0.5 - centre;
            let dy = y as f32 + 0.5 - centre;
            let distance = (dx * dx + dy * dy).sqrt();
            let coverage = (radius + 0.5 - distance).clamp(0.0, 1.0);
            rgba.extend_from_slice(&[r, g, b, (coverage * 255.0).round() as u8]);
        }
    }
    Image::new_owned(rgba, SIDE, SIDE)
}
