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

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use sqlx::pool::PoolConnection;
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::events::{
    ActionIntent, ActionOutcome, AlertAcknowledgement, AlertEvent, AlertRulesSaved, AlertSilence,
    SilenceRemoved, SilenceSet, StreamStateChange,
};
use super::WriteGate;
use crate::model::{BreakerState, Health, Observation, Reachability, Sample, Transition};

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

/// One poll round's raw part: the health row and the samples. Droppable.
struct Round {
    service: String,
    profile: String,
    at_ms: i64,
    reachability: Reachability,
    health: Option<Health>,
    samples: Vec<Sample>,
}

impl Round {
    fn weight(&self) -> usize {
        self.samples.len().max(1)
    }
}

/// Never dropped.
enum Event {
    Breakers {
        service: String,
        profile: String,
        transitions: Vec<Transition>,
    },
    Alert(AlertEvent),
    AlertAck(AlertAcknowledgement),
    AlertSilence(AlertSilence),
    SilenceSet(SilenceSet),
    SilenceRemoved(SilenceRemoved),
    AlertRules(AlertRulesSaved),
    ActionStarted(ActionIntent, Option<oneshot::Sender<i64>>),
    ActionFinished(i64, ActionOutcome),
    Stream(StreamStateChange),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

impl Event {
    /// Something waits for this: write without waiting for the batch to fill.
    fn is_urgent(&self) -> bool {
        matches!(self, Event::Flush(_) | Event::ActionStarted(..))
    }

    fn counts(&self) -> u64 {
        match self {
            Event::Breakers { transitions, .. } => transitions.len() as u64,
            Event::Flush(_) => 0,
            _ => 1,
        }
    }
}

#[derive(Default)]
struct Queued {
    events: VecDeque<Event>,
    rounds: VecDeque<Round>,
    /// Sum of the queued rounds' weights.
    samples: usize,
    urgent: bool,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queued>,
    wake: Notify,
    capacity: usize,
    dropped_rounds: AtomicU64,
    dropped_samples: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queued> {
        // A panic while holding the lock leaves a consistent queue: keep going.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops the oldest rounds until the queue fits; the caller holds the lock.
    fn trim(&self, queued: &mut Queued) {
        while queued.samples > self.capacity {
            let Some(oldest) = queued.rounds.pop_front() else {
                break;
            };
            queued.samples -= oldest.weight();
            self.dropped_rounds.fetch_add(1, Ordering::Relaxed);
            let total = self
                .dropped_samples
                .fetch_add(oldest.samples.len() as u64, Ordering::Relaxed)
                + oldest.samples.len() as u64;
            if self
                .dropped_rounds
                .load(Ordering::Relaxed)
                .is_power_of_two()
            {
                tracing::warn!(
                    dropped_samples = total,
                    "history writer is behind; oldest samples dropped"
                );
            }
        }
    }

    fn push_event(&self, event: Event) -> bool {
        {
            let mut queued = self.lock();
            if queued.closed {
                return false;
            }
            queued.urgent |= event.is_urgent();
            queued.events.push_back(event);
        }
        self.wake.notify_one();
        true
    }

    fn push_round(&self, round: Round) {
        {
            let mut queued = self.lock();
            if queued.closed {
                return;
            }
            queued.samples += round.weight();
            queued.rounds.push_back(round);
            self.trim(&mut queued);
        }
        self.wake.notify_one();
    }
}

/// A cloneable way to hand things to the writer: the alerts and actions modules each
/// hold one. Everything is queued without waiting except [`WriterHandle::action_started`]
/// and [`WriterHandle::flush`], which wait for the commit.
#[derive(Clone)]
pub struct WriterHandle {
    shared: Arc<Shared>,
    health: watch::Receiver<StoreHealth>,
    faults: mpsc::UnboundedSender<WriterFault>,
}

/// The writer stopped before the commit (the store was closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the history writer has stopped")]
pub struct WriterStopped;

impl WriterHandle {
    /// Queues an observation: its transitions (the engine decided them) as events, its
    /// health row and samples as a droppable round.
    pub fn record(&self, observation: Observation) {
        let Observation {
            service,
            profile,
            observed_at,
            reachability,
            health,
            samples,
            transitions,
            ..
        } = observation;
        let at_ms = observed_at.timestamp_millis();
        if !transitions.is_empty() {
            self.shared.push_event(Event::Breakers {
                service: service.clone(),
                profile: profile.clone(),
                transitions,
            });
        }
        self.shared.push_round(Round {
            service,
            profile,
            at_ms,
            reachability,
            health,
            samples,
        });
    }

    /// Queues breaker transitions learnt outside a poll round (a stream message, an
    /// action). Never dropped.
    pub fn record_transitions(&self, service: &str, profile: &str, transitions: Vec<Transition>) {
        if transitions.is_empty() {
            return;
        }
        self.shared.push_event(Event::Breakers {
            service: service.to_string(),
            profile: profile.to_string(),
            transitions,
        });
    }

    pub fn record_alert(&self, event: AlertEvent) {
        self.shared.push_event(Event::Alert(event));
    }

    /// Marks the latest event of the rule on the service as acknowledged.
    pub fn acknowledge_alert(&self, acknowledgement: AlertAcknowledgement) {
        self.shared.push_event(Event::AlertAck(acknowledgement));
    }

    /// Marks the latest event of the rule on the service as silenced until a time.
    pub fn silence_alert(&self, silence: AlertSilence) {
        self.shared.push_event(Event::AlertSilence(silence));
    }

    /// Records a silence (its own row, whatever it covers).
    pub fn record_silence(&self, silence: SilenceSet) {
        self.shared.push_event(Event::SilenceSet(silence));
    }

    /// Marks a silence as removed before its end.
    pub fn record_silence_removed(&self, removed: SilenceRemoved) {
        self.shared.push_event(Event::SilenceRemoved(removed));
    }

    /// Keeps the alert rules as saved from the UI (the newest set is the one in force).
    pub fn record_alert_rules(&self, saved: AlertRulesSaved) {
        self.shared.push_event(Event::AlertRules(saved));
    }

    pub fn record_stream_state(&self, change: StreamStateChange) {
        self.shared.push_event(Event::Stream(change));
    }

    /// Writes the intent row of an action and waits for its commit; returns the id to
    /// give [`WriterHandle::action_finished`]. While the database fails this waits (the
    /// caller decides how long an audit row may be late).
    pub async fn action_started(&self, intent: ActionIntent) -> Result<i64, WriterStopped> {
        let (reply, id) = oneshot::channel();
        if !self
            .shared
            .push_event(Event::ActionStarted(intent, Some(reply)))
        {
            return Err(WriterStopped);
        }
        id.await.map_err(|_| WriterStopped)
    }

    /// Records the outcome of an action started with [`WriterHandle::action_started`].
    pub fn action_finished(&self, id: i64, outcome: ActionOutcome) {
        self.shared.push_event(Event::ActionFinished(id, outcome));
    }

    /// Waits until everything queued before the call is committed.
    pub async fn flush(&self) -> Result<(), WriterStopped> {
        let (reply, done) = oneshot::channel();
        if !self.shared.push_event(Event::Flush(reply)) {
            return Err(WriterStopped);
        }
        done.await.map_err(|_| WriterStopped)
    }

    /// Whether history is being written; changes when a write fails or succeeds again.
    pub fn health(&self) -> watch::Receiver<StoreHealth> {
        self.health.clone()
    }

    /// Samples dropped so far because the queue was full.
    pub fn dropped_samples(&self) -> u64 {
        self.shared.dropped_samples.load(Ordering::Relaxed)
    }

    #[doc(hidden)]
    pub fn inject_fault(&self, fault: WriterFault) {
        let _ = self.faults.send(fault);
    }
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
    let task = tokio::spawn(run(
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

/// What one transaction writes.
#[derive(Default)]
struct Batch {
    events: Vec<Event>,
    rounds: Vec<Round>,
}

const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// Attempts after `finish` before the writer gives up on a failing database.
const ATTEMPTS_AFTER_CLOSE: u32 = 3;

async fn run(
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

/// Rows per multi-row sample INSERT; a batch is split into chunks of powers of two up to
/// this, so at most a dozen distinct statements are ever prepared (and cached by sqlx).
const SAMPLE_CHUNK: usize = 512;

/// The writer's connection and what it remembers between batches.
struct WriterState {
    connection: Option<PoolConnection<Sqlite>>,
    gate: WriteGate,
    ids: IdCache,
    /// `sample_sql[k]` inserts 2^k rows.
    sample_sql: Vec<String>,
    rows: Vec<(i64, i64, f64)>,
}

impl WriterState {
    fn new(batch_samples: usize, gate: WriteGate) -> WriterState {
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

    fn release(&mut self) {
        self.connection = None;
    }

    async fn apply_fault(&mut self, pool: &SqlitePool, fault: WriterFault) {
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
    async fn write(&mut self, pool: &SqlitePool, batch: &Batch) -> Result<Vec<i64>, sqlx::Error> {
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

type Tx<'c> = sqlx::Transaction<'c, Sqlite>;

async fn write_health(tx: &mut Tx<'_>, service_id: i64, round: &Round) -> Result<(), sqlx::Error> {
    let http_code = match &round.reachability {
        Reachability::HttpError { code, .. } => Some(i64::from(*code)),
        _ => None,
    };
    let detail = round
        .health
        .as_ref()
        .map(|h| serde_json::to_string(h).unwrap_or_default());
    sqlx::query(
        "INSERT INTO health_observations
           (service_id, observed_at_ms, reachability, message, http_code, latency_ms, status, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(service_id)
    .bind(round.at_ms)
    .bind(round.reachability.kind())
    .bind(round.reachability.message())
    .bind(http_code)
    .bind(round.reachability.latency_ms())
    .bind(round.health.as_ref().map(|h| h.status.as_str()))
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes one event; returns the row id of a started action.
async fn write_event(
    tx: &mut Tx<'_>,
    ids: &mut IdCache,
    event: &Event,
) -> Result<Option<i64>, sqlx::Error> {
    match event {
        Event::Breakers {
            service,
            profile,
            transitions,
        } => {
            let service_id = ids.service(tx, service, profile).await?;
            write_transitions(tx, service_id, transitions).await?;
        }
        Event::Alert(alert) => {
            let service_id = ids.known_service(tx, &alert.service).await?;
            sqlx::query(
                "INSERT INTO alert_events
                   (rule, service_id, severity, state, value, at_ms, subject, detail,
                    silenced_until_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&alert.rule)
            .bind(service_id)
            .bind(&alert.severity)
            .bind(alert.state.as_str())
            .bind(alert.value)
            .bind(alert.at.timestamp_millis())
            .bind(alert.subject.as_deref())
            .bind(alert.detail.as_deref())
            .bind(alert.silenced_until.map(|t| t.timestamp_millis()))
            .execute(&mut **tx)
            .await?;
        }
        Event::AlertAck(ack) => {
            let service_id = ids.known_service(tx, &ack.service).await?;
            sqlx::query(
                "UPDATE alert_events
                    SET acknowledged_by = ?1, acknowledged_at_ms = ?2, ack_comment = ?3
                  WHERE id = (SELECT id FROM alert_events
                               WHERE rule = ?4 AND service_id = ?5
                                 AND (?6 IS NULL OR subject = ?6)
                               ORDER BY at_ms DESC, id DESC LIMIT 1)",
            )
            .bind(&ack.by)
            .bind(ack.at.timestamp_millis())
            .bind(ack.comment.as_deref())
            .bind(&ack.rule)
            .bind(service_id)
            .bind(ack.subject.as_deref())
            .execute(&mut **tx)
            .await?;
        }
        Event::AlertSilence(silence) => {
            let service_id = ids.known_service(tx, &silence.service).await?;
            sqlx::query(
                "UPDATE alert_events SET silenced_until_ms = ?
                  WHERE id = (SELECT id FROM alert_events
                               WHERE rule = ? AND service_id = ?
                               ORDER BY at_ms DESC, id DESC LIMIT 1)",
            )
            .bind(silence.until.timestamp_millis())
            .bind(&silence.rule)
            .bind(service_id)
            .execute(&mut **tx)
            .await?;
        }
        Event::SilenceSet(silence) => {
            // The same id again (a silence restored and re-announced) replaces the row.
            sqlx::query(
                "INSERT OR REPLACE INTO alert_silences
                   (id, rule, service, until_ms, reason, created_by, created_at_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(i64::try_from(silence.id).unwrap_or(i64::MAX))
            .bind(silence.rule.as_deref())
            .bind(silence.service.as_deref())
            .bind(silence.until.timestamp_millis())
            .bind(&silence.reason)
            .bind(&silence.by)
            .bind(silence.at.timestamp_millis())
            .execute(&mut **tx)
            .await?;
        }
        Event::SilenceRemoved(removed) => {
            sqlx::query(
                "UPDATE alert_silences SET removed_by = ?, removed_at_ms = ?
                  WHERE id = ? AND removed_at_ms IS NULL",
            )
            .bind(&removed.by)
            .bind(removed.at.timestamp_millis())
            .bind(i64::try_from(removed.id).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await?;
        }
        Event::AlertRules(saved) => {
            sqlx::query(
                "INSERT INTO alert_rule_sets (saved_at_ms, saved_by, rules_toml) VALUES (?, ?, ?)",
            )
            .bind(saved.at.timestamp_millis())
            .bind(&saved.by)
            .bind(&saved.rules_toml)
            .execute(&mut **tx)
            .await?;
        }
        Event::ActionStarted(intent, _) => {
            let service_id = ids.known_service(tx, &intent.service).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO action_log (at_ms, operator, service_id, target, action, reason, override)
                 VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(intent.at.timestamp_millis())
            .bind(&intent.operator)
            .bind(service_id)
            .bind(intent.target.as_deref())
            .bind(&intent.action)
            .bind(intent.reason.as_deref())
            .bind(intent.override_checks)
            .fetch_one(&mut **tx)
            .await?;
            return Ok(Some(id));
        }
        Event::ActionFinished(id, outcome) => {
            sqlx::query(
                "UPDATE action_log
                    SET outcome_at_ms = ?, http_status = ?, message = ?, duration_ms = ?,
                        verified_state = ?
                  WHERE id = ?",
            )
            .bind(outcome.at.timestamp_millis())
            .bind(outcome.http_status.map(i64::from))
            .bind(outcome.message.as_deref())
            .bind(outcome.duration_ms)
            .bind(outcome.verified_state.as_deref())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        Event::Stream(change) => {
            let service_id = ids.known_service(tx, &change.service).await?;
            sqlx::query(
                "INSERT INTO stream_states (service_id, stream, at_ms, state, detail)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(service_id)
            .bind(&change.stream)
            .bind(change.at.timestamp_millis())
            .bind(&change.state)
            .bind(change.detail.as_deref())
            .execute(&mut **tx)
            .await?;
        }
        Event::Flush(_) => {}
    }
    Ok(None)
}

/// Stores transitions as the engine decided them, and keeps `breaker_states` at each
/// breaker's newest one (a late, older transition does not move it back).
async fn write_transitions(
    tx: &mut Tx<'_>,
    service_id: i64,
    transitions: &[Transition],
) -> Result<(), sqlx::Error> {
    for transition in transitions {
        let at_ms = transition.at.timestamp_millis();
        insert_transition(tx, service_id, transition, at_ms).await?;
        sqlx::query(
            "INSERT INTO breaker_states (service_id, breaker, state, since_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT (service_id, breaker) DO UPDATE
                SET state = excluded.state, since_ms = excluded.since_ms
              WHERE excluded.since_ms >= breaker_states.since_ms",
        )
        .bind(service_id)
        .bind(&transition.breaker)
        .bind(transition.to.as_str())
        .bind(at_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_transition(
    tx: &mut Tx<'_>,
    service_id: i64,
    transition: &Transition,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT OR IGNORE INTO breaker_transitions
           (service_id, breaker, at_ms, from_state, to_state, source, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(service_id)
    .bind(&transition.breaker)
    .bind(at_ms)
    .bind(transition.from.map(BreakerState::as_str))
    .bind(transition.to.as_str())
    .bind(transition.source.as_str())
    .bind(transition.reason.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
/// Integer ids of services and series, so each
/// write does not look them up again.
#[derive(Default)]
struct IdCache {
    services: HashMap<String, i64>,
    series: HashMap<i64, HashMap<String, i64>>,
}

impl IdCache {
    async fn service(
        &mut self,
        tx: &mut Tx<'_>,
        name: &str,
        profile: &str,
    ) -> Result<i64, sqlx::Error> {
        if let Some(id) = self.services.get(name) {
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
        self.services.insert(name.to_string(), id);
        Ok(id)
    }

    /// A service named by an alert, action or stream: created with profile `unknown`
    /// if no observation named it yet, never overwriting a known profile.
    async fn known_service(&mut self, tx: &mut Tx<'_>, name: &str) -> Result<i64, sqlx::Error> {
        if let Some(id) = self.services.get(name) {
            return Ok(*id);
        }
        sqlx::query("INSERT INTO services (name, profile) VALUES (?, 'unknown') ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut **tx)
            .await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM services WHERE name = ?")
            .bind(name)
            .fetch_one(&mut **tx)
            .await?;
        self.services.insert(name.to_string(), id);
        Ok(id)
    }

    async fn series(
        &mut self,
        tx: &mut Tx<'_>,
        service_id: i64,
        name: &str,
    ) -> Result<i64, sqlx::Error> {
        if let Some(id) = self.series.get(&service_id).and_then(|m| m.get(name)) {
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
        self.series
            .entry(service_id)
            .or_default()
            .insert(name.to_string(), id);
        Ok(id)
    }
}
