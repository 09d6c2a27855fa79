//! Breaker resets and cache clears from the window. The web view sends only what the
//! engineer asked for; the plan is always made here, from the configuration and the
//! live state, so the console never sends a request a web view composed.

use chrono::Utc;
use switchyard_core::actions::{
    self, ActionOutcome, ActionPlan, ActionRequest, Refusal, VerifyOptions,
};
use switchyard_core::clock::SystemClock;
use switchyard_core::store::{ActionRecord, TimeRange};
use tauri::State;

use super::IpcError;
use crate::session::Session;

/// What the action would do, for the confirmation dialog; or why it will not be sent.
#[tauri::command]
pub async fn plan_action(
    session: State<'_, Session>,
    request: ActionRequest,
) -> Result<ActionPlan, IpcError> {
    plan(&session, &request).await
}

/// Records the intent, sends the one request, records the outcome, then re-polls until
/// the breaker shows the expected state (or says it did not).
#[tauri::command]
pub async fn run_action(
    session: State<'_, Session>,
    request: ActionRequest,
) -> Result<ActionOutcome, IpcError> {
    let plan = plan(&session, &request).await?;
    // A second click while the first is on its way is refused, not sent.
    let _guard = session.actions().in_flight.begin(&plan).map_err(refusal)?;
    let context = session.actions();
    let writer = context.writer.as_ref();
    let mut outcome = actions::execute(
        &plan,
        &context.client,
        &SystemClock,
        writer,
        &actions::os_user(),
    )
    .await;
    actions::verify(
        &plan,
        &mut outcome,
        &context.client,
        &SystemClock,
        writer,
        VerifyOptions::default(),
    )
    .await;
    Ok(outcome)
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

async fn plan(session: &Session, request: &ActionRequest) -> Result<ActionPlan, IpcError> {
    let service = session.service_config(&request.service).ok_or_else(|| {
        IpcError::new(
            "unknown_service",
            format!("no service named {}", request.service),
        )
    })?;
    let states = match session.engine() {
        Some(engine) => engine.snapshot().await,
        None => Vec::new(),
    };
    let current = states.iter().find(|s| s.name == request.service);
    actions::plan(service, request, current).map_err(refusal)
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
