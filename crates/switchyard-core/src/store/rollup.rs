//! Roll-ups: raw samples into 1-minute buckets, 1-minute buckets into 1-hour buckets.
//!
//! Incremental and in small steps: `rollup_progress` says up to where each resolution
//! is complete; a step reads one window of source rows (a read, which never blocks the
//! writer under WAL), then writes the buckets a few hundred to a short transaction,
//! the new progress with the last of them. Only buckets that ended at least
//! [`GRACE_MS`] ago are rolled up, so samples still in the writer's queue are not missed.

use chrono::{DateTime, Utc};
use sqlx::{Sqlite, SqlitePool};

use super::{StoreError, WriteGate};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
/// How long after a minute ends its samples are assumed to be written.
pub const GRACE_MS: i64 = 30_000;
/// Source span one step reads: ten minutes of raw samples, six hours of 1-minute
/// buckets. For 100 series at 1 s that is 60,000 rows read and 1,000 written, or
/// 36,000 read and 600 written.
const RAW_WINDOW_MS: i64 = 10 * MINUTE_MS;
/// Buckets written in one transaction (one write turn: a few milliseconds).
const BUCKETS_PER_TURN: usize = 250;
const MINUTE_WINDOW_MS: i64 = 6 * HOUR_MS;

/// A roll-up resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rollup {
    Minute,
    Hour,
}

impl Rollup {
    pub fn width_ms(self) -> i64 {
        match self {
            Rollup::Minute => MINUTE_MS,
            Rollup::Hour => HOUR_MS,
        }
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            Rollup::Minute => "rollup_1m",
            Rollup::Hour => "rollup_1h",
        }
    }

    pub(crate) fn key(self) -> &'static str {
        match self {
            Rollup::Minute => "1m",
            Rollup::Hour => "1h",
        }
    }
}

/// One bucket of one series.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, sqlx::FromRow)]
pub struct Bucket {
    pub series_id: i64,
    /// The bucket's start.
    pub bucket_ms: i64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub last: f64,
    pub count: i64,
}

impl Bucket {
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }
}

fn floor_to(ms: i64, width: i64) -> i64 {
    ms.div_euclid(width) * width
}

/// Every source row older than this is in the roll-up; `None` before the first step.
pub(crate) async fn progress(
    pool: &SqlitePool,
    rollup: Rollup,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT done_until_ms FROM rollup_progress WHERE resolution = ?")
        .bind(rollup.key())
        .fetch_optional(pool)
        .await
}

/// Rolls up one window, if one is due. Returns the buckets written (0: nothing to do).
pub(crate) async fn step(
    pool: &SqlitePool,
    gate: &WriteGate,
    rollup: Rollup,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let width = rollup.width_ms();
    // Up to where the source is complete.
    let source_end = match rollup {
        Rollup::Minute => floor_to(now.timestamp_millis() - GRACE_MS, MINUTE_MS),
        Rollup::Hour => match progress(pool, Rollup::Minute).await? {
            Some(done) => floor_to(done, HOUR_MS),
            None => return Ok(0),
        },
    };
    let start = match progress(pool, rollup).await? {
        Some(done) => done,
        None => match oldest_source(pool, rollup).await? {
            Some(oldest) => floor_to(oldest, width),
            None => return Ok(0),
        },
    };
    if start >= source_end {
        return Ok(0);
    }
    let window = match rollup {
        Rollup::Minute => RAW_WINDOW_MS,
        Rollup::Hour => MINUTE_WINDOW_MS,
    };
    let end = source_end.min(start + window);
    let buckets = aggregate(pool, rollup, start, end).await?;

    // A few hundred buckets per write turn, so the writer never waits long; the
    // progress moves with the last of them. Stopped in between, the next step does the
    // window again: buckets are replaced, not added, so that is harmless.
    let mut rest: &[Bucket] = &buckets;
    loop {
        let (chunk, tail) = rest.split_at(rest.len().min(BUCKETS_PER_TURN));
        let last = tail.is_empty();
        let turn = gate.maintenance_turn().await;
        let mut tx = pool.begin().await?;
        insert_buckets(&mut tx, rollup.table(), chunk).await?;
        if last {
            sqlx::query(
                "INSERT OR REPLACE INTO rollup_progress (resolution, done_until_ms) VALUES (?, ?)",
            )
            .bind(rollup.key())
            .bind(end)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        drop(turn);
        if last {
            break;
        }
        rest = tail;
    }
    // A window with no data still advances: count it as work so the caller goes on.
    Ok(buckets.len().max(1))
}

/// The oldest source row of a roll-up, over every series.
async fn oldest_source(pool: &SqlitePool, rollup: Rollup) -> Result<Option<i64>, sqlx::Error> {
    // Per series through the primary key, then the least: no full scan.
    let sql = match rollup {
        Rollup::Minute => {
            "SELECT min((SELECT t_ms FROM samples p WHERE p.series_id = r.id ORDER BY t_ms LIMIT 1))
               FROM series r"
        }
        Rollup::Hour => {
            "SELECT min((SELECT bucket_ms FROM rollup_1m m WHERE m.series_id = r.id
                          ORDER BY bucket_ms LIMIT 1))
               FROM series r"
        }
    };
    sqlx::query_scalar::<_, Option<i64>>(sql)
        .fetch_one(pool)
        .await
}

/// The buckets of `[start, end)` for every series, computed from the source.
pub(crate) async fn aggregate(
    pool: &SqlitePool,
    rollup: Rollup,
    start: i64,
    end: i64,
) -> Result<Vec<Bucket>, sqlx::Error> {
    // `CROSS JOIN` keeps series as the outer loop, so each series is one range read of
    // the source's primary key. `last` is the value at the newest time in the bucket.
    let sql = match rollup {
        Rollup::Minute => {
            "WITH g AS (
               SELECT p.series_id, (p.t_ms / ?3) * ?3 AS bucket_ms, min(p.value) AS min,
                      max(p.value) AS max, sum(p.value) AS sum, count(*) AS count,
                      max(p.t_ms) AS last_t
                 FROM series r CROSS JOIN samples p
                WHERE p.series_id = r.id AND p.t_ms >= ?1 AND p.t_ms < ?2
                GROUP BY p.series_id, bucket_ms)
             SELECT g.series_id, g.bucket_ms, g.min, g.max, g.sum, s.value AS last, g.count
               FROM g JOIN samples s ON s.series_id = g.series_id AND s.t_ms = g.last_t"
        }
        Rollup::Hour => {
            "WITH g AS (
               SELECT m.series_id, (m.bucket_ms / ?3) * ?3 AS bucket, min(m.min) AS min,
                      max(m.max) AS max, sum(m.sum) AS sum, sum(m.count) AS count,
                      max(m.bucket_ms) AS last_b
                 FROM series r CROSS JOIN rollup_1m m
                WHERE m.series_id = r.id AND m.bucket_ms >= ?1 AND m.bucket_ms < ?2
                GROUP BY m.series_id, bucket)
             SELECT g.series_id, g.bucket AS bucket_ms, g.min, g.max, g.sum, s.last, g.count
               FROM g JOIN rollup_1m s ON s.series_id = g.series_id AND s.bucket_ms = g.last_b"
        }
    };
    sqlx::query_as::<_, Bucket>(sql)
        .bind(start)
        .bind(end)
        .bind(rollup.width_ms())
        .fetch_all(pool)
        .await
}

/// Inserts buckets with multi-row statements (powers of two up to 64 rows, so few
/// distinct statements are prepared).
pub(crate) async fn insert_buckets(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    table: &str,
    buckets: &[Bucket],
) -> Result<(), sqlx::Error> {
    const CHUNK: usize = 64;
    let mut rest = buckets;
    while !rest.is_empty() {
        let k = usize::BITS - 1 - rest.len().min(CHUNK).leading_zeros();
        let (chunk, tail) = rest.split_at(1 << k);
        let mut sql = format!(
            "INSERT OR REPLACE INTO {table} (series_id, bucket_ms, min, max, sum, last, count) VALUES "
        );
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?,?)"
            });
        }
        let mut query = sqlx::query(&sql);
        for b in chunk {
            query = query
                .bind(b.series_id)
                .bind(b.bucket_ms)
                .bind(b.min)
                .bind(b.max)
                .bind(b.sum)
                .bind(b.last)
                .bind(b.count);
        }
        query.execute(&mut **tx).await?;
        rest = tail;
    }
    Ok(())
}
