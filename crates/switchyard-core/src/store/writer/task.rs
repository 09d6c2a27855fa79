//! The writer task's loop: gather a batch when it is due, write it, answer whoever
//! waits for it, and on a failure put it back and retry with a growing delay; beside
//! it, a passive WAL checkpoint once a second.

use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connection::WriterState;
use super::queue::{Event, Queued, Round, Shared};
use super::{StoreHealth, WriteProblem, WriterFault, WriterOptions, WriterStats};
use crate::store::WriteGate;

/// What one transaction writes.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) events: Vec<Event>,
    pub(super) rounds: Vec<Round>,
}

const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// Attempts after `finish` before the writer gives up on a failing database.
const ATTEMPTS_AFTER_CLOSE: u32 = 3;

pub(super) async fn run(
    pool: SqlitePool,
    gate: WriteGate,
    shared: Arc<Shared>,
    options: WriterOptions,
    health: watch::Sender<StoreHealth>,
    mut faults: mpsc::UnboundedReceiver<WriterFault>,
) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut state = WriterState::new(options.batch_samples, gate);
    let mut retry = RETRY_FIRST;
    let mut attempts_after_close = 0;
    let checkpoints = CancellationToken::new();
    let checkpointer = tokio::spawn(checkpoint_every_second(pool.clone(), checkpoints.clone()));
    while let Some(batch) = gather(&shared, &options).await {
        while let Ok(fault) = faults.try_recv() {
            state.apply_fault(&pool, fault).await;
        }
        match state.write(&pool, &batch).await {
            Ok(action_ids) => {
                stats.batches += 1;
                stats.observations_written += batch.rounds.len() as u64;
                stats.samples_written += batch
                    .rounds
                    .iter()
                    .map(|r| r.samples.len() as u64)
                    .sum::<u64>();
                stats.events_written += batch.events.iter().map(Event::counts).sum::<u64>();
                answer(batch, action_ids);
                retry = RETRY_FIRST;
                health.send_if_modified(|h| {
                    let changed = *h != StoreHealth::Writing;
                    if changed {
                        tracing::info!("history is being written again");
                    }
                    *h = StoreHealth::Writing;
                    changed
                });
            }
            Err(error) => {
                stats.failed_batches += 1;
                let problem = classify(&error);
                tracing::error!(error = %error, ?problem, "cannot write history; will retry");
                health.send_replace(StoreHealth::Failing {
                    problem,
                    message: error.to_string(),
                });
                let closed = put_back(&shared, batch);
                if closed {
                    attempts_after_close += 1;
                    if attempts_after_close >= ATTEMPTS_AFTER_CLOSE {
                        stats.events_lost = give_up(&shared);
                        break;
                    }
                }
                // Back off, but retry at once when a test clears its fault.
                tokio::select! {
                    _ = tokio::time::sleep(retry) => {}
                    Some(fault) = faults.recv() => state.apply_fault(&pool, fault).await,
                }
                retry = (retry * 2).min(RETRY_MAX);
            }
        }
    }
    state.release();
    checkpoints.cancel();
    let _ = checkpointer.await;
    stats
}

/// Copies the WAL back into the database file once a second while the writer runs, on
/// a connection of its own. SQLite's automatic checkpoint is off (see `Store::open`):
/// it runs inside whichever commit crosses 1,000 pages, so a maintenance step that
/// crossed it kept its write turn up to 13 ms longer, and a writer batch that crossed
/// it waited up to 40 ms. A passive checkpoint blocks no writer.
async fn checkpoint_every_second(pool: SqlitePool, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "passive checkpoint failed");
        }
    }
}

/// Waits until there is a batch worth writing; `None` once closed and empty.
async fn gather(shared: &Shared, options: &WriterOptions) -> Option<Batch> {
    let mut deadline: Option<Instant> = None;
    loop {
        {
            let mut queued = shared.lock();
            let has_work = !queued.events.is_empty() || !queued.rounds.is_empty();
            if !has_work {
                if queued.closed {
                    return None;
                }
            } else {
                let now = Instant::now();
                let due = queued.closed
                    || queued.urgent
                    || queued.samples >= options.batch_samples
                    || deadline.is_some_and(|d| now >= d);
                if due {
                    return Some(take(&mut queued, options.batch_samples));
                }
                deadline.get_or_insert(now + options.flush_every);
            }
        }
        match deadline {
            Some(deadline) => {
                let _ = tokio::time::timeout_at(deadline, shared.wake.notified()).await;
            }
            None => shared.wake.notified().await,
        }
    }
}

fn take(queued: &mut Queued, batch_samples: usize) -> Batch {
    // A flush promises that everything before it is written: take it all.
    let everything = queued.events.iter().any(|e| matches!(e, Event::Flush(_)));
    let events: Vec<Event> = queued.events.drain(..).collect();
    let mut rounds = Vec::new();
    let mut taken = 0;
    while everything || taken < batch_samples {
        let Some(round) = queued.rounds.pop_front() else {
            break;
        };
        taken += round.weight();
        rounds.push(round);
    }
    queued.samples -= taken;
    queued.urgent = false;
    Batch { events, rounds }
}

/// Puts a failed batch back at the front of the queue; returns whether it is closed.
fn put_back(shared: &Shared, batch: Batch) -> bool {
    let mut queued = shared.lock();
    for event in batch.events.into_iter().rev() {
        queued.urgent |= event.is_urgent();
        queued.events.push_front(event);
    }
    for round in batch.rounds.into_iter().rev() {
        queued.samples += round.weight();
        queued.rounds.push_front(round);
    }
    shared.trim(&mut queued);
    queued.closed
}

/// Empties the queue for good; returns how many events were lost.
fn give_up(shared: &Shared) -> u64 {
    let mut queued = shared.lock();
    let lost = queued.events.iter().map(Event::counts).sum::<u64>();
    queued.events.clear();
    queued.rounds.clear();
    queued.samples = 0;
    tracing::error!(
        events = lost,
        "history writer stopped with unwritten events"
    );
    lost
}

/// Tells the waiters of a committed batch.
fn answer(batch: Batch, action_ids: Vec<i64>) {
    let mut ids = action_ids.into_iter();
    for event in batch.events {
        match event {
            Event::Flush(reply) => {
                let _ = reply.send(());
            }
            Event::ActionStarted(_, reply) => {
                let id = ids.next();
                if let (Some(reply), Some(id)) = (reply, id) {
                    let _ = reply.send(id);
                }
            }
            _ => {}
        }
    }
}

fn classify(error: &sqlx::Error) -> WriteProblem {
    let code = match error {
        sqlx::Error::Database(e) => e.code().and_then(|c| c.parse::<i32>().ok()),
        _ => None,
    };
    // Primary result codes (the low byte of extended ones): SQLITE_READONLY 8,
    // SQLITE_FULL 13.
    match code.map(|c| c & 0xff) {
        Some(13) => WriteProblem::DiskFull,
        Some(8) => WriteProblem::ReadOnly,
        _ => match error {
            sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                WriteProblem::DiskFull
            }
            _ => WriteProblem::Other,
        },
    }
}
