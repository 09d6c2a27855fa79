//! Carries the engine's alert news to the desktop: the tray's colour and counts, a
//! notification per event that calls for one, and the window's alerts panel (over the
//! channel it passed to `watch_alerts`). One small task, started with the app, so
//! alerts notify whether or not the window is open. The team's alerts (Alertmanager)
//! are carried the same way by a second task (`team_watch.rs`); the tray shows the
//! worst of both ([`TrayInputs`]).

use std::sync::Mutex;

use switchyard_core::alert_notices::{tray_summary, AlertNotice, TraySummary};
use switchyard_core::alertmanager::notices::with_team;
use switchyard_core::alertmanager::TeamAlerts;
use switchyard_core::alerts::{ActiveAlert, Severity};
use switchyard_core::engine::{EngineEvent, EngineHandle};
use tauri::{AppHandle, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::tray::AlertTray;

/// The window's alerts channel, once its page has subscribed.
pub type AlertWindow = crate::pushes::PageChannel<AlertNotice>;

/// What the tray was last told to show, for `tray_state` (on Linux the tray itself
/// cannot be read back: the appindicator has no tooltip and no query).
#[derive(Default)]
pub struct TrayShown(Mutex<Option<TraySummary>>);

impl TrayShown {
    fn record(&self, summary: TraySummary) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(summary);
    }

    pub fn current(&self) -> Option<TraySummary> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The last of each source the tray is made of: Switchyard's own alerts and the team's.
pub struct TrayInputs {
    own: Mutex<(Vec<ActiveAlert>, Option<Severity>)>,
    team: Mutex<TeamAlerts>,
}

impl Default for TrayInputs {
    fn default() -> Self {
        TrayInputs {
            own: Mutex::new((Vec::new(), None)),
            team: Mutex::new(TeamAlerts::off()),
        }
    }
}

/// The tray, when this desktop has one.
pub struct TraySlot(pub Option<AlertTray>);

/// Shows both sources in the tray, if there is one, and remembers it.
pub fn refresh_tray(app: &AppHandle) {
    let inputs = app.state::<TrayInputs>();
    let summary = {
        let own = inputs.own.lock().unwrap_or_else(|e| e.into_inner());
        let team = inputs.team.lock().unwrap_or_else(|e| e.into_inner());
        with_team(tray_summary(&own.0, own.1), own.1, &team)
    };
    if let Some(tray) = &app.state::<TraySlot>().0 {
        tray.show(&summary);
        app.state::<TrayShown>().record(summary);
    }
}

/// Switchyard's own alerts changed: the tray shows them with the team's.
fn show_in_tray(app: &AppHandle, active: &[ActiveAlert], worst: Option<Severity>) {
    *app.state::<TrayInputs>()
        .own
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = (active.to_vec(), worst);
    refresh_tray(app);
}

/// The team's alerts changed: the tray shows them with Switchyard's own.
pub fn show_team_in_tray(app: &AppHandle, team: &TeamAlerts) {
    *app.state::<TrayInputs>()
        .team
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = team.clone();
    refresh_tray(app);
}

/// Sets up the tray, notification clicks and the window link, and starts the task.
/// Without a tray (no status notifier on this desktop) the rest still works.
pub fn start(app: &AppHandle, engine: Option<EngineHandle>) {
    app.manage(AlertWindow::default());
    app.manage(TrayShown::default());
    app.manage(TrayInputs::default());
    crate::notify::open_service_on_click(app);
    let tray = match AlertTray::create(app) {
        Ok(tray) => Some(tray),
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon; alerts still notify and show in the window");
            None
        }
    };
    app.manage(TraySlot(tray));
    if let Some(engine) = engine {
        follow(app, engine);
    }
}

/// Carries `engine`'s alert news to the tray, notifications and window until that
/// engine stops (a new configuration starts a new one, followed in turn).
pub fn follow(app: &AppHandle, engine: EngineHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut events = engine.alert_events();
        // This task holds the engine, so its alert news never closes by itself: the fleet
        // feed, which closes when the engine stops, says when to let go.
        let mut stopped = engine.fleet();
        let state = engine.alerts().await;
        show_in_tray(&app, &state.active, state.worst);
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                () = stopped.closed() => break,
            };
            match event {
                Ok(EngineEvent::AlertsChanged {
                    active,
                    worst,
                    events,
                }) => {
                    show_in_tray(&app, &active, worst);
                    crate::notify::announce(&app, &events);
                    app.state::<AlertWindow>().send(AlertNotice::Changed {
                        active,
                        worst,
                        events,
                    });
                }
                Err(RecvError::Lagged(missed)) => {
                    // Whatever was missed, the current picture is one question away; the
                    // notifications of the missed events are lost, and said so.
                    tracing::warn!(missed, "alert news lagged; some notifications were skipped");
                    let state = engine.alerts().await;
                    show_in_tray(&app, &state.active, state.worst);
                    app.state::<AlertWindow>().send(AlertNotice::Changed {
                        active: state.active,
                        worst: state.worst,
                        events: Vec::new(),
                    });
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}
