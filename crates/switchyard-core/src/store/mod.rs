//! SQLite through sqlx: the console's history on the engineer's own disk. The store is
//! the only writer of the database (see [`writer`]); everything else reads through the
//! queries here.

pub mod events;
mod gate;
pub mod lttb;
mod queries;
mod range;
mod reader;
mod recovery;
pub mod retention;
pub mod rollup;
pub mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use gate::WriteGate;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use crate::clock::ManualClock;
pub use events::{
    ActionIntent, ActionOutcome, AlertAcknowledgement, AlertEvent, AlertRulesSaved, AlertSilence,
    AlertState, SilenceRemoved, SilenceSet, StreamStateChange,
};
pub use queries::{
    time_from_ms, ActionRecord, AlertRecord, AlertRuleSetRecord, BreakerStateRecord, HealthRecord,
    OpenAlertRecord, ServiceTransitionRecord, SilenceRecord, StreamStateRecord, TimeRange,
    TransitionRecord,
};
pub use range::{BreakerInterval, RangePoint, RangeResult, Resolution};
pub use recovery::OpenReport;
pub use retention::{MaintenanceReport, MaintenanceTask, RetentionPolicy};
pub use rollup::{Bucket, Rollup};
pub use writer::{
    StoreHealth, StoreWriter, WriteProblem, WriterHandle, WriterOptions, WriterStats, WriterStopped,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder for the database {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("cannot bring the database {path} up to date: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    #[error("cannot move the damaged database {path} aside: {source}")]
    MoveAside {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("database read failed: {0}")]
    Read(#[from] rusqlite::Error),
    #[error("database read did not finish: {0}")]
    ReadTask(#[from] tokio::task::JoinError),
}

/// SQLite's own page cache per connection (the `cache_size` pragma, negative = KiB).
/// Up to eight connections are open (four sqlx, four row readers), and each cache
/// fills as the history grows: at 16 MiB each, the two-hour soak at 300 services saw
/// the app grow by 134 MB in 80 minutes. 4 MiB each bounds them at 32 MiB; the
/// operating system's file cache still holds the pages a range read comes back for.
pub(crate) const PAGE_CACHE_PRAGMA: &str = "-4096";

/// All of SQLite's memory in the process together, every connection's page cache
/// included: past it, SQLite recycles cached pages instead of allocating (the soft heap
/// limit; the bundled SQLite enforces it on every allocation). Each cache still fills
/// as the history grows, and eight caches of 4 MiB were the app's largest growth after
/// its first ten minutes in the two-hour soak (heaptrack: 25 of the 31 MB the heap
/// gained at 300 services). The operating system's file cache holds the rest.
pub const SQLITE_MEMORY_LIMIT: i64 = 8 * 1024 * 1024;

/// An open history database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    gate: WriteGate,
    reader: Arc<reader::RowReader>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and applies the
    /// migrations. A damaged file is moved aside and replaced (see
    /// [`Store::open_with_report`], which also says so).
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let (store, _) = Store::open_with_report(path, &crate::clock::SystemClock).await?;
        Ok(store)
    }

    /// [`Store::open`], checking the file first with `PRAGMA quick_check`: a file that is
    /// not a database or fails the check is moved to `<name>.corrupt-<UTC time>` and a
    /// fresh database created; the report names where it went, for the UI to show.
    pub async fn open_with_report(
        path: &Path,
        clock: &dyn crate::clock::Clock,
    ) -> Result<(Store, OpenReport), StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut report = OpenReport::default();
        let damage = recovery::damage(path)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        if let Some(damage) = damage {
            let moved =
                recovery::move_aside(path, clock).map_err(|source| StoreError::MoveAside {
                    path: path.to_path_buf(),
                    source,
                })?;
            tracing::error!(
                damage = %damage,
                moved_to = %moved.display(),
                "the history database was damaged; starting a fresh one"
            );
            report.recovered_from = Some(moved);
            report.damage = Some(damage);
        }
        let store = Store::open_checked(path).await?;
        Ok((store, report))
    }

    async fn open_checked(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(open_error)?
            .filename(path)
            .create_if_missing(true)
            // WAL lets the UI read while the writer writes; NORMAL is durable across
            // application crashes, which is what matters for a desktop tool.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("cache_size", PAGE_CACHE_PRAGMA)
            .pragma("temp_store", "memory")
            // The writer checkpoints on a connection of its own, outside any write.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        // Process-wide: the row readers' connections (rusqlite) share the same SQLite.
        sqlx::query(&format!("PRAGMA soft_heap_limit = {SQLITE_MEMORY_LIMIT}"))
            .execute(&pool)
            .await
            .map_err(open_error)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Store {
            pool,
            gate: WriteGate::default(),
            reader: reader::RowReader::new(path),
            path: path.to_path_buf(),
        })
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound database, else what is wrong.
    /// Reads every page: for diagnostics and tests, not for every start.
    pub async fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let lines = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(self.pool())
            .await?;
        Ok(lines)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) fn gate(&self) -> &WriteGate {
        &self.gate
    }

    pub(crate) fn reader(&self) -> &Arc<reader::RowReader> {
        &self.reader
    }

    /// Starts the one writer task for this database.
    pub fn start_writer(&self) -> StoreWriter {
        self.start_writer_with(WriterOptions::default())
    }

    /// Starts the writer with other queue and batch sizes (benchmarks, tests).
    pub fn start_writer_with(&self, options: WriterOptions) -> StoreWriter {
        writer::start(self.pool.clone(), self.gate.clone(), options)
    }

    /// Checkpoints the WAL into the database file (so the file alone holds everything,
    /// whenever SQLite gets round to closing its handles) and closes every connection.
    pub async fn close(&self) {
        self.reader.close();
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::debug!(error = %e, "no checkpoint on close");
        }
        self.pool.close().await;
    }
}
