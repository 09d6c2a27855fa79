//! One service's stream switchboard: the settings every connection
//! watches, the breaker transitions they relay, who is connected to which
//! channel, and the counters `GET /_fleet/state` shows.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};
use tokio::sync::{broadcast, watch};

use super::settings::{StreamChanges, StreamSettings};
use crate::dynamics::transitions::Transition;

/// Transitions a connection may fall behind by before it skips some; a
/// connection blocked on a slow reader must not hold the others back.
const TRANSITION_BUFFER: usize = 1024;

/// Who is connected: the count, and subscribers per channel (a
/// `breaker-registry` subscription, or an `emergency-controls` connection
/// to `/ws/{channel}`). Channels with no one left are removed, so the map
/// stays as small as the live subscriptions.
#[derive(Debug, Default)]
struct Occupancy {
    active: u64,
    channels: BTreeMap<String, u64>,
}

/// Monotonic counters, read by `GET /_fleet/state`.
#[derive(Debug, Default)]
struct Counters {
    /// Every upgrade request, accepted or refused.
    attempts: AtomicU64,
    /// Upgrades refused: the channel was full or `drop` was in force.
    refused: AtomicU64,
    /// Frames sent, faults' included.
    sent: AtomicU64,
    /// Text and binary frames received.
    received: AtomicU64,
    /// Application-level `{"type":"pong"}` answers received.
    pongs: AtomicU64,
    /// WebSocket-level pings received (answered by the WebSocket layer).
    client_pings: AtomicU64,
    /// `{"type":"error"}` messages sent.
    errors: AtomicU64,
}

#[derive(Debug)]
pub(crate) struct StreamHub {
    settings: watch::Sender<StreamSettings>,
    transitions: broadcast::Sender<Transition>,
    occupancy: Mutex<Occupancy>,
    counters: Counters,
}

/// A counter of [`StreamHub`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Count {
    Attempt,
    Refused,
    Sent,
    Received,
    Pong,
    ClientPing,
    Error,
}

impl StreamHub {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(StreamHub {
            settings: watch::Sender::new(StreamSettings::default()),
            transitions: broadcast::Sender::new(TRANSITION_BUFFER),
            occupancy: Mutex::new(Occupancy::default()),
            counters: Counters::default(),
        })
    }

    pub(crate) fn settings(&self) -> StreamSettings {
        self.settings.borrow().clone()
    }

    /// What a connection watches to react to the control endpoint.
    pub(crate) fn watch_settings(&self) -> watch::Receiver<StreamSettings> {
        self.settings.subscribe()
    }

    /// Applies the stream part of `POST /_fleet/set`; connections hear of
    /// it only when something really changed.
    pub(crate) fn change(&self, changes: &StreamChanges) {
        self.settings.send_if_modified(|settings| {
            let before = settings.clone();
            changes.apply(settings);
            *settings != before
        });
    }

    /// Back to the defaults, as resuming the script does.
    pub(crate) fn reset(&self) {
        self.settings.send_if_modified(|settings| {
            let changed = *settings != StreamSettings::default();
            *settings = StreamSettings::default();
            changed
        });
    }

    /// Relays a transition to every connection.
    pub(crate) fn publish(&self, transition: Transition) {
        // An error only means no connection is listening.
        let _ = self.transitions.send(transition);
    }

    /// The transitions published from now on.
    pub(crate) fn listen(&self) -> broadcast::Receiver<Transition> {
        self.transitions.subscribe()
    }

    pub(crate) fn count(&self, count: Count) {
        self.counter(count).fetch_add(1, Ordering::Relaxed);
    }

    fn counter(&self, count: Count) -> &AtomicU64 {
        let counters = &self.counters;
        match count {
            Count::Attempt => &counters.attempts,
            Count::Refused => &counters.refused,
            Count::Sent => &counters.sent,
            Count::Received => &counters.received,
            Count::Pong => &counters.pongs,
            Count::ClientPing => &counters.client_pings,
            Count::Error => &counters.errors,
        }
    }

    fn read(&self, count: Count) -> u64 {
        self.counter(count).load(Ordering::Relaxed)
    }

    /// A connection with no channel yet.
    pub(crate) fn connect(self: &Arc<Self>) -> Presence {
        self.lock().active += 1;
        Presence {
            hub: self.clone(),
            channels: BTreeSet::new(),
        }
    }

    /// A connection to `channel`, unless `limit` connections are there already.
    pub(crate) fn connect_to(self: &Arc<Self>, channel: &str, limit: usize) -> Option<Presence> {
        let mut occupancy = self.lock();
        let there = occupancy.channels.get(channel).copied().unwrap_or(0);
        if there >= limit as u64 {
            return None;
        }
        occupancy.active += 1;
        *occupancy.channels.entry(channel.to_owned()).or_insert(0) += 1;
        Some(Presence {
            hub: self.clone(),
            channels: BTreeSet::from([channel.to_owned()]),
        })
    }

    /// Live connections and subscribers per channel.
    pub(crate) fn occupancy(&self) -> (u64, BTreeMap<String, u64>) {
        let occupancy = self.lock();
        (occupancy.active, occupancy.channels.clone())
    }

    /// The stream part of `GET /_fleet/state`.
    pub(crate) fn view(&self) -> Map<String, Value> {
        let (active, channels) = self.occupancy();
        let settings = self.settings();
        let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let channels: Map<String, Value> = channels
            .into_iter()
            .map(|(name, count)| (name, Value::from(count)))
            .collect();
        [
            (
                "ws_connection_attempts",
                Value::from(self.read(Count::Attempt)),
            ),
            ("ws_refused", Value::from(self.read(Count::Refused))),
            ("ws_active", Value::from(active)),
            ("ws_subscribers", Value::Object(channels)),
            ("ws_messages_sent", Value::from(self.read(Count::Sent))),
            (
                "ws_messages_received",
                Value::from(self.read(Count::Received)),
            ),
            ("ws_pongs_received", Value::from(self.read(Count::Pong))),
            ("ws_client_pings", Value::from(self.read(Count::ClientPing))),
            ("ws_errors_sent", Value::from(self.read(Count::Error))),
            ("stream_fault", Value::from(settings.fault.as_str())),
            ("flood_per_second", Value::from(settings.flood_per_second)),
            ("oversized_bytes", Value::from(settings.oversized_bytes)),
            (
                "ws_ping_interval_ms",
                Value::from(millis(settings.ping_interval)),
            ),
            (
                "ws_idle_timeout_ms",
                Value::from(millis(settings.idle_timeout)),
            ),
            ("ws_channel_limit", Value::from(settings.channel_limit)),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// Plain counts stay usable after a panic elsewhere; keep serving.
    fn lock(&self) -> MutexGuard<'_, Occupancy> {
        self.occupancy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One live connection and its channels. Dropping it, however the
/// connection ended, takes it out of the counts.
#[derive(Debug)]
pub(crate) struct Presence {
    hub: Arc<StreamHub>,
    channels: BTreeSet<String>,
}

impl Presence {
    /// Subscribes to `channel`; false when already subscribed.
    pub(crate) fn join(&mut self, channel: &str) -> bool {
        if !self.channels.insert(channel.to_owned()) {
            return false;
        }
        *self
            .hub
            .lock()
            .channels
            .entry(channel.to_owned())
            .or_insert(0) += 1;
        true
    }

    /// Unsubscribes from `channel`; false when not subscribed.
    pub(crate) fn leave(&mut self, channel: &str) -> bool {
        if !self.channels.remove(channel) {
            return false;
        }
        release(&mut self.hub.lock(), channel);
        true
    }

    pub(crate) fn is_in(&self, channel: &str) -> bool {
        self.channels.contains(channel)
    }

    pub(crate) fn channels(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(String::as_str)
    }

    pub(crate) fn hub(&self) -> &StreamHub {
        &self.hub
    }
}

fn release(occupancy: &mut Occupancy, channel: &str) {
    if let Some(count) = occupancy.channels.get_mut(channel) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            occupancy.channels.remove(channel);
        }
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        let mut occupancy = self.hub.lock();
        occupancy.active = occupancy.active.saturating_sub(1);
        for channel in &self.channels {
            release(&mut occupancy, channel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presences_count_connections_and_subscribers_until_dropped() {
        let hub = StreamHub::new();
        let mut first = hub.connect();
        assert!(first.join("breakers"));
        assert!(!first.join("breakers"));
        let second = hub.connect_to("breakers", 2);
        assert!(second.is_some());
        assert!(hub.connect_to("breakers", 2).is_none(), "full");
        assert!(hub.connect_to("other", 2).is_some(), "per channel");
        let (active, channels) = hub.occupancy();
        assert_eq!(active, 2, "the refused and the dropped are gone");
        assert_eq!(channels["breakers"], 2);
        drop(second);
        assert!(first.leave("breakers"));
        assert!(!first.leave("breakers"));
        assert_eq!(hub.occupancy(), (1, BTreeMap::new()));
        drop(first);
        assert_eq!(hub.occupancy().0, 0);
    }

    #[test]
    fn settings_changes_reach_watchers_only_when_they_change() {
        let hub = StreamHub::new();
        let mut watcher = hub.watch_settings();
        hub.change(&StreamChanges::default());
        assert!(!watcher.has_changed().unwrap_or(true));
        hub.change(&StreamChanges {
            ws_channel_limit: Some(3),
            ..StreamChanges::default()
        });
        assert!(watcher.has_changed().unwrap_or(false));
        assert_eq!(watcher.borrow_and_update().channel_limit, 3);
        hub.reset();
        assert_eq!(hub.settings(), StreamSettings::default());
    }
}
