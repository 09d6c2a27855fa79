//! Reads of the history: what the CLI, the UI and the tests ask of the database.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, StoreError};
use crate::model::natural_cmp;

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

/// The time range of a query: `[from, to]`, both inclusive, in milliseconds UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl TimeRange {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> TimeRange {
        TimeRange {
            from_ms: from.timestamp_millis(),
            to_ms: to.timestamp_millis(),
        }
    }

    /// Everything ever stored.
    pub fn all() -> TimeRange {
        TimeRange {
            from_ms: i64::MIN,
            to_ms: i64::MAX,
        }
    }
}

/// A breaker transition of any service.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ServiceTransitionRecord {
    pub service: String,
    pub breaker: String,
    pub at_ms: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub source: String,
    pub reason: Option<String>,
}

/// A breaker's current state as last stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct BreakerStateRecord {
    pub service: String,
    pub breaker: String,
    pub state: String,
    pub since_ms: i64,
}

/// A stored alert event.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AlertRecord {
    pub id: i64,
    pub rule: String,
    pub service: String,
    pub severity: String,
    pub state: String,
    pub value: Option<f64>,
    pub at_ms: i64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at_ms: Option<i64>,
    pub ack_comment: Option<String>,
    pub silenced_until_ms: Option<i64>,
    /// The breaker, dependency, stream or series the alert is about (rows written
    /// before it was kept have none).
    pub subject: Option<String>,
    /// The state words that made the change.
    pub detail: Option<String>,
}

/// An alert whose episode had not ended when the console stopped.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OpenAlertRecord {
    pub rule: String,
    pub service: String,
    pub subject: String,
    /// `pending` or `firing`.
    pub state: String,
    pub since_ms: i64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at_ms: Option<i64>,
    pub ack_comment: Option<String>,
}

/// A stored silence, removed or not.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SilenceRecord {
    pub id: i64,
    pub rule: Option<String>,
    pub service: Option<String>,
    pub until_ms: i64,
    pub reason: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub removed_by: Option<String>,
    pub removed_at_ms: Option<i64>,
}

/// The alert rules as saved from the UI.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AlertRuleSetRecord {
    pub id: i64,
    pub saved_at_ms: i64,
    pub saved_by: String,
    pub rules_toml: String,
}

/// A row of the action audit log; the outcome columns are `None` until it is known.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ActionRecord {
    pub id: i64,
    pub at_ms: i64,
    pub operator: String,
    pub service: String,
    pub target: Option<String>,
    pub action: String,
    pub reason: Option<String>,
    #[sqlx(rename = "override")]
    pub override_checks: bool,
    pub outcome_at_ms: Option<i64>,
    pub http_status: Option<i64>,
    pub message: Option<String>,
    pub duration_ms: Option<f64>,
    pub verified_state: Option<String>,
    /// The instance it went to, for a service of several.
    pub instance: Option<String>,
}

/// A stored change of a stream session's state.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StreamStateRecord {
    pub service: String,
    pub stream: String,
    pub at_ms: i64,
    pub state: String,
    pub detail: Option<String>,
}

impl Store {
    /// Breaker transitions in the range, oldest first; of one service, or of all.
    pub async fn transitions_between(
        &self,
        service: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<ServiceTransitionRecord>, StoreError> {
        let rows = sqlx::query_as::<_, ServiceTransitionRecord>(
            "SELECT s.name AS service, t.breaker, t.at_ms, t.from_state, t.to_state, t.source, t.reason
               FROM breaker_transitions t JOIN services s ON s.id = t.service_id
              WHERE (?1 IS NULL OR s.name = ?1) AND t.at_ms BETWEEN ?2 AND ?3
              ORDER BY t.at_ms, t.id",
        )
        .bind(service)
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Every breaker's last stored state, by service and breaker name.
    pub async fn breaker_states(&self) -> Result<Vec<BreakerStateRecord>, StoreError> {
        let mut rows = sqlx::query_as::<_, BreakerStateRecord>(
            "SELECT s.name AS service, b.breaker, b.state, b.since_ms
               FROM breaker_states b JOIN services s ON s.id = b.service_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.sort_by(|a, b| {
            natural_cmp(&a.service, &b.service).then_with(|| natural_cmp(&a.breaker, &b.breaker))
        });
        Ok(rows)
    }

    /// Alert events in the range, oldest first; of one service, or of all.
    pub async fn alerts_between(
        &self,
        service: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        let rows = sqlx::query_as::<_, AlertRecord>(
            "SELECT a.id, a.rule, s.name AS service, a.severity, a.state, a.value, a.at_ms,
                    a.acknowledged_by, a.acknowledged_at_ms, a.ack_comment, a.silenced_until_ms,
                    a.subject, a.detail
               FROM alert_events a JOIN services s ON s.id = a.service_id
              WHERE (?1 IS NULL OR s.name = ?1) AND a.at_ms BETWEEN ?2 AND ?3
              ORDER BY a.at_ms, a.id",
        )
        .bind(service)
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Silences still in force at `now` (not removed, not ended), oldest first: what
    /// the evaluator restores on start.
    pub async fn silences_in_force(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<SilenceRecord>, StoreError> {
        let rows = sqlx::query_as::<_, SilenceRecord>(
            "SELECT id, rule, service, until_ms, reason, created_by, created_at_ms,
                    removed_by, removed_at_ms
               FROM alert_silences
              WHERE removed_at_ms IS NULL AND until_ms > ?
              ORDER BY id",
        )
        .bind(now.timestamp_millis())
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Every silence created in the range, removed or ended ones included, oldest first.
    pub async fn silences_between(
        &self,
        range: TimeRange,
    ) -> Result<Vec<SilenceRecord>, StoreError> {
        let rows = sqlx::query_as::<_, SilenceRecord>(
            "SELECT id, rule, service, until_ms, reason, created_by, created_at_ms,
                    removed_by, removed_at_ms
               FROM alert_silences
              WHERE created_at_ms BETWEEN ? AND ?
              ORDER BY created_at_ms, id",
        )
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// The highest silence number ever stored (0 when none): new silences number on
    /// from it, so an ended silence's row is never reused.
    pub async fn last_silence_id(&self) -> Result<u64, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM alert_silences")
            .fetch_one(self.pool())
            .await?;
        Ok(id.map_or(0, |id| u64::try_from(id).unwrap_or(0)))
    }

    /// The alerts still pending or firing when the console last stopped: for each
    /// (rule, service, subject) whose newest event is not a resolution, that state, when
    /// it began, and the newest acknowledgement of that episode.
    pub async fn open_alerts(&self) -> Result<Vec<OpenAlertRecord>, StoreError> {
        let rows = sqlx::query_as::<_, OpenAlertRecord>(
            "WITH latest AS (
               SELECT max(id) AS id FROM alert_events
                GROUP BY rule, service_id, coalesce(subject, ''))
             SELECT e.rule, s.name AS service, coalesce(e.subject, '') AS subject,
                    e.state, e.at_ms AS since_ms, k.acknowledged_by, k.acknowledged_at_ms,
                    k.ack_comment
               FROM latest l
               JOIN alert_events e ON e.id = l.id
               JOIN services s ON s.id = e.service_id
               LEFT JOIN alert_events k ON k.id = (
                    SELECT a.id FROM alert_events a
                     WHERE a.rule = e.rule AND a.service_id = e.service_id
                       AND coalesce(a.subject, '') = coalesce(e.subject, '')
                       AND a.acknowledged_by IS NOT NULL
                       AND a.id > coalesce((SELECT max(r.id) FROM alert_events r
                                             WHERE r.rule = e.rule
                                               AND r.service_id = e.service_id
                                               AND coalesce(r.subject, '') = coalesce(e.subject, '')
                                               AND r.state = 'resolved'), 0)
                     ORDER BY a.id DESC LIMIT 1)
              WHERE e.state IN ('pending', 'firing')
              ORDER BY e.at_ms, e.id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// The alert rules as last saved from the UI, if they ever were.
    pub async fn latest_alert_rules(&self) -> Result<Option<AlertRuleSetRecord>, StoreError> {
        let row = sqlx::query_as::<_, AlertRuleSetRecord>(
            "SELECT id, saved_at_ms, saved_by, rules_toml
               FROM alert_rule_sets ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(row)
    }

    /// Audit log rows started in the range, oldest first; of one service, or of all.
    pub async fn actions_between(
        &self,
        service: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let rows = sqlx::query_as::<_, ActionRecord>(
            "SELECT a.id, a.at_ms, a.operator, s.name AS service, a.target, a.action, a.reason,
                    a.override, a.outcome_at_ms, a.http_status, a.message, a.duration_ms,
                    a.verified_state, a.instance
               FROM action_log a JOIN services s ON s.id = a.service_id
              WHERE (?1 IS NULL OR s.name = ?1) AND a.at_ms BETWEEN ?2 AND ?3
              ORDER BY a.at_ms, a.id",
        )
        .bind(service)
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Stream state changes in the range, oldest first; of one service, or of all.
    pub async fn stream_states_between(
        &self,
        service: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<StreamStateRecord>, StoreError> {
        let rows = sqlx::query_as::<_, StreamStateRecord>(
            "SELECT s.name AS service, x.stream, x.at_ms, x.state, x.detail
               FROM stream_states x JOIN services s ON s.id = x.service_id
              WHERE (?1 IS NULL OR s.name = ?1) AND x.at_ms BETWEEN ?2 AND ?3
              ORDER BY x.at_ms, x.id",
        )
        .bind(service)
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }
}

impl Store {
    /// The integer id of a service's series, if it was ever written.
    pub async fn series_id(&self, service: &str, series: &str) -> Result<Option<i64>, StoreError> {
        let id = sqlx::query_scalar(
            "SELECT r.id FROM series r JOIN services s ON s.id = r.service_id
              WHERE s.name = ? AND r.name = ? AND r.labels = ''",
        )
        .bind(service)
        .bind(series)
        .fetch_optional(self.pool())
        .await?;
        Ok(id)
    }

    /// The stored roll-up buckets of one series whose start is in the range, oldest first.
    pub async fn rollup_buckets(
        &self,
        series_id: i64,
        rollup: crate::store::Rollup,
        range: TimeRange,
    ) -> Result<Vec<crate::store::Bucket>, StoreError> {
        let rows = sqlx::query_as::<_, crate::store::Bucket>(&format!(
            "SELECT series_id, bucket_ms, min, max, sum, last, count FROM {}
              WHERE series_id = ? AND bucket_ms BETWEEN ? AND ? ORDER BY bucket_ms",
            rollup.table()
        ))
        .bind(series_id)
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// The raw samples of one series in the range, oldest first, as (ms, value).
    pub async fn raw_samples(
        &self,
        series_id: i64,
        range: TimeRange,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        self.reader()
            .samples(series_id, range.from_ms, range.to_ms)
            .await
    }
}

/// Milliseconds since the epoch as a UTC time, as stored.
pub fn time_from_ms(t_ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t_ms)
}

impl Store {
    /// Every service the history knows, by name.
    pub async fn service_names(&self) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = sqlx::query_scalar("SELECT name FROM services")
            .fetch_all(self.pool())
            .await?;
        names.sort_by(|a, b| natural_cmp(a, b));
        Ok(names)
    }

    /// A service's series names.
    pub async fn series_names(&self, service: &str) -> Result<Vec<String>, StoreError> {
        let mut names: Vec<String> = sqlx::query_scalar(
            "SELECT r.name FROM series r JOIN services s ON s.id = r.service_id
              WHERE s.name = ?",
        )
        .bind(service)
        .fetch_all(self.pool())
        .await?;
        names.sort_by(|a, b| natural_cmp(a, b));
        Ok(names)
    }
}
