//! The one task that writes the database. It batches observations into transactions
//! (up to [`MAX_BATCH`] or every [`FLUSH_EVERY`], whichever comes first) so that a fleet
//! of hundreds of services costs a few commits a second, not hundreds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::model::{BreakerState, Observation, Reachability};

const QUEUE_CAPACITY: usize = 4096;
const MAX_BATCH: usize = 256;
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// What the writer did, for diagnostics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub observations_written: u64,
    pub batches: u64,
    /// Observations refused because the queue was full (the database fell behind).
    pub dropped: u64,
    /// Batches that failed to commit (disk full, read-only file, …).
    pub failed_batches: u64,
}

/// The handle to the writer task. Dropping it without [`StoreWriter::finish`] loses
/// what is still queued; `finish` flushes it.
pub struct StoreWriter {
    queue: mpsc::Sender<Observation>,
    dropped: Arc<AtomicU64>,
    task: JoinHandle<WriterStats>,
}

pub(super) fn start(pool: SqlitePool) -> StoreWriter {
    let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
    let dropped = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(run(pool, receiver));
    StoreWriter {
        queue,
        dropped,
        task,
    }
}

impl StoreWriter {
    /// Queues an observation without waiting; counts it as dropped if the queue is full.
    pub fn record(&self, observation: Observation) {
        if self.queue.try_send(observation).is_err() {
            let total = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if total.is_power_of_two() {
                tracing::warn!(
                    dropped = total,
                    "history writer is behind; observations dropped"
                );
            }
        }
    }

    /// Writes everything still queued and stops the task.
    pub async fn finish(self) -> WriterStats {
        let StoreWriter {
            queue,
            dropped,
            task,
        } = self;
        drop(queue);
        let mut stats = task.await.unwrap_or_default();
        stats.dropped = dropped.load(Ordering::Relaxed);
        stats
    }
}

async fn run(pool: SqlitePool, mut receiver: mpsc::Receiver<Observation>) -> WriterStats {
    let mut ids = IdCache::default();
    let mut stats = WriterStats::default();
    let mut batch: Vec<Observation> = Vec::with_capacity(MAX_BATCH);
    loop {
        // Wait for the first item, then gather more until the batch is full or the
        // flush deadline passes.
        let Some(first) = receiver.recv().await else {
            break;
        };
        batch.push(first);
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        let mut closed = false;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(next)) => batch.push(next),
                Ok(None) => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        match write_batch(&pool, &mut ids, &batch).await {
            Ok(()) => {
                stats.observations_written += batch.len() as u64;
                stats.batches += 1;
            }
            Err(e) => {
                stats.failed_batches += 1;
                // The ids cached inside a rolled-back transaction may not exist.
                ids = IdCache::default();
                tracing::error!(error = %e, lost = batch.len(), "cannot write history");
            }
        }
        batch.clear();
        if closed {
            break;
        }
    }
    stats
}

/// Integer ids of services and series, so each write does not look them up again.
#[derive(Default)]
struct IdCache {
    services: HashMap<String, i64>,
    series: HashMap<(i64, String), i64>,
}

async fn write_batch(
    pool: &SqlitePool,
    ids: &mut IdCache,
    batch: &[Observation],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for observation in batch {
        write_observation(&mut tx, ids, observation).await?;
    }
    tx.commit().await
}

async fn write_observation(
    tx: &mut Transaction<'_, Sqlite>,
    ids: &mut IdCache,
    observation: &Observation,
) -> Result<(), sqlx::Error> {
    let service_id = service_id(tx, ids, &observation.service, &observation.profile).await?;
    let at_ms = observation.observed_at.timestamp_millis();
    let http_code = match &observation.reachability {
        Reachability::HttpError { code, .. } => Some(i64::from(*code)),
        _ => None,
    };
    let detail = observation
        .health
        .as_ref()
        .map(|h| serde_json::to_string(h).unwrap_or_default());
    sqlx::query(
        "INSERT INTO health_observations
           (service_id, observed_at_ms, reachability, message, http_code, latency_ms, status, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(service_id)
    .bind(at_ms)
    .bind(observation.reachability.kind())
    .bind(observation.reachability.message())
    .bind(http_code)
    .bind(observation.reachability.latency_ms())
    .bind(observation.health.as_ref().map(|h| h.status.as_str()))
    .bind(detail)
    .execute(&mut **tx)
    .await?;

    for transition in &observation.transitions {
        sqlx::query(
            "INSERT OR IGNORE INTO breaker_transitions
               (service_id, breaker, at_ms, from_state, to_state, source, reason)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(service_id)
        .bind(&transition.breaker)
        .bind(transition.at.timestamp_millis())
        .bind(transition.from.map(BreakerState::as_str))
        .bind(transition.to.as_str())
        .bind(transition.source.as_str())
        .bind(transition.reason.as_deref())
        .execute(&mut **tx)
        .await?;
    }

    for sample in &observation.samples {
        let series_id = series_id(tx, ids, service_id, &sample.series).await?;
        sqlx::query("INSERT OR REPLACE INTO samples (series_id, t_ms, value) VALUES (?, ?, ?)")
            .bind(series_id)
            .bind(at_ms)
            .bind(sample.value)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn service_id(
    tx: &mut Transaction<'_, Sqlite>,
    ids: &mut IdCache,
    name: &str,
    profile: &str,
) -> Result<i64, sqlx::Error> {
    if let Some(id) = ids.services.get(name) {
        return Ok(*id);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO services (name, profile) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET profile = excluded.profile
         RETURNING id",
    )
    .bind(name)
    .bind(profile)
    .fetch_one(&mut **tx)
    .await?;
    ids.services.insert(name.to_string(), id);
    Ok(id)
}

async fn series_id(
    tx: &mut Transaction<'_, Sqlite>,
    ids: &mut IdCache,
    service_id: i64,
    name: &str,
) -> Result<i64, sqlx::Error> {
    let key = (service_id, name.to_string());
    if let Some(id) = ids.series.get(&key) {
        return Ok(*id);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO series (service_id, name, labels) VALUES (?, ?, '')
         ON CONFLICT (service_id, name, labels) DO UPDATE SET name = excluded.name
         RETURNING id",
    )
    .bind(service_id)
    .bind(name)
    .fetch_one(&mut **tx)
    .await?;
    ids.series.insert(key, id);
    Ok(id)
}
