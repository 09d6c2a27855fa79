//! Injected faults: the ways an answer can go wrong on purpose, so that
//! tests see every reachability status a parser must report. A fault is set
//! for every path of a service or for one path, and never touches the
//! control endpoints.

mod bodies;
mod respond;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(crate) use respond::{canned, distort, shutting_down};

/// How long `slow` waits when no `delay_ms` was set: well past the
/// contract's default 5 s timeout.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_millis(10_000);

/// The `Retry-After` of `rate_limited` when no `retry_after_seconds` was set.
pub const DEFAULT_RETRY_AFTER_SECONDS: u64 = 5;

/// The code `status` answers when no `status_code` was set.
pub const DEFAULT_STATUS_CODE: u16 = 503;

/// One fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Fault {
    /// Answer normally.
    #[default]
    None,
    /// 500 with a text body.
    Http500,
    /// The real answer cut off halfway: not JSON.
    Malformed,
    /// JSON whose top-level fields have the wrong types (`status` a number,
    /// objects as strings); `service` keeps its name.
    WrongType,
    /// The real answer padded to exactly 50 MiB of valid JSON, streamed,
    /// with a Content-Length.
    Huge,
    /// As `huge`, without Content-Length (chunked), so only a streaming
    /// cap can stop it.
    HugeChunked,
    /// Waits the delay before answering normally.
    Slow,
    /// Accepts the request and never answers (until the fleet stops).
    Hang,
    /// Sends the headers (with the full Content-Length) and half the body,
    /// then drops the connection.
    CloseMidBody,
    /// The real answer one byte per second.
    Drip,
    /// The configured `status_code` (any) with a small JSON error body.
    Status,
    /// 401.
    Unauthorized,
    /// 429 with `Retry-After`.
    RateLimited,
}

impl Fault {
    pub(crate) const ALL: [Fault; 13] = [
        Fault::None,
        Fault::Http500,
        Fault::Malformed,
        Fault::WrongType,
        Fault::Huge,
        Fault::HugeChunked,
        Fault::Slow,
        Fault::Hang,
        Fault::CloseMidBody,
        Fault::Drip,
        Fault::Status,
        Fault::Unauthorized,
        Fault::RateLimited,
    ];

    /// The word the control endpoint uses for this fault.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Http500 => "http_500",
            Fault::Malformed => "malformed",
            Fault::WrongType => "wrong_type",
            Fault::Huge => "huge",
            Fault::HugeChunked => "huge_chunked",
            Fault::Slow => "slow",
            Fault::Hang => "hang",
            Fault::CloseMidBody => "close_mid_body",
            Fault::Drip => "drip",
            Fault::Status => "status",
            Fault::Unauthorized => "unauthorized",
            Fault::RateLimited => "rate_limited",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    /// Case-insensitive with `-`, `_` and space alike, the contract's rule
    /// for enum words (`HTTP-500`, `Rate Limited`).
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        let normalised = crate::words::fold(word);
        Fault::ALL
            .into_iter()
            .find(|fault| fault.as_str() == normalised)
            .ok_or_else(|| {
                let known: Vec<&str> = Fault::ALL.iter().map(|fault| fault.as_str()).collect();
                format!(
                    "unknown fault {word:?}; expected one of {}",
                    known.join(", ")
                )
            })
    }
}

impl TryFrom<String> for Fault {
    type Error = String;

    fn try_from(word: String) -> Result<Self, Self::Error> {
        word.parse()
    }
}

impl From<Fault> for &'static str {
    fn from(fault: Fault) -> Self {
        fault.as_str()
    }
}

/// Which fault answers which path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FaultTable {
    /// For every path without an entry of its own.
    pub(crate) everywhere: Fault,
    /// Per path, e.g. `/api/cache/stats`; `none` here exempts a path from
    /// a fault set everywhere.
    pub(crate) by_path: BTreeMap<String, Fault>,
}

impl FaultTable {
    /// Sets `fault` on `endpoint`, or everywhere when `None`; the latter
    /// replaces every per-path fault, so "set X" means X on every path.
    pub(crate) fn set(&mut self, fault: Fault, endpoint: Option<String>) {
        match endpoint {
            Some(path) => {
                self.by_path.insert(path, fault);
            }
            None => {
                self.everywhere = fault;
                self.by_path.clear();
            }
        }
    }

    /// The fault in force for `path`.
    pub(crate) fn for_path(&self, path: &str) -> Fault {
        self.by_path.get(path).copied().unwrap_or(self.everywhere)
    }
}

/// The numbers some faults need, set once per service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FaultParams {
    /// How long `slow` waits.
    pub(crate) delay: Duration,
    /// The `Retry-After` of `rate_limited`.
    pub(crate) retry_after_seconds: u64,
    /// The code `status` answers.
    pub(crate) status_code: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_words_are_normalised() {
        assert_eq!("HTTP-500".parse(), Ok(Fault::Http500));
        assert_eq!("Rate Limited".parse(), Ok(Fault::RateLimited));
        assert_eq!("wrong_type".parse(), Ok(Fault::WrongType));
        assert_eq!("close-mid-body".parse(), Ok(Fault::CloseMidBody));
        assert!("explode".parse::<Fault>().is_err());
    }

    #[test]
    fn every_fault_round_trips_through_json() {
        for fault in Fault::ALL {
            let json = serde_json::to_string(&fault).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", fault.as_str()));
            assert_eq!(serde_json::from_str::<Fault>(&json).ok(), Some(fault));
        }
    }

    #[test]
    fn per_path_faults_override_and_everywhere_replaces_them() {
        let mut table = FaultTable::default();
        table.set(Fault::Hang, Some("/api/cache/stats".to_owned()));
        assert_eq!(table.for_path("/api/cache/stats"), Fault::Hang);
        assert_eq!(table.for_path("/health"), Fault::None);
        table.set(Fault::None, Some("/health".to_owned()));
        table.set(Fault::Http500, None);
        assert_eq!(table.for_path("/api/cache/stats"), Fault::Http500);
        table.set(Fault::None, Some("/health".to_owned()));
        assert_eq!(table.for_path("/health"), Fault::None);
        assert_eq!(table.for_path("/other"), Fault::Http500);
    }
}
