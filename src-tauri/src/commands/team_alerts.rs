//! The team's alerts (Alertmanager) in the alerts panel: what it holds now, its changes
//! on a channel, and the writes: acknowledge (an `ACK!` silence by the operator),
//! silence with a reason and a duration, expire a silence. Each forwards to the console;
//! a refusal comes back as `alertmanager_refused` with Alertmanager's reason.
//!
//! Arguments as the UI passes them (Tauri turns snake_case into camelCase):
//! - `acknowledge_team_alert({ alertId: string, comment: string })`
//! - `silence_team_alert({ alertId: string, reason: string, duration: "2h" })`
//! - `expire_team_silence({ silenceId: string })`
//! - `watch_team_alerts({ onUpdate: Channel<TeamAlerts> })`

use switchyard_core::alertmanager::TeamAlerts;
use switchyard_core::console::TeamSilenceDone;
use switchyard_core::ipc_error::ErrorCode;
use switchyard_core::units::parse_duration;
use tauri::ipc::Channel;
use tauri::State;

use super::IpcError;
use crate::session::Session;
use crate::team_watch::TeamWindow;

/// The team's alerts as last read (`status.kind` is `off` without `[alertmanager]`).
#[tauri::command]
pub fn team_alerts_state(session: State<'_, Session>) -> TeamAlerts {
    match session.console() {
        Some(console) => console.team_alerts().borrow().clone(),
        None => TeamAlerts::off(),
    }
}

/// Sends the panel the team's alerts now, then each new read. A page that subscribes
/// again (a reload) replaces the old one.
#[tauri::command]
pub fn watch_team_alerts(
    session: State<'_, Session>,
    window: State<'_, TeamWindow>,
    on_update: Channel<TeamAlerts>,
) {
    window.attach(on_update);
    window.send(team_alerts_state(session));
}

#[tauri::command]
#[tracing::instrument(skip(session), err(level = "warn", Debug))]
pub async fn acknowledge_team_alert(
    session: State<'_, Session>,
    alert_id: String,
    comment: String,
) -> Result<TeamSilenceDone, IpcError> {
    let console = session.running()?;
    Ok(console
        .acknowledge_team_alert(&alert_id, &comment, None)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip(session), err(level = "warn", Debug))]
pub async fn silence_team_alert(
    session: State<'_, Session>,
    alert_id: String,
    reason: String,
    duration: String,
) -> Result<TeamSilenceDone, IpcError> {
    let console = session.running()?;
    let lasting =
        parse_duration(&duration).map_err(|m| IpcError::new(ErrorCode::InvalidDuration, m))?;
    Ok(console
        .silence_team_alert(&alert_id, &reason, lasting)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip(session), err(level = "warn", Debug))]
pub async fn expire_team_silence(
    session: State<'_, Session>,
    silence_id: String,
) -> Result<TeamSilenceDone, IpcError> {
    let console = session.running()?;
    Ok(console.expire_team_silence(&silence_id).await?)
}

/// Opens a team alert's runbook in the desktop's browser: `http` and `https` only (the
/// annotation is written by whoever writes the team's rules).
#[tauri::command]
#[tracing::instrument(skip(app), err(level = "warn", Debug))]
pub fn open_runbook(app: tauri::AppHandle, url: String) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    let parsed = web_link(&url).ok_or_else(|| {
        IpcError::new(ErrorCode::OpenFailed, format!("`{url}` is not a web link"))
    })?;
    app.opener()
        .open_url(parsed, None::<&str>)
        .map_err(|e| IpcError::new(ErrorCode::OpenFailed, format!("cannot open {url}: {e}")))
}

/// `url` when it is an `http://` or `https://` link with a host.
fn web_link(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    (!rest.is_empty() && !rest.starts_with('/') && !url.chars().any(char::is_whitespace))
        .then_some(url)
}
