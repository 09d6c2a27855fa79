//! Read-only connections for the reads that return tens of thousands of rows: the raw
//! samples behind a day's chart, and the roll-up buckets behind a month's.
//!
//! sqlx's SQLite driver steps a statement on its own worker thread and hands every row
//! across a channel, about 1.5 µs a row: a day of one-second samples took 130 ms to
//! read that way. rusqlite steps the same statement on the calling thread for a tenth
//! of a microsecond a row. These connections only ever read (WAL lets them run beside
//! the writer), each on a blocking thread; everything else goes through sqlx.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// Connections kept open between reads; more may be opened for a burst, then closed.
const IDLE_CONNECTIONS: usize = 4;

/// One row of a roll-up table, or one raw sample seen as a bucket of one:
/// (time, min, max, sum, count).
pub(crate) type BucketRow = (i64, f64, f64, f64, i64);

#[derive(Debug)]
pub(crate) struct RowReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl RowReader {
    pub(crate) fn new(path: &Path) -> Arc<RowReader> {
        Arc::new(RowReader {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The samples of one series with `from <= t <= to`, oldest first.
    pub(crate) async fn samples(
        self: &Arc<Self>,
        series_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        self.read(move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT t_ms, value FROM samples
                  WHERE series_id = ?1 AND t_ms BETWEEN ?2 AND ?3 ORDER BY t_ms",
            )?;
            let rows = statement.query_map((series_id, from_ms, to_ms), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
            rows.collect()
        })
        .await
    }

    /// The buckets of one series in a roll-up table with `start <= bucket < end`,
    /// oldest first. `table` is one of the roll-up tables' names, never user input.
    pub(crate) async fn buckets(
        self: &Arc<Self>,
        table: &'static str,
        series_id: i64,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<BucketRow>, StoreError> {
        self.read(move |connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT bucket_ms, min, max, sum, count FROM {table}
                  WHERE series_id = ?1 AND bucket_ms >= ?2 AND bucket_ms < ?3
                  ORDER BY bucket_ms"
            ))?;
            let rows = statement.query_map((series_id, start_ms, end_ms), |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })?;
            rows.collect()
        })
        .await
    }

    /// Runs `read` on a blocking thread with an idle connection (or a new one), and
    /// puts the connection back afterwards unless the read failed.
    async fn read<T, F>(self: &Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let reader = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let connection = match reader.take_idle() {
                Some(connection) => connection,
                None => reader.open()?,
            };
            let result = read(&connection)?;
            reader.put_back(connection);
            Ok(result)
        })
        .await?
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // The writer may hold the WAL's write lock for a moment; a reader only waits
        // when the WAL is being reset, which is rare and short.
        connection.busy_timeout(Duration::from_secs(5))?;
        // As the sqlx connections (see `PAGE_CACHE_PRAGMA`).
        connection.pragma_update(None, "cache_size", super::PAGE_CACHE_PRAGMA)?;
        Ok(connection)
    }

    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().ok()?.pop()
    }

    fn put_back(&self, connection: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(connection);
            }
        }
    }

    /// Closes the idle connections (before the file is checkpointed and closed).
    pub(crate) fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}
