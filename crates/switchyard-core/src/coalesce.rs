//! Updates for the window, coalesced: within one period only each service's latest state
//! is sent, so a burst of observations (or a flooding stream) costs the UI at most one
//! render per period.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::engine::ServiceState;

/// At most this many batches a second reach the window.
pub const UPDATES_PER_SECOND: u64 = 10;

/// What the window receives: the services whose state changed since the last batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FleetUpdate {
    pub services: Vec<ServiceState>,
}

/// Keeps the latest state per service until the next batch is taken.
#[derive(Debug, Default)]
pub struct Coalescer {
    pending: BTreeMap<String, ServiceState>,
}

impl Coalescer {
    pub fn push(&mut self, state: ServiceState) {
        self.pending.insert(state.name.clone(), state);
    }

    /// The batch to send, if anything changed.
    pub fn take(&mut self) -> Option<FleetUpdate> {
        if self.pending.is_empty() {
            return None;
        }
        let services = std::mem::take(&mut self.pending).into_values().collect();
        Some(FleetUpdate { services })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(name: &str, failures: u32) -> ServiceState {
        ServiceState {
            name: name.into(),
            profile: "health-contract".into(),
            base_url: "http://127.0.0.1:1".into(),
            tags: vec![],
            poll_interval_ms: 1000.0,
            latest: None,
            last_good: None,
            consecutive_failures: failures,
            streams: vec![],
        }
    }

    #[test]
    fn a_burst_becomes_one_batch_with_each_service_latest() {
        let mut coalescer = Coalescer::default();
        for i in 0..100 {
            coalescer.push(state("a", i));
        }
        coalescer.push(state("b", 7));
        let batch = coalescer.take().unwrap();
        assert_eq!(batch.services.len(), 2);
        assert_eq!(
            batch.services[0].consecutive_failures, 99,
            "only the latest of a"
        );
        assert_eq!(coalescer.take(), None, "nothing new, nothing sent");
    }
}
