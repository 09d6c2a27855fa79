//! The alerts panel's commands: what is active, acknowledge, silence, and the rule
//! editor. Each is a thin call into the engine; the operator is the console's (the
//! configured `operator`, else the OS user).
//!
//! Arguments as the UI passes them (Tauri turns snake_case into camelCase):
//! - `acknowledge_alert({ key: AlertKey, comment: string })`
//! - `silence_alerts({ target: SilenceTarget, duration: "2h", reason: string })`
//! - `unsilence({ id: number })`
//! - `save_alert_rules({ rules: RuleSpec[] })` — the configured and default rules only
//!   (the ones whose origin is not `service`); imported rules stay as the service says.
//! - `watch_alerts({ onNotice: Channel<AlertNotice> })`

use chrono::Utc;
use switchyard_core::alert_notices::AlertNotice;
use switchyard_core::alerts::silence_until;
use switchyard_core::alerts::{
    Acknowledgement, AlertKey, RuleSpec, RuleView, Silence, SilenceId, SilenceTarget,
};
use switchyard_core::engine::{AlertsState, EngineHandle};
use switchyard_core::ipc_error::ErrorCode;
use tauri::ipc::Channel;
use tauri::State;

use super::IpcError;
use crate::alert_watch::AlertWindow;
use crate::session::Session;

fn engine(session: &State<'_, Session>) -> Result<EngineHandle, IpcError> {
    Ok(session.running()?.engine().clone())
}

/// Everything the panel shows: active alerts, silences, recent resolutions.
#[tauri::command]
#[tracing::instrument(skip(session), err(Debug))]
pub async fn alerts_state(session: State<'_, Session>) -> Result<AlertsState, IpcError> {
    Ok(engine(&session)?.alerts().await)
}

#[tauri::command]
#[tracing::instrument(skip(session), err(level = "warn", Debug))]
pub async fn acknowledge_alert(
    session: State<'_, Session>,
    key: AlertKey,
    comment: String,
) -> Result<Acknowledgement, IpcError> {
    let engine = engine(&session)?;
    Ok(engine
        .acknowledge(key, &session.operator(), &comment)
        .await?)
}

/// Silences a rule, a service, or a rule on a service for `duration` (`30m`, `2h`).
#[tauri::command]
#[tracing::instrument(skip(session), err(level = "warn", Debug))]
pub async fn silence_alerts(
    session: State<'_, Session>,
    target: SilenceTarget,
    duration: String,
    reason: String,
) -> Result<Silence, IpcError> {
    let engine = engine(&session)?;
    let until = silence_until(Utc::now(), &duration)
        .map_err(|m| IpcError::new(ErrorCode::InvalidDuration, m))?;
    Ok(engine
        .silence(target, until, &reason, &session.operator())
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip(session), err(level = "warn", Debug))]
pub async fn unsilence(session: State<'_, Session>, id: u64) -> Result<Silence, IpcError> {
    let engine = engine(&session)?;
    Ok(engine.unsilence(SilenceId(id), &session.operator()).await?)
}

/// Every rule in force, imported ones included (their origin says so).
#[tauri::command]
#[tracing::instrument(skip(session), err(Debug))]
pub async fn alert_rules(session: State<'_, Session>) -> Result<Vec<RuleView>, IpcError> {
    Ok(engine(&session)?.alert_rules().await)
}

/// Validates every rule, then replaces the configured and default ones; saved in the
/// history. A bad rule set changes nothing and comes back as `invalid_rules`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "warn", Debug))]
pub async fn save_alert_rules(
    session: State<'_, Session>,
    rules: Vec<RuleSpec>,
) -> Result<Vec<RuleView>, IpcError> {
    let engine = engine(&session)?;
    Ok(engine.set_alert_rules(rules, &session.operator()).await?)
}

/// The configured and default rules as `[[alert]]` TOML, for the configuration file.
#[tauri::command]
#[tracing::instrument(skip(session), err(Debug))]
pub async fn export_alert_rules(session: State<'_, Session>) -> Result<String, IpcError> {
    Ok(engine(&session)?.export_alert_rules().await?)
}

/// Sends the panel every change of the alerts, and the service to open when a desktop
/// notification is clicked. A page that subscribes again (a reload) replaces the old one.
#[tauri::command]
pub fn watch_alerts(window: State<'_, AlertWindow>, on_notice: Channel<AlertNotice>) {
    window.attach(on_notice);
}

/// What the tray shows now (colour and counts), or nothing when there is no tray.
#[tauri::command]
pub fn tray_state(
    shown: State<'_, crate::alert_watch::TrayShown>,
) -> Option<switchyard_core::alert_notices::TraySummary> {
    shown.current()
}
