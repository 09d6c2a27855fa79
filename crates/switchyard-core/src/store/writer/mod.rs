//! The one task that writes the database. It batches what it is given into transactions
//! (up to [`WriterOptions::batch_samples`] samples, or every
//! [`WriterOptions::flush_every`], whichever comes first) so that a fleet of hundreds of
//! services costs a few commits a second, not hundreds.
//!
//! In front of it sits a bounded queue in two parts:
//! - *rounds* (a poll round's health row and its samples) are bounded by a number of
//!   samples; when it is full the **oldest** rounds are dropped and counted;
//! - *events* (breaker transitions and states, alert events, actions, stream states) are
//!   never dropped: they are rare, and they are what an engineer looks for afterwards.
//!
//! When a write fails (disk full, read-only file, …) the batch goes back to the front of
//! the queue, [`StoreHealth`] says why, and the writer retries with a growing delay:
//! nothing the engine does waits for it, and the events survive until the disk does.
//!
//! The parts, by job: `queue` holds what waits to be written and the handle that
//! fills it; `task` gathers batches, retries and checkpoints; `connection` owns the
//! writer's connection and writes one batch in one transaction; `sql` is the SQL of
//! each kind of row.

mod connection;
mod queue;
mod sql;
mod task;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use super::WriteGate;
use queue::{Queued, Shared};
pub use queue::{WriterHandle, WriterStopped};

/// How the writer batches and how much it may hold back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    /// Samples the queue holds before the oldest rounds are dropped (a poll round
    /// without samples counts as one).
    pub queue_samples: usize,
    /// Samples that make a batch worth writing at once.
    pub batch_samples: usize,
    /// The longest anything waits in the queue while the database keeps up.
    pub flush_every: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            // About 2 minutes of 100 series at 1 s… times ten; some 10 MB at most.
            queue_samples: 200_000,
            batch_samples: 20_000,
            flush_every: Duration::from_millis(250),
        }
    }
}

/// What the writer did, for diagnostics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Poll rounds written (one health row each).
    pub observations_written: u64,
    pub samples_written: u64,
    /// Transitions, alert events, actions and stream states written.
    pub events_written: u64,
    pub batches: u64,
    /// Poll rounds dropped (with their samples) because the queue was full.
    pub dropped: u64,
    /// Samples dropped because the queue was full.
    pub dropped_samples: u64,
    /// Batches that failed to commit (disk full, read-only file, …); they are retried.
    pub failed_batches: u64,
    /// Events still unwritten when the writer had to stop (the database kept failing).
    pub events_lost: u64,
}

/// Whether history is being written, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StoreHealth {
    Writing,
    /// The last write failed; the writer retries, keeping every event and the newest
    /// samples in memory meanwhile.
    Failing {
        problem: WriteProblem,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteProblem {
    DiskFull,
    ReadOnly,
    Other,
}

/// Faults a test can inject into the writer's own connection, to see it report and
/// recover without needing a full disk. Not for production use.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterFault {
    /// `PRAGMA max_page_count` at the current size: the next page needed fails with
    /// SQLITE_FULL, as on a full disk.
    DiskFull,
    /// `PRAGMA query_only`: every write fails with SQLITE_READONLY.
    ReadOnly,
    /// Undo both.
    Clear,
}

/// The handle to the writer task. Dropping it without [`StoreWriter::finish`] loses
/// what is still queued; `finish` writes it.
pub struct StoreWriter {
    handle: WriterHandle,
    task: JoinHandle<WriterStats>,
}

impl std::ops::Deref for StoreWriter {
    type Target = WriterHandle;

    fn deref(&self) -> &WriterHandle {
        &self.handle
    }
}

pub(super) fn start(pool: SqlitePool, gate: WriteGate, options: WriterOptions) -> StoreWriter {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Queued::default()),
        wake: Notify::new(),
        capacity: options.queue_samples.max(1),
        dropped_rounds: AtomicU64::new(0),
        dropped_samples: AtomicU64::new(0),
    });
    let (health_tx, health) = watch::channel(StoreHealth::Writing);
    let (faults, faults_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(task::run(
        pool,
        gate,
        shared.clone(),
        options,
        health_tx,
        faults_rx,
    ));
    StoreWriter {
        handle: WriterHandle {
            shared,
            health,
            faults,
        },
        task,
    }
}

impl StoreWriter {
    /// A cloneable handle for other producers (alerts, actions, streams).
    pub fn handle(&self) -> WriterHandle {
        self.handle.clone()
    }

    /// Writes everything still queued and stops the task. If the database keeps
    /// failing, gives up after a few attempts and counts what was lost.
    pub async fn finish(self) -> WriterStats {
        let StoreWriter { handle, task } = self;
        handle.shared.lock().closed = true;
        handle.shared.wake.notify_one();
        let mut stats = task.await.unwrap_or_default();
        stats.dropped = handle.shared.dropped_rounds.load(Ordering::Relaxed);
        stats.dropped_samples = handle.shared.dropped_samples.load(Ordering::Relaxed);
        stats
    }
}
