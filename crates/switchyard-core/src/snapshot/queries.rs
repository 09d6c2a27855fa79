//! The few reads only the snapshot needs, kept beside it rather than in the store's
//! shared query module: they are shaped for one export (an aggregate, a latest row)
//! and answered by the existing indexes.

use sqlx::FromRow;

use crate::store::{Store, StoreError, TimeRange};

/// An acknowledgement written onto an alert row, read by when it happened (the alert
/// itself may have fired before the window).
#[derive(Debug, Clone, FromRow)]
pub(crate) struct AckRow {
    pub service: String,
    pub rule: String,
    pub subject: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at_ms: i64,
    pub ack_comment: Option<String>,
}

/// A silence removed before it ended.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct SilenceRemovedRow {
    pub id: i64,
    pub rule: Option<String>,
    pub service: Option<String>,
    pub removed_by: Option<String>,
    pub removed_at_ms: i64,
}

/// The latest poll round of a service in a window.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct LastHealthRow {
    pub observed_at_ms: i64,
    pub reachability: String,
    pub message: Option<String>,
    pub latency_ms: Option<f64>,
    pub status: Option<String>,
    /// The health document as JSON: version, uptime and dependencies.
    pub detail: Option<String>,
}

/// The moment of the first firing alert in a range, of the given services or of all.
pub(crate) async fn first_firing(
    store: &Store,
    range: TimeRange,
    services: Option<&[String]>,
) -> Result<Option<i64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.name, min(a.at_ms) FROM alert_events a JOIN services s ON s.id = a.service_id
          WHERE a.state = 'firing' AND a.at_ms BETWEEN ? AND ?
          GROUP BY s.name",
    )
    .bind(range.from_ms)
    .bind(range.to_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(name, _)| services.is_none_or(|only| only.contains(name)))
        .map(|(_, at)| at)
        .min())
}

pub(crate) async fn acknowledgements_between(
    store: &Store,
    range: TimeRange,
) -> Result<Vec<AckRow>, StoreError> {
    let rows = sqlx::query_as::<_, AckRow>(
        "SELECT s.name AS service, a.rule, a.subject, a.acknowledged_by, a.acknowledged_at_ms,
                a.ack_comment
           FROM alert_events a JOIN services s ON s.id = a.service_id
          WHERE a.acknowledged_at_ms BETWEEN ? AND ?
          ORDER BY a.acknowledged_at_ms, a.id",
    )
    .bind(range.from_ms)
    .bind(range.to_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows)
}

pub(crate) async fn silences_removed_between(
    store: &Store,
    range: TimeRange,
) -> Result<Vec<SilenceRemovedRow>, StoreError> {
    let rows = sqlx::query_as::<_, SilenceRemovedRow>(
        "SELECT id, rule, service, removed_by, removed_at_ms FROM alert_silences
          WHERE removed_at_ms BETWEEN ? AND ?
          ORDER BY removed_at_ms, id",
    )
    .bind(range.from_ms)
    .bind(range.to_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows)
}

/// How many poll rounds of a service in the range had each (reachability, status).
pub(crate) async fn health_counts(
    store: &Store,
    service: &str,
    range: TimeRange,
) -> Result<Vec<(String, Option<String>, i64)>, StoreError> {
    let rows = sqlx::query_as(
        "SELECT h.reachability, h.status, count(*)
           FROM health_observations h JOIN services s ON s.id = h.service_id
          WHERE s.name = ? AND h.observed_at_ms BETWEEN ? AND ?
          GROUP BY h.reachability, h.status",
    )
    .bind(service)
    .bind(range.from_ms)
    .bind(range.to_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows)
}

pub(crate) async fn last_health(
    store: &Store,
    service: &str,
    range: TimeRange,
) -> Result<Option<LastHealthRow>, StoreError> {
    let row = sqlx::query_as::<_, LastHealthRow>(
        "SELECT h.observed_at_ms, h.reachability, h.message, h.latency_ms, h.status, h.detail
           FROM health_observations h JOIN services s ON s.id = h.service_id
          WHERE s.name = ? AND h.observed_at_ms BETWEEN ? AND ?
          ORDER BY h.observed_at_ms DESC, h.id DESC LIMIT 1",
    )
    .bind(service)
    .bind(range.from_ms)
    .bind(range.to_ms)
    .fetch_optional(store.pool())
    .await?;
    Ok(row)
}

/// The last raw sample of a series in the range, as (ms, value).
pub(crate) async fn last_sample(
    store: &Store,
    series_id: i64,
    range: TimeRange,
) -> Result<Option<(i64, f64)>, StoreError> {
    let row = sqlx::query_as(
        "SELECT t_ms, value FROM samples WHERE series_id = ? AND t_ms BETWEEN ? AND ?
          ORDER BY t_ms DESC LIMIT 1",
    )
    .bind(series_id)
    .bind(range.from_ms)
    .bind(range.to_ms)
    .fetch_optional(store.pool())
    .await?;
    Ok(row)
}
