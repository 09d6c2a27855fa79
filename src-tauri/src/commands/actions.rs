//! Breaker resets and cache clears from the window. The web view sends only what the
//! engineer asked for; the plan is always made here, from the configuration and the
//! live state, so the console never sends a request a web view composed.

use chrono::Utc;
use switchyard_core::actions::{ActionOutcome, ActionPlan, ActionRequest, VerifyOptions};
use switchyard_core::console::ActionLogged;
use switchyard_core::store::{ActionRecord, TimeRange};
use tauri::ipc::Channel;
use tauri::State;

use super::IpcError;
use crate::pushes::ActionLogWindow;
use crate::session::Session;

/// What the action would do, for the confirmation dialog; or why it will not be sent.
#[tauri::command]
#[tracing::instrument(skip(session), fields(service = %request.service), err(level = "warn", Debug))]
pub async fn plan_action(
    session: State<'_, Session>,
    request: ActionRequest,
) -> Result<ActionPlan, IpcError> {
    Ok(session.running()?.plan_action(&request)?)
}

/// Records the intent, sends the one request, records the outcome, then watches the
/// breaker until it shows the expected state (or says it did not).
#[tauri::command]
#[tracing::instrument(skip(session), fields(service = %request.service), err(level = "warn", Debug))]
pub async fn run_action(
    session: State<'_, Session>,
    request: ActionRequest,
) -> Result<ActionOutcome, IpcError> {
    let console = session.running()?;
    Ok(console
        .run_action(&request, VerifyOptions::default())
        .await?)
}

/// The audit log of the last `hours`, newest first.
#[tauri::command]
#[tracing::instrument(skip(session), err(Debug))]
pub async fn recent_actions(
    session: State<'_, Session>,
    hours: u32,
) -> Result<Vec<ActionRecord>, IpcError> {
    let (store, _) = session.history()?;
    let now = Utc::now();
    let range = TimeRange::new(now - chrono::Duration::hours(i64::from(hours.max(1))), now);
    let mut rows = store.actions_between(None, range).await?;
    rows.reverse();
    Ok(rows)
}

/// Tells the page, on `on_logged`, each time an action's audit row is written or
/// completed, so it re-reads the log then. A page that subscribes again replaces the old.
#[tauri::command]
pub fn watch_actions(window: State<'_, ActionLogWindow>, on_logged: Channel<ActionLogged>) {
    window.attach(on_logged);
}
