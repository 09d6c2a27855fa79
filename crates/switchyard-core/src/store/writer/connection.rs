//! The writer's own connection and what it remembers between batches: one batch is
//! written in one transaction, its samples in multi-row INSERTs; test faults are
//! injected here.

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool};

use super::sql::{write_event, write_health, IdCache};
use super::task::Batch;
use super::WriterFault;
use crate::store::WriteGate;

/// Rows per multi-row sample INSERT; a batch is split into chunks of powers of two up to
/// this, so at most a dozen distinct statements are ever prepared (and cached by sqlx).
const SAMPLE_CHUNK: usize = 512;

/// The writer's connection and what it remembers between batches.
pub(super) struct WriterState {
    connection: Option<PoolConnection<Sqlite>>,
    gate: WriteGate,
    ids: IdCache,
    /// `sample_sql[k]` inserts 2^k rows.
    sample_sql: Vec<String>,
    rows: Vec<(i64, i64, f64)>,
}

impl WriterState {
    pub(super) fn new(batch_samples: usize, gate: WriteGate) -> WriterState {
        let mut sample_sql = Vec::new();
        let mut rows = 1;
        while rows <= SAMPLE_CHUNK {
            let mut sql =
                String::from("INSERT OR REPLACE INTO samples (series_id, t_ms, value) VALUES ");
            for i in 0..rows {
                sql.push_str(if i == 0 { "(?,?,?)" } else { ",(?,?,?)" });
            }
            sample_sql.push(sql);
            rows *= 2;
        }
        WriterState {
            connection: None,
            gate,
            ids: IdCache::default(),
            sample_sql,
            rows: Vec::with_capacity(batch_samples.min(1 << 20)),
        }
    }

    async fn connection(
        &mut self,
        pool: &SqlitePool,
    ) -> Result<&mut SqliteConnection, sqlx::Error> {
        if self.connection.is_none() {
            self.connection = Some(pool.acquire().await?);
        }
        match self.connection.as_deref_mut() {
            Some(connection) => Ok(connection),
            None => Err(sqlx::Error::PoolClosed),
        }
    }

    pub(super) fn release(&mut self) {
        self.connection = None;
    }

    pub(super) async fn apply_fault(&mut self, pool: &SqlitePool, fault: WriterFault) {
        let result = async {
            let connection = self.connection(pool).await?;
            match fault {
                WriterFault::DiskFull => {
                    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                        .fetch_one(&mut *connection)
                        .await?;
                    sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
                        .execute(&mut *connection)
                        .await?;
                }
                WriterFault::ReadOnly => {
                    sqlx::query("PRAGMA query_only = ON")
                        .execute(&mut *connection)
                        .await?;
                }
                WriterFault::Clear => {
                    sqlx::query("PRAGMA query_only = OFF")
                        .execute(&mut *connection)
                        .await?;
                    sqlx::query("PRAGMA max_page_count = 1073741823")
                        .execute(&mut *connection)
                        .await?;
                }
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, ?fault, "cannot inject the writer fault");
        }
    }

    /// Writes one batch in one transaction; returns the ids of the actions started in it.
    pub(super) async fn write(
        &mut self,
        pool: &SqlitePool,
        batch: &Batch,
    ) -> Result<Vec<i64>, sqlx::Error> {
        let gate = self.gate.clone();
        let turn = gate.turn().await;
        let result = self.try_write(pool, batch).await;
        drop(turn);
        if let Err(error) = &result {
            // Ids cached inside a rolled-back transaction may not exist.
            self.ids = IdCache::default();
            // A database error leaves the connection usable (and keeps injected faults);
            // anything else (I/O, a closed worker) gets a fresh connection next time.
            if !matches!(error, sqlx::Error::Database(_)) {
                self.connection = None;
            }
        }
        result
    }

    async fn try_write(
        &mut self,
        pool: &SqlitePool,
        batch: &Batch,
    ) -> Result<Vec<i64>, sqlx::Error> {
        let WriterState {
            connection,
            gate: _,
            ids,
            sample_sql,
            rows,
        } = self;
        if connection.is_none() {
            *connection = Some(pool.acquire().await?);
        }
        let connection = connection.as_deref_mut().ok_or(sqlx::Error::PoolClosed)?;
        let mut tx = connection.begin().await?;
        let mut action_ids = Vec::new();
        for event in &batch.events {
            if let Some(id) = write_event(&mut tx, ids, event).await? {
                action_ids.push(id);
            }
        }

        rows.clear();
        for round in &batch.rounds {
            let service_id = ids.service(&mut tx, &round.service, &round.profile).await?;
            write_health(&mut tx, service_id, round).await?;
            for sample in &round.samples {
                let series_id = ids.series(&mut tx, service_id, &sample.series).await?;
                rows.push((series_id, round.at_ms, sample.value));
            }
        }
        let mut rest: &[(i64, i64, f64)] = rows;
        while !rest.is_empty() {
            // The largest power of two that fits.
            let k = (usize::BITS - 1 - rest.len().min(SAMPLE_CHUNK).leading_zeros()) as usize;
            let (chunk, tail) = rest.split_at(1 << k);
            let mut query = sqlx::query(&sample_sql[k]);
            for &(series_id, t_ms, value) in chunk {
                query = query.bind(series_id).bind(t_ms).bind(value);
            }
            query.execute(&mut *tx).await?;
            rest = tail;
        }
        tx.commit().await?;
        Ok(action_ids)
    }
}
