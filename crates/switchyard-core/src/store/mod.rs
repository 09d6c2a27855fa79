//! SQLite through sqlx: the console's history on the engineer's own disk. The store is
//! the only writer of the database (see [`writer`]); everything else reads through the
//! queries here.

pub mod events;
pub mod lttb;
mod manual_clock;
mod queries;
mod range;
pub mod retention;
pub mod rollup;
pub mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use events::{
    ActionIntent, ActionOutcome, AlertAcknowledgement, AlertEvent, AlertSilence, AlertState,
    StreamStateChange,
};
pub use manual_clock::ManualClock;
pub use queries::{
    ActionRecord, AlertRecord, BreakerStateRecord, HealthRecord, ServiceTransitionRecord,
    StreamStateRecord, TimeRange, TransitionRecord,
};
pub use range::{BreakerInterval, RangePoint, RangeResult, Resolution};
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
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// An open history database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and applies the
    /// migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
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
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
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
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Starts the one writer task for this database.
    pub fn start_writer(&self) -> StoreWriter {
        self.start_writer_with(WriterOptions::default())
    }

    /// Starts the writer with other queue and batch sizes (benchmarks, tests).
    pub fn start_writer_with(&self, options: WriterOptions) -> StoreWriter {
        writer::start(self.pool.clone(), options)
    }

    /// Closes every connection, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
