//! What a service read from a team's engine (`[[engine]]`) carries besides its
//! observation: which engine reported it, its instances as the engine sees them,
//! whether the values are stale (the engine cannot be read, or no longer reports the
//! service), and the engine's warnings. The window shows these beside the service; a
//! service the console polls itself has none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{BreakerState, HealthStatus};

/// A service as an engine reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct EngineView {
    /// The engine's configured name.
    pub engine: String,
    /// Every instance the engine reported on its last good refresh, by name.
    #[serde(default)]
    pub instances: Vec<InstanceView>,
    /// "2 of 5 instances down", when some are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Set while the values shown are not fresh: why, and since when. A stale service
    /// keeps its last values; it is not called down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<Staleness>,
    /// What the engine warned about on the refresh behind these values (Thanos partial
    /// responses), shown as it said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub warnings: Vec<String>,
}

/// One instance of a service, as the engine's instance label names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct InstanceView {
    pub name: String,
    /// `up`: whether the engine's last scrape of it worked; unknown without an `up`.
    pub health: HealthStatus,
    /// Its breakers' states by name, as that instance reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<(String, BreakerState)>>", optional)]
    pub breakers: Vec<(String, BreakerState)>,
}

/// Why a service's values are not fresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Staleness {
    pub reason: String,
    #[ts(type = "string")]
    pub since: DateTime<Utc>,
}

/// How an engine is doing: what the window's banner and `fleet` say about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct EngineStatus {
    pub engine: String,
    /// Whether the last refresh read everything it asked.
    pub ok: bool,
    /// Why not, naming the engine: "engine prod: connection refused by …", or the
    /// engine's own `errorType` and `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The engine's warnings on the last refresh.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub warnings: Vec<String>,
    /// When the last refresh that read the fleet ended; `None` before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    pub last_good: Option<DateTime<Utc>>,
    /// How many services it reported then.
    pub services: usize,
    /// Queries sent by the last refresh.
    pub queries: usize,
    /// How long the last refresh's answers took (its slowest query: they are asked
    /// together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}
