//! Retention and the background maintenance that runs it with the roll-ups.
//!
//! Every delete removes at most [`CHUNK_ROWS`] rows in its own transaction, so the
//! writer never waits long for the database lock. Nothing is pruned that the next
//! roll-up has not read: raw samples stay until the 1-minute roll-up has passed them,
//! 1-minute buckets until the 1-hour roll-up has.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::rollup::{self, Rollup};
use super::{Store, StoreError, WriteGate};
use crate::clock::Clock;
use crate::config::StorageConfig;

/// Rows one delete removes at most.
const CHUNK_ROWS: i64 = 1_000;
/// See [`rest`].
const PAUSE_BETWEEN_STEPS: Duration = Duration::from_millis(2);
/// How often the background task looks for work.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(20);

/// How long each kind of history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Raw samples and health observations.
    pub raw: Duration,
    /// 1-minute roll-ups.
    pub minute: Duration,
    /// 1-hour roll-ups.
    pub hour: Duration,
    /// Breaker transitions, alert events, actions and stream states.
    pub events: Duration,
}

const DAY: Duration = Duration::from_secs(86_400);

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            raw: 2 * DAY,
            minute: 30 * DAY,
            hour: 400 * DAY,
            events: 400 * DAY,
        }
    }
}

impl RetentionPolicy {
    /// The configured windows; events are kept as long as the hourly roll-ups.
    pub fn from_storage(storage: &StorageConfig) -> RetentionPolicy {
        RetentionPolicy {
            raw: storage.raw_retention,
            minute: storage.minute_retention,
            hour: storage.hour_retention,
            events: storage.hour_retention.max(400 * DAY),
        }
    }
}

/// What one maintenance pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    pub minute_buckets: u64,
    pub hour_buckets: u64,
    pub rows_deleted: u64,
    /// Transactions used: each one short.
    pub steps: u64,
    /// The longest write turn the pass took: the longest it can have made the writer
    /// wait.
    pub longest_turn: Duration,
}

fn cutoff(now: DateTime<Utc>, keep: Duration) -> i64 {
    let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    now.timestamp_millis().saturating_sub(keep_ms)
}

impl Store {
    /// Rolls up and prunes everything due at `now`, in small steps. The background task
    /// calls this; tests call it with their own clock's time.
    pub async fn run_maintenance(
        &self,
        now: DateTime<Utc>,
        policy: &RetentionPolicy,
    ) -> Result<MaintenanceReport, StoreError> {
        let pool = self.pool();
        let gate = self.gate();
        let mut report = MaintenanceReport::default();
        gate.take_longest_maintenance_turn();
        loop {
            let written = rollup::step(pool, gate, Rollup::Minute, now).await?;
            if written == 0 {
                break;
            }
            report.minute_buckets += written as u64;
            report.steps += 1;
            rest().await;
        }
        loop {
            let written = rollup::step(pool, gate, Rollup::Hour, now).await?;
            if written == 0 {
                break;
            }
            report.hour_buckets += written as u64;
            report.steps += 1;
            rest().await;
        }

        let done_1m = rollup::progress(pool, Rollup::Minute).await?;
        let done_1h = rollup::progress(pool, Rollup::Hour).await?;
        let raw_cutoff = cutoff(now, policy.raw);
        if let Some(done) = done_1m {
            prune_per_series(
                pool,
                gate,
                "samples",
                "t_ms",
                raw_cutoff.min(done),
                &mut report,
            )
            .await?;
        }
        if let Some(done) = done_1h {
            let minute_cutoff = cutoff(now, policy.minute).min(done);
            prune_per_series(
                pool,
                gate,
                "rollup_1m",
                "bucket_ms",
                minute_cutoff,
                &mut report,
            )
            .await?;
        }
        let hour_cutoff = cutoff(now, policy.hour);
        prune_per_series(
            pool,
            gate,
            "rollup_1h",
            "bucket_ms",
            hour_cutoff,
            &mut report,
        )
        .await?;

        let events_cutoff = cutoff(now, policy.events);
        for table in [
            "breaker_transitions",
            "alert_events",
            "action_log",
            "stream_states",
        ] {
            let sql = format!(
                "DELETE FROM {table} WHERE id IN
                   (SELECT id FROM {table} WHERE at_ms < ? ORDER BY at_ms LIMIT {CHUNK_ROWS})"
            );
            prune_chunks(pool, gate, &sql, &[events_cutoff], &mut report).await?;
        }
        let services: Vec<i64> = sqlx::query_scalar("SELECT id FROM services")
            .fetch_all(pool)
            .await?;
        for service in services {
            let sql = format!(
                "DELETE FROM health_observations WHERE id IN
                   (SELECT id FROM health_observations
                     WHERE service_id = ? AND observed_at_ms < ? LIMIT {CHUNK_ROWS})"
            );
            prune_chunks(pool, gate, &sql, &[service, raw_cutoff], &mut report).await?;
        }
        report.longest_turn = gate.take_longest_maintenance_turn();
        Ok(report)
    }

    /// Runs [`Store::run_maintenance`] now and then in the background, at the clock's
    /// time, until [`MaintenanceTask::stop`].
    pub fn start_maintenance(
        &self,
        clock: Arc<dyn Clock>,
        policy: RetentionPolicy,
    ) -> MaintenanceTask {
        let stop = CancellationToken::new();
        let wake = Arc::new(Notify::new());
        let (passes_tx, passes) = watch::channel(0u64);
        let store = self.clone();
        let token = stop.clone();
        let woken = wake.clone();
        let task = tokio::spawn(async move {
            loop {
                match store.run_maintenance(clock.now(), &policy).await {
                    Ok(report) if report.steps > 0 => {
                        tracing::debug!(?report, "history maintenance");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "history maintenance failed; will retry"),
                }
                passes_tx.send_modify(|n| *n += 1);
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = woken.notified() => {}
                    _ = tokio::time::sleep(MAINTENANCE_EVERY) => {}
                }
            }
        });
        MaintenanceTask {
            stop,
            wake,
            passes,
            task,
        }
    }
}

/// The background roll-up and retention task.
pub struct MaintenanceTask {
    stop: CancellationToken,
    wake: Arc<Notify>,
    passes: watch::Receiver<u64>,
    task: JoinHandle<()>,
}

impl MaintenanceTask {
    /// Starts a pass now rather than at the next tick (after the clock jumped, or after
    /// a bulk import).
    pub fn run_now(&self) {
        self.wake.notify_one();
    }

    /// Counts finished passes; tests wait on it instead of sleeping.
    pub fn passes(&self) -> watch::Receiver<u64> {
        self.passes.clone()
    }

    /// Stops after the current step.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Deletes rows older than `cutoff` from a table keyed by (series_id, time), one series
/// and at most [`CHUNK_ROWS`] rows at a time, through the primary key.
async fn prune_per_series(
    pool: &SqlitePool,
    gate: &WriteGate,
    table: &str,
    time: &str,
    cutoff: i64,
    report: &mut MaintenanceReport,
) -> Result<(), StoreError> {
    let series: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT r.id FROM series r
          WHERE (SELECT {time} FROM {table} p WHERE p.series_id = r.id ORDER BY {time} LIMIT 1) < ?"
    ))
    .bind(cutoff)
    .fetch_all(pool)
    .await?;
    let boundary_sql = format!(
        "SELECT {time} FROM {table} WHERE series_id = ? AND {time} < ?
          ORDER BY {time} LIMIT 1 OFFSET {}",
        CHUNK_ROWS - 1
    );
    let upto_sql = format!("DELETE FROM {table} WHERE series_id = ? AND {time} <= ?");
    let below_sql = format!("DELETE FROM {table} WHERE series_id = ? AND {time} < ?");
    for series_id in series {
        loop {
            // The time of the CHUNK_ROWS-th old row: delete up to it, or all if fewer.
            let boundary: Option<i64> = sqlx::query_scalar(&boundary_sql)
                .bind(series_id)
                .bind(cutoff)
                .fetch_optional(pool)
                .await?;
            let (sql, limit) = match boundary {
                Some(t) => (&upto_sql, t),
                None => (&below_sql, cutoff),
            };
            let turn = gate.maintenance_turn().await;
            let deleted = sqlx::query(sql)
                .bind(series_id)
                .bind(limit)
                .execute(pool)
                .await?
                .rows_affected();
            drop(turn);
            report.rows_deleted += deleted;
            report.steps += 1;
            rest().await;
            if boundary.is_none() {
                break;
            }
        }
    }
    Ok(())
}

/// Runs a bounded delete until it removes fewer than [`CHUNK_ROWS`] rows.
async fn prune_chunks(
    pool: &SqlitePool,
    gate: &WriteGate,
    sql: &str,
    binds: &[i64],
    report: &mut MaintenanceReport,
) -> Result<(), StoreError> {
    loop {
        let mut query = sqlx::query(sql);
        for value in binds {
            query = query.bind(*value);
        }
        let turn = gate.maintenance_turn().await;
        let deleted = query.execute(pool).await?.rows_affected();
        drop(turn);
        report.rows_deleted += deleted;
        if deleted > 0 {
            report.steps += 1;
        }
        if deleted < CHUNK_ROWS as u64 {
            return Ok(());
        }
        rest().await;
    }
}

/// A rest between maintenance steps, so that the writer, and the disk, catch up: with
/// back-to-back steps the longest maintenance turn in the store benchmark's
/// `maintenance_write_stall` was 4.6–13.9 ms, with the rests 3.8–8.5 ms (mostly 4–5),
/// for a heavy catch-up pass three times as long (7.5 s instead of 2.3 s).
async fn rest() {
    tokio::time::sleep(PAUSE_BETWEEN_STEPS).await;
}
