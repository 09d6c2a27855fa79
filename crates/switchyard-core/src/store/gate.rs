//! One write transaction at a time in this process, taken in the order asked: the
//! writer's batches and each small maintenance step. SQLite's own write lock is not
//! fair: a writer waiting in the busy handler sleeps up to 100 ms at a time and can
//! miss every gap between back-to-back maintenance transactions (the store benchmark's
//! probe once waited 830 ms that way). The gate also measures how long maintenance
//! keeps a turn, which is how long the writer can be made to wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, MutexGuard};

#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGate {
    lock: Arc<Mutex<()>>,
    longest_maintenance_turn_us: Arc<AtomicU64>,
}

/// A maintenance step's turn; its length is recorded when it ends.
pub(crate) struct MaintenanceTurn<'a> {
    _guard: MutexGuard<'a, ()>,
    started: Instant,
    longest_us: &'a AtomicU64,
}

impl Drop for MaintenanceTurn<'_> {
    fn drop(&mut self) {
        // Runs before the guard is released: the whole turn is counted.
        let held = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.longest_us.fetch_max(held, Ordering::Relaxed);
    }
}

impl WriteGate {
    /// The writer's turn; it lasts as long as the guard.
    pub(crate) async fn turn(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().await
    }

    /// A maintenance step's turn, measured.
    pub(crate) async fn maintenance_turn(&self) -> MaintenanceTurn<'_> {
        let guard = self.lock.lock().await;
        MaintenanceTurn {
            _guard: guard,
            started: Instant::now(),
            longest_us: &self.longest_maintenance_turn_us,
        }
    }

    /// The longest maintenance turn since the last call; counting starts anew.
    pub(crate) fn take_longest_maintenance_turn(&self) -> Duration {
        Duration::from_micros(self.longest_maintenance_turn_us.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_longest_maintenance_turn_is_measured_and_taken_once() {
        let gate = WriteGate::default();
        {
            let _turn = gate.maintenance_turn().await;
            std::thread::sleep(Duration::from_millis(15));
        }
        {
            let _turn = gate.maintenance_turn().await;
        }
        // The writer's turns are not maintenance's.
        drop(gate.turn().await);
        let longest = gate.take_longest_maintenance_turn();
        assert!(longest >= Duration::from_millis(15), "{longest:?}");
        assert_eq!(gate.take_longest_maintenance_turn(), Duration::ZERO);
    }
}
