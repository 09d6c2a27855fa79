//! The live fleet as a subscription. The engine publishes each service's new state here;
//! a subscriber gets the whole fleet once, then only the services that changed since it
//! last looked, however long ago that was. A slow subscriber therefore never falls behind
//! a queue: it gets fewer, larger deltas, each service at its latest state, and never a
//! loop of whole-fleet re-sends. Coalescing is the subscriber's pace: the window looks ten
//! times a second, the CLI whenever it prints.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use ts_rs::TS;

use crate::model::ServiceState;

/// What the window receives: the services whose state changed since the last batch
/// (the whole fleet in the first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FleetUpdate {
    pub services: Vec<ServiceState>,
}

impl From<FleetDelta> for FleetUpdate {
    fn from(delta: FleetDelta) -> FleetUpdate {
        FleetUpdate {
            services: delta
                .services
                .into_iter()
                .map(Arc::unwrap_or_clone)
                .collect(),
        }
    }
}

/// Every service's latest state with the version it was published at.
#[derive(Debug, Default)]
struct Board {
    states: Vec<Arc<ServiceState>>,
    versions: Vec<u64>,
    index: HashMap<String, usize>,
    /// The newest version handed out; 0 before anything is published.
    version: u64,
}

/// The engine's side: where it publishes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FleetFeed {
    board: Arc<Mutex<Board>>,
    changed: Arc<watch::Sender<u64>>,
}

/// What changed since the subscriber last looked.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetDelta {
    /// True for a subscriber's first delta: `services` is then the whole fleet.
    pub full: bool,
    /// The changed services at their latest state, in configuration order.
    pub services: Vec<Arc<ServiceState>>,
}

impl FleetFeed {
    /// A feed holding `states` (the fleet before any news), in configuration order.
    pub fn new(states: Vec<ServiceState>) -> FleetFeed {
        let index = states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        let board = Board {
            versions: vec![1; states.len()],
            states: states.into_iter().map(Arc::new).collect(),
            index,
            version: 1,
        };
        let (changed, _) = watch::channel(1);
        FleetFeed {
            board: Arc::new(Mutex::new(board)),
            changed: Arc::new(changed),
        }
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic while holding the lock cannot leave the board half-written: each
        // publish is one slot assignment.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes a service's new state (ignored for a name not in the fleet).
    pub fn publish(&self, state: Arc<ServiceState>) {
        let version = {
            let mut board = self.board();
            let Some(&slot) = board.index.get(&state.name) else {
                return;
            };
            board.version += 1;
            let version = board.version;
            board.states[slot] = state;
            board.versions[slot] = version;
            version
        };
        self.changed.send_replace(version);
    }

    /// Adds a service the fleet did not hold (one a team's engine reported); its
    /// subscribers see it in their next delta. A name already held is published instead.
    pub fn add(&self, state: Arc<ServiceState>) {
        let version = {
            let mut board = self.board();
            board.version += 1;
            let version = board.version;
            match board.index.get(&state.name).copied() {
                Some(slot) => {
                    board.states[slot] = state;
                    board.versions[slot] = version;
                }
                None => {
                    let slot = board.states.len();
                    board.index.insert(state.name.clone(), slot);
                    board.states.push(state);
                    board.versions.push(version);
                }
            }
            version
        };
        self.changed.send_replace(version);
    }

    /// The whole fleet now, in configuration order.
    pub fn states(&self) -> Vec<Arc<ServiceState>> {
        self.board().states.clone()
    }

    /// One service now.
    pub fn state(&self, name: &str) -> Option<Arc<ServiceState>> {
        let board = self.board();
        board
            .index
            .get(name)
            .map(|&slot| board.states[slot].clone())
    }

    /// A subscriber whose first delta is the whole fleet.
    pub fn subscribe(&self) -> FleetSubscription {
        FleetSubscription {
            feed: self.clone(),
            changed: self.changed.subscribe(),
            seen: 0,
        }
    }

    /// Tells subscribers that nothing more will come (they drain what is there first).
    pub fn close(&self) {
        self.changed.send_replace(u64::MAX);
    }
}

/// One subscriber's view: what it has seen so far.
#[derive(Debug)]
pub struct FleetSubscription {
    feed: FleetFeed,
    changed: watch::Receiver<u64>,
    /// The newest version this subscriber has taken.
    seen: u64,
}

impl FleetSubscription {
    /// Waits until there is something this subscriber has not seen. Returns false once
    /// the engine has stopped and everything was taken.
    pub async fn wait(&mut self) -> bool {
        loop {
            let latest = *self.changed.borrow_and_update();
            if latest == u64::MAX {
                return self.feed.board().version > self.seen;
            }
            if latest > self.seen {
                return true;
            }
            if self.changed.changed().await.is_err() {
                return false;
            }
        }
    }

    /// What changed since the last take, or `None` when nothing did.
    pub fn take(&mut self) -> Option<FleetDelta> {
        let board = self.feed.board();
        if board.version <= self.seen {
            return None;
        }
        let full = self.seen == 0;
        let services = board
            .versions
            .iter()
            .zip(&board.states)
            .filter(|(version, _)| **version > self.seen)
            .map(|(_, state)| state.clone())
            .collect();
        self.seen = board.version;
        Some(FleetDelta { full, services })
    }

    /// Waits for, then takes, the next delta; `None` once the engine has stopped.
    pub async fn next(&mut self) -> Option<FleetDelta> {
        loop {
            if !self.wait().await {
                return None;
            }
            if let Some(delta) = self.take() {
                return Some(delta);
            }
        }
    }

    /// Waits until the engine has stopped, taking nothing: for a subscriber that only
    /// needs to know when to let go (building deltas it throws away costs a pass over
    /// the fleet for each change).
    pub async fn closed(&mut self) {
        let _ = self.changed.wait_for(|version| *version == u64::MAX).await;
    }

    /// The feed this subscription reads, for a look at the whole fleet.
    pub fn feed(&self) -> &FleetFeed {
        &self.feed
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
            round_started_at: None,
            streams: vec![],
            engine: None,
            replicas: None,
        }
    }

    #[tokio::test]
    async fn a_subscriber_gets_the_fleet_once_then_only_what_changed_at_its_latest() {
        let feed = FleetFeed::new(vec![state("a", 0), state("b", 0), state("c", 0)]);
        let mut subscriber = feed.subscribe();
        let first = subscriber.next().await.unwrap();
        assert!(first.full);
        assert_eq!(first.services.len(), 3);
        assert_eq!(subscriber.take(), None, "nothing new, nothing taken");

        // A burst while the subscriber is busy: one delta, each service at its latest.
        for failures in 1..=100 {
            feed.publish(Arc::new(state("a", failures)));
        }
        feed.publish(Arc::new(state("c", 7)));
        feed.publish(Arc::new(state("unknown", 1)));
        let delta = subscriber.next().await.unwrap();
        assert!(!delta.full);
        let seen: Vec<(&str, u32)> = delta
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.consecutive_failures))
            .collect();
        assert_eq!(seen, vec![("a", 100), ("c", 7)]);

        // A late subscriber still starts with the whole fleet, as it is now.
        let mut late = feed.subscribe();
        let whole = late.next().await.unwrap();
        assert!(whole.full);
        assert_eq!(whole.services[0].consecutive_failures, 100);
    }

    #[tokio::test]
    async fn a_closed_feed_ends_its_subscribers_after_what_is_left() {
        let feed = FleetFeed::new(vec![state("a", 0)]);
        let mut subscriber = feed.subscribe();
        subscriber.next().await.unwrap();
        feed.publish(Arc::new(state("a", 1)));
        feed.close();
        assert_eq!(
            subscriber.next().await.unwrap().services[0].consecutive_failures,
            1
        );
        assert_eq!(subscriber.next().await, None);
    }

    #[tokio::test]
    async fn waiting_for_the_close_ignores_changes() {
        use futures::FutureExt;
        let feed = FleetFeed::new(vec![state("a", 0)]);
        let mut subscriber = feed.subscribe();
        feed.publish(Arc::new(state("a", 1)));
        assert_eq!(
            subscriber.closed().now_or_never(),
            None,
            "a change is not the end"
        );
        feed.close();
        assert_eq!(subscriber.closed().now_or_never(), Some(()));
    }
}
