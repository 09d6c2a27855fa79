//! A service the console polls at several instances (`instances = [...]` or `discover`),
//! as the window, `fleet` and snapshots see it: each instance's health, breakers and
//! values, which instances vanished from discovery (gone, not down), and what discovery
//! said when it failed. The service's own observation is the combination of these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{BreakerState, HealthStatus, Reachability, Sample};

/// The instances of one service, in natural order of their names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Replicas {
    /// Where the instances come from: "3 instances listed", "dns checkout.internal:8080".
    pub discovery: String,
    pub instances: Vec<Replica>,
    /// "1 of 3 instances down", "no instances", when something is worth saying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Why the last discovery failed (the name and the resolver's error); the instances
    /// known before are kept meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery_error: Option<String>,
}

/// One instance as its own polls last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct Replica {
    /// `host:port`: how the instance is named everywhere.
    pub id: String,
    pub base_url: String,
    /// `unknown` until its first poll.
    pub health: HealthStatus,
    /// Its last poll's reachability; absent before the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachability: Option<Reachability>,
    /// Its breakers' states by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<(String, BreakerState)>>", optional)]
    pub breakers: Vec<(String, BreakerState)>,
    /// Its own values (cache hit rate, queue depth); the service shows their combination.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Sample>>", optional)]
    pub samples: Vec<Sample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    pub observed_at: Option<DateTime<Utc>>,
    /// When the round behind these values began: an action's verification trusts only
    /// rounds begun after the instance answered it. Not shown, not sent.
    #[serde(skip)]
    #[ts(skip)]
    pub round_started_at: Option<DateTime<Utc>>,
    /// Set once discovery stopped listing it: shown as gone for a while, then dropped;
    /// never counted as down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "string")]
    pub gone_since: Option<DateTime<Utc>>,
}

impl Replica {
    /// The state of `breaker` on this instance, if it has it.
    pub fn breaker(&self, breaker: &str) -> Option<BreakerState> {
        self.breakers
            .iter()
            .find(|(name, _)| name == breaker)
            .map(|(_, state)| *state)
    }
}

/// The series name an instance's own value is kept under in the history, beside the
/// service's combined `series`: `cache.hit_rate@10.0.0.5:8080`.
pub fn instance_series(series: &str, instance: &str) -> String {
    format!("{series}@{instance}")
}

/// The instance an instance's own series belongs to (`None` for a service's combined or
/// single series): the reverse of [`instance_series`]. An instance is `host:port`, so
/// the last `@` separates it (a series name may hold one, a host may not), and what
/// follows has a port.
pub fn instance_of_series(series: &str) -> Option<&str> {
    series
        .rsplit_once('@')
        .map(|(_, instance)| instance)
        .filter(|instance| {
            instance
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_series_names_its_instance_and_other_series_none() {
        let series = instance_series("cache.hit_rate", "10.0.0.5:8080");
        assert_eq!(instance_of_series(&series), Some("10.0.0.5:8080"));
        assert_eq!(
            instance_of_series("queue@depth@[::1]:9090"),
            Some("[::1]:9090")
        );
        assert_eq!(instance_of_series("cache.hit_rate"), None);
        assert_eq!(instance_of_series("mail@example"), None, "no port");
        assert_eq!(instance_of_series("odd@:80"), None, "no host");
    }
}
