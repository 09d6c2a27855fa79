//! What the control endpoint sets on a service's streams: the stream fault
//! in force, its parameters, and the timings tests shorten (ping interval,
//! idle timeout) or the limit they lower (connections per channel).

use std::time::Duration;

use serde::Deserialize;

/// `breaker-registry` and `emergency-controls`: a ping every 30 s.
pub(crate) const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);
/// `breaker-registry`: idle connections are closed after 5 minutes.
pub(crate) const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// `emergency-controls`: at most 100 connections per channel.
pub(crate) const DEFAULT_CHANNEL_LIMIT: usize = 100;
/// The frame `oversized` sends: twice the 1 MiB a client should accept.
pub(crate) const DEFAULT_OVERSIZED_BYTES: usize = 2 * 1024 * 1024;
pub(crate) const DEFAULT_FLOOD_PER_SECOND: u32 = 1000;

/// Past this a flood would mostly measure the fleet, not the client; each
/// connection awaits its own sends, so a slow reader slows only its flood.
pub(crate) const MAX_FLOOD_PER_SECOND: u32 = 50_000;
/// Enough to trip any sane frame limit without exhausting a test machine.
pub(crate) const MAX_OVERSIZED_BYTES: usize = 64 * 1024 * 1024;
/// Below this a ping or idle timer would spin the fleet.
const MIN_INTERVAL_MS: u64 = 10;

/// How a service's streams misbehave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) enum StreamFault {
    #[default]
    None,
    /// Open connections are cut without a close frame; new ones are
    /// accepted and cut at once, so reconnect attempts can be counted.
    Drop,
    /// Nothing is sent or read: no pings, no data, and WebSocket pings go
    /// unanswered (they are answered while reading).
    Silence,
    /// Besides the normal traffic, every second: a non-JSON text frame, a
    /// binary frame of junk, a message of an unknown type, a JSON array.
    Garbage,
    /// One frame of `oversized_bytes` as the fault starts and to every new
    /// connection while it lasts.
    Oversized,
    /// `flood_per_second` data messages per second on the subscribed channels.
    Flood,
}

impl StreamFault {
    const ALL: [(&'static str, StreamFault); 6] = [
        ("none", StreamFault::None),
        ("drop", StreamFault::Drop),
        ("silence", StreamFault::Silence),
        ("garbage", StreamFault::Garbage),
        ("oversized", StreamFault::Oversized),
        ("flood", StreamFault::Flood),
    ];

    pub(crate) fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, fault)| *fault == self)
            .map_or("none", |(word, _)| word)
    }
}

impl TryFrom<String> for StreamFault {
    type Error = String;

    fn try_from(word: String) -> Result<Self, Self::Error> {
        crate::words::pick(&word, &StreamFault::ALL, "stream fault")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamSettings {
    pub(crate) fault: StreamFault,
    pub(crate) flood_per_second: u32,
    pub(crate) oversized_bytes: usize,
    pub(crate) ping_interval: Duration,
    pub(crate) idle_timeout: Duration,
    /// Connections per `emergency-controls` channel; the next is refused
    /// with 1008 "Channel full".
    pub(crate) channel_limit: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            fault: StreamFault::None,
            flood_per_second: DEFAULT_FLOOD_PER_SECOND,
            oversized_bytes: DEFAULT_OVERSIZED_BYTES,
            ping_interval: DEFAULT_PING_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            channel_limit: DEFAULT_CHANNEL_LIMIT,
        }
    }
}

/// The stream part of `POST /_fleet/set`; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamChanges {
    pub(crate) stream_fault: Option<StreamFault>,
    pub(crate) flood_per_second: Option<u32>,
    pub(crate) oversized_bytes: Option<usize>,
    pub(crate) ws_ping_interval_ms: Option<u64>,
    pub(crate) ws_idle_timeout_ms: Option<u64>,
    pub(crate) ws_channel_limit: Option<usize>,
}

impl StreamChanges {
    /// The fields given, by their JSON names.
    pub(crate) fn named(&self) -> Vec<&'static str> {
        [
            ("stream_fault", self.stream_fault.is_some()),
            ("flood_per_second", self.flood_per_second.is_some()),
            ("oversized_bytes", self.oversized_bytes.is_some()),
            ("ws_ping_interval_ms", self.ws_ping_interval_ms.is_some()),
            ("ws_idle_timeout_ms", self.ws_idle_timeout_ms.is_some()),
            ("ws_channel_limit", self.ws_channel_limit.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }

    /// Refuses values that would hurt the fleet rather than test a client.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(rate) = self.flood_per_second {
            if !(1..=MAX_FLOOD_PER_SECOND).contains(&rate) {
                return Err(format!(
                    "flood_per_second must be from 1 to {MAX_FLOOD_PER_SECOND}, got {rate}"
                ));
            }
        }
        if let Some(bytes) = self.oversized_bytes {
            if !(1..=MAX_OVERSIZED_BYTES).contains(&bytes) {
                return Err(format!(
                    "oversized_bytes must be from 1 to {MAX_OVERSIZED_BYTES}, got {bytes}"
                ));
            }
        }
        for (name, value) in [
            ("ws_ping_interval_ms", self.ws_ping_interval_ms),
            ("ws_idle_timeout_ms", self.ws_idle_timeout_ms),
        ] {
            if let Some(ms) = value {
                if ms < MIN_INTERVAL_MS {
                    return Err(format!(
                        "{name} must be at least {MIN_INTERVAL_MS}, got {ms}"
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn apply(&self, settings: &mut StreamSettings) {
        if let Some(fault) = self.stream_fault {
            settings.fault = fault;
        }
        if let Some(rate) = self.flood_per_second {
            settings.flood_per_second = rate;
        }
        if let Some(bytes) = self.oversized_bytes {
            settings.oversized_bytes = bytes;
        }
        if let Some(ms) = self.ws_ping_interval_ms {
            settings.ping_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = self.ws_idle_timeout_ms {
            settings.idle_timeout = Duration::from_millis(ms);
        }
        if let Some(limit) = self.ws_channel_limit {
            settings.channel_limit = limit;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_words_are_tolerant() {
        for (word, fault) in StreamFault::ALL {
            assert_eq!(StreamFault::try_from(word.to_uppercase()), Ok(fault));
            assert_eq!(fault.as_str(), word);
        }
        assert!(StreamFault::try_from("explode".to_owned()).is_err());
    }

    #[test]
    fn bounds_are_checked_and_changes_apply() {
        let too_much = StreamChanges {
            flood_per_second: Some(MAX_FLOOD_PER_SECOND + 1),
            ..StreamChanges::default()
        };
        assert!(too_much.validate().is_err());
        let spinning = StreamChanges {
            ws_ping_interval_ms: Some(1),
            ..StreamChanges::default()
        };
        assert!(spinning.validate().is_err());
        let changes = StreamChanges {
            stream_fault: Some(StreamFault::Flood),
            ws_ping_interval_ms: Some(200),
            ws_channel_limit: Some(3),
            ..StreamChanges::default()
        };
        assert!(changes.validate().is_ok());
        let mut settings = StreamSettings::default();
        changes.apply(&mut settings);
        assert_eq!(settings.fault, StreamFault::Flood);
        assert_eq!(settings.ping_interval, Duration::from_millis(200));
        assert_eq!(settings.channel_limit, 3);
        assert_eq!(settings.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        assert_eq!(
            changes.named(),
            ["stream_fault", "ws_ping_interval_ms", "ws_channel_limit"]
        );
    }
}
