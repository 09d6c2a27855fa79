//! Reads of the history: what the CLI, the UI and the tests ask of the database.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, StoreError};

/// One stored poll round of one service.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HealthRecord {
    pub observed_at_ms: i64,
    pub reachability: String,
    pub message: Option<String>,
    pub latency_ms: Option<f64>,
    pub status: Option<String>,
}

impl HealthRecord {
    pub fn observed_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.observed_at_ms)
    }
}

/// One stored breaker transition.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TransitionRecord {
    pub breaker: String,
    pub at_ms: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub source: String,
    pub reason: Option<String>,
}

impl Store {
    /// A service's breaker transitions since `since`, oldest first.
    pub async fn transitions(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<TransitionRecord>, StoreError> {
        let rows = sqlx::query_as::<_, TransitionRecord>(
            "SELECT t.breaker, t.at_ms, t.from_state, t.to_state, t.source, t.reason
               FROM breaker_transitions t JOIN services s ON s.id = t.service_id
              WHERE s.name = ? AND t.at_ms >= ?
              ORDER BY t.at_ms, t.id",
        )
        .bind(service)
        .bind(since.timestamp_millis())
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// A service's poll rounds since `since`, oldest first.
    pub async fn health_history(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<HealthRecord>, StoreError> {
        let rows = sqlx::query_as::<_, HealthRecord>(
            "SELECT h.observed_at_ms, h.reachability, h.message, h.latency_ms, h.status
               FROM health_observations h JOIN services s ON s.id = h.service_id
              WHERE s.name = ? AND h.observed_at_ms >= ?
              ORDER BY h.observed_at_ms, h.id",
        )
        .bind(service)
        .bind(since.timestamp_millis())
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// A service's samples of one series since `since`, oldest first, as (ms, value).
    pub async fn series_points(
        &self,
        service: &str,
        series: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let rows = sqlx::query_as::<_, (i64, f64)>(
            "SELECT p.t_ms, p.value
               FROM samples p
               JOIN series r ON r.id = p.series_id
               JOIN services s ON s.id = r.service_id
              WHERE s.name = ? AND r.name = ? AND p.t_ms >= ?
              ORDER BY p.t_ms",
        )
        .bind(service)
        .bind(series)
        .bind(since.timestamp_millis())
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }
}
