//! An event pipeline's queue: events arrive, workers process up to their
//! capacity, and a surge fills the queue until backpressure (80 % of
//! capacity) throttles the producers; when the surge ends it drains.

use serde::Deserialize;

use super::timeline::{round_to, Cycle};

/// Share of the capacity at which backpressure turns on, as a fraction
/// `NUMERATOR / DENOMINATOR` so the check stays in integers.
const BACKPRESSURE_NUMERATOR: u64 = 4;
const BACKPRESSURE_DENOMINATOR: u64 = 5;

/// Events the workers always hold in flight: the queue never quite empties.
const IN_FLIGHT: u64 = 50;

/// Arrivals per second in normal running and during a surge.
const NORMAL_ARRIVALS: u64 = 100;
const SURGE_ARRIVALS: u64 = 185;

/// Events the workers can finish per second.
const WORKER_CAPACITY: u64 = 125;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Queue {
    /// Windows of the cycle in which producers surge.
    surges: Cycle,
    pub(crate) depth: u64,
    pub(crate) capacity: u64,
    pub(crate) processed_total: u64,
    pub(crate) failed_total: u64,
    pub(crate) dead_letter: u64,
    /// Events finished in the last second.
    pub(crate) throughput: f64,
    /// Set through the control API; `None` derives it from throughput.
    utilization_override: Option<f64>,
}

impl Queue {
    /// A queue in normal running with the contract example's numbers.
    pub(crate) fn new(surges: Cycle) -> Self {
        Queue {
            surges,
            depth: IN_FLIGHT,
            capacity: 1000,
            processed_total: 10_000,
            failed_total: 5,
            dead_letter: 2,
            throughput: NORMAL_ARRIVALS as f64,
            utilization_override: None,
        }
    }

    /// Whether producers are being held back: depth at 80 % of capacity or more.
    pub(crate) fn backpressure(&self) -> bool {
        self.depth * BACKPRESSURE_DENOMINATOR >= self.capacity * BACKPRESSURE_NUMERATOR
    }

    /// Busy share of the workers, 0..1.
    pub(crate) fn worker_utilization(&self) -> f64 {
        let derived = self.throughput / WORKER_CAPACITY as f64;
        round_to(
            self.utilization_override.unwrap_or(derived).clamp(0.0, 1.0),
            2,
        )
    }

    /// Grows with the queue: events wait longer when it is long.
    pub(crate) fn avg_processing_time_ms(&self) -> f64 {
        round_to(25.5 + self.depth.saturating_sub(IN_FLIGHT) as f64 * 0.05, 1)
    }

    /// One simulated second.
    pub(crate) fn step(&mut self, second: u64) {
        let mut arrivals = if self.surges.contains(second) {
            SURGE_ARRIVALS
        } else {
            NORMAL_ARRIVALS
        };
        if self.backpressure() {
            // Throttled producers send no more than the workers finish.
            arrivals = arrivals.min(WORKER_CAPACITY);
        }
        let waiting = self.depth + arrivals;
        let processed = waiting.saturating_sub(IN_FLIGHT).min(WORKER_CAPACITY);
        self.depth = (waiting - processed).min(self.capacity);
        // One event in 2000 fails; a third of the failures are dead-lettered.
        let failed_before = self.processed_total / 2000;
        self.processed_total += processed;
        let failed_now = self.processed_total / 2000 - failed_before;
        let dead_before = self.failed_total / 3;
        self.failed_total += failed_now;
        self.dead_letter += self.failed_total / 3 - dead_before;
        self.throughput = processed as f64;
    }

    /// Applies a control-API change; every value is checked before any is set.
    pub(crate) fn apply(&mut self, patch: &QueuePatch) -> Result<(), String> {
        if patch.capacity == Some(0) {
            return Err("queue.capacity must be at least 1".to_owned());
        }
        if let Some(utilization) = patch.worker_utilization {
            if !(0.0..=1.0).contains(&utilization) {
                return Err(format!(
                    "queue.worker_utilization is a ratio from 0 to 1, got {utilization}"
                ));
            }
        }
        if let Some(throughput) = patch.throughput_per_second {
            if throughput < 0.0 {
                return Err(format!(
                    "queue.throughput_per_second must not be negative, got {throughput}"
                ));
            }
        }
        if let Some(capacity) = patch.capacity {
            self.capacity = capacity;
        }
        if let Some(depth) = patch.depth {
            self.depth = depth;
        }
        if let Some(throughput) = patch.throughput_per_second {
            self.throughput = throughput;
        }
        if let Some(processed) = patch.events_processed {
            self.processed_total = processed;
        }
        if let Some(failed) = patch.events_failed {
            self.failed_total = failed;
        }
        if let Some(dead) = patch.dead_letter_count {
            self.dead_letter = dead;
        }
        if patch.worker_utilization.is_some() {
            self.utilization_override = patch.worker_utilization;
        }
        Ok(())
    }
}

/// The control API's change to a queue. Backpressure is not set directly:
/// it follows from depth and capacity, as in the service.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueuePatch {
    depth: Option<u64>,
    capacity: Option<u64>,
    throughput_per_second: Option<f64>,
    events_processed: Option<u64>,
    events_failed: Option<u64>,
    dead_letter_count: Option<u64>,
    worker_utilization: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_running_holds_fifty_in_flight() {
        let mut queue = Queue::new(Cycle::never());
        for second in 1..=100 {
            queue.step(second);
        }
        assert_eq!(queue.depth, 50);
        assert_eq!(queue.throughput, 100.0);
        assert_eq!(queue.worker_utilization(), 0.8);
        assert!(!queue.backpressure());
        assert_eq!(queue.processed_total, 20_000);
    }

    /// A 60 s surge from 10 s: the queue grows 60 a second, reaches
    /// backpressure (830 ≥ 800) at 22 s, holds there, and drains 25 a
    /// second after 70 s.
    #[test]
    fn a_surge_rises_to_backpressure_then_drains() {
        let mut queue = Queue::new(Cycle::new(300, &[(10, 70)]));
        let mut depths = vec![queue.depth];
        let mut pressure = vec![false];
        for second in 1..=200 {
            queue.step(second);
            depths.push(queue.depth);
            pressure.push(queue.backpressure());
        }
        assert_eq!(depths[9], 50);
        assert_eq!(depths[12], 50 + 3 * 60);
        let first_pressure = pressure.iter().position(|on| *on).unwrap_or(0);
        assert_eq!(first_pressure, 22);
        assert_eq!(depths[22], 50 + 13 * 60);
        // Held, not overflowing, while the surge lasts.
        assert!(
            depths[22..70].iter().all(|d| *d == 830),
            "{:?}",
            &depths[22..70]
        );
        assert!(pressure[69]);
        // Draining afterwards: 25 a second, back below 80 % within 4 s.
        assert_eq!(depths[71], 830 - 2 * 25);
        assert!(!pressure[74]);
        assert_eq!(depths[200], 50);
    }

    #[test]
    fn backpressure_is_at_eighty_percent() {
        let mut queue = Queue::new(Cycle::never());
        let patch: QueuePatch =
            serde_json::from_str(r#"{"depth": 799, "capacity": 1000}"#).unwrap_or_default();
        assert!(queue.apply(&patch).is_ok());
        assert!(!queue.backpressure());
        queue.depth = 800;
        assert!(queue.backpressure());
        let zero: QueuePatch = serde_json::from_str(r#"{"capacity": 0}"#).unwrap_or_default();
        assert!(queue.apply(&zero).is_err());
    }
}
