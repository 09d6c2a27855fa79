//! Breaker resets and cache clears from the window. The web view sends only what the
//! engineer asked for; the plan is always made here, from the configuration and the
//! live state, so the console never sends a request a web view composed.

use chrono::Utc;
use switchyard_core::actions::{ActionOutcome, ActionPlan, ActionRequest, Refusal, VerifyOptions};
use switchyard_core::console::Console;
use switchyard_core::store::{ActionRecord, TimeRange};
use tauri::State;

use super::IpcError;
use crate::session::Session;

/// What the action would do, for the confirmation dialog; or why it will not be sent.
#[tauri::command]
#[tracing::instrument(skip(session), fields(service = %request.service), err(Debug))]
pub async fn plan_action(
    session: State<'_, Session>,
    request: ActionRequest,
) -> Result<ActionPlan, IpcError> {
    console(&session)?.plan_action(&request).map_err(refusal)
}

/// Records the intent, sends the one request, records the outcome, then watches the
/// breaker until it shows the expected state (or says it did not).
#[tauri::command]
#[tracing::instrument(skip(session), fields(service = %request.service), err(Debug))]
pub async fn run_action(
    session: State<'_, Session>,
    request: ActionRequest,
) -> Result<ActionOutcome, IpcError> {
    console(&session)?
        .run_action(&request, VerifyOptions::default())
        .await
        .map_err(refusal)
}

/// The audit log of the last `hours`, newest first.
#[tauri::command]
pub async fn recent_actions(
    session: State<'_, Session>,
    hours: u32,
) -> Result<Vec<ActionRecord>, IpcError> {
    let (store, _) = session
        .history()
        .ok_or_else(|| IpcError::new("no_history", "no history database is open"))?;
    let now = Utc::now();
    let range = TimeRange::new(now - chrono::Duration::hours(i64::from(hours.max(1))), now);
    let mut rows = store
        .actions_between(None, range)
        .await
        .map_err(|e| IpcError::new("history_failed", e))?;
    rows.reverse();
    Ok(rows)
}

fn console(session: &Session) -> Result<&Console, IpcError> {
    session.console().ok_or_else(|| {
        IpcError::new(
            "no_engine",
            "the console is not watching anything, so there is nothing to act on",
        )
    })
}

fn refusal(refusal: Refusal) -> IpcError {
    let code = serde_json::to_value(refusal.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "refused".into());
    IpcError::new("refused", refusal.message.clone()).with_details(serde_json::json!({
        "refusal": code,
        "overridable": refusal.overridable,
    }))
}
