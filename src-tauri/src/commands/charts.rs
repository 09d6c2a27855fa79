//! Charts for the dashboard: drawn by the core from the history database.

use chrono::Utc;
use switchyard_core::dashboard::{
    self, ChartRequest, ChartView, Sparkline, TimelineRequest, TimelineView,
};
use tauri::State;

use super::IpcError;
use crate::session::Session;

#[tauri::command]
#[tracing::instrument(skip(session), err(Debug))]
pub async fn series_chart(
    session: State<'_, Session>,
    request: ChartRequest,
) -> Result<ChartView, IpcError> {
    let (store, engine) = session.history()?;
    let states = engine.snapshot().await;
    let state = states.iter().find(|s| s.name == request.service);
    // Alert thresholds on this series come from the rules the engine evaluates.
    let thresholds = engine
        .chart_thresholds(&request.service, &request.series)
        .await;
    // A service a team's engine reports: its chart reaches past the local history there.
    let history = session
        .console()
        .zip(state)
        .and_then(|(console, state)| console.engine_history(state));
    Ok(dashboard::series_chart_reaching(
        &store,
        Utc::now(),
        state,
        &request,
        thresholds,
        history.as_ref(),
    )
    .await?)
}

#[tauri::command]
#[tracing::instrument(skip(session), err(Debug))]
pub async fn breaker_timeline(
    session: State<'_, Session>,
    request: TimelineRequest,
) -> Result<TimelineView, IpcError> {
    let (store, engine) = session.history()?;
    let states = engine.snapshot().await;
    Ok(dashboard::breaker_timeline(&store, Utc::now(), &states, &request).await?)
}

/// The sparklines of `services` (every service's when absent) over the last `minutes`,
/// `width`×`height` pixels.
#[tauri::command]
#[tracing::instrument(skip(session, services), err(Debug))]
pub async fn sparklines(
    session: State<'_, Session>,
    minutes: u32,
    width: u32,
    height: u32,
    services: Option<Vec<String>>,
) -> Result<Vec<Sparkline>, IpcError> {
    let (store, engine) = session.history()?;
    let states = engine.snapshot().await;
    let size = (width, height);
    let only = services.as_deref();
    Ok(dashboard::sparklines(&store, Utc::now(), &states, only, minutes, size).await?)
}
