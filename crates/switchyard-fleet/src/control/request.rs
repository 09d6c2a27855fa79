//! The body of `POST /_fleet/set`, split into what every service has
//! (faults, their parameters, the rate budget) and what only some profiles
//! have (breakers, cache, queue, …). Every field is optional; whatever is
//! given changes, the rest stays as it is. Unknown fields are refused so a
//! typo in a test fails loudly instead of silently doing nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::dynamics::breaker::BreakerPatch;
use crate::dynamics::cache::CachePatch;
use crate::dynamics::halt::HaltPatch;
use crate::dynamics::queue::QueuePatch;
use crate::dynamics::system::SystemPatch;
use crate::faults::Fault;
use crate::profiles::breaker_registry::WsPatch;
use crate::profiles::emergency_controls::ComponentPatch;
use crate::state::Control;
use crate::streams::settings::{StreamChanges, StreamFault};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetRequest {
    fault: Option<Fault>,
    /// Confines `fault` to one path, e.g. `/api/cache/stats`.
    endpoint: Option<String>,
    delay_ms: Option<u64>,
    retry_after_seconds: Option<u64>,
    status_code: Option<u16>,
    /// A number turns the budget on; `null` turns it off.
    #[serde(default, deserialize_with = "present")]
    rate_limit_per_second: Option<Option<u32>>,
    /// Breaker resets answer success without resetting (until set false or
    /// the script resumes).
    ignore_resets: Option<bool>,

    /// Streams (services that have them): the fault, its parameters, and
    /// the timings and limit tests shorten.
    stream_fault: Option<StreamFault>,
    flood_per_second: Option<u32>,
    oversized_bytes: Option<usize>,
    ws_ping_interval_ms: Option<u64>,
    ws_idle_timeout_ms: Option<u64>,
    ws_channel_limit: Option<usize>,

    status: Option<String>,
    dependencies: Option<BTreeMap<String, DependencyPatch>>,
    breakers: Option<BTreeMap<String, BreakerPatch>>,
    cache: Option<CachePatch>,
    queue: Option<QueuePatch>,
    single_breaker: Option<HaltPatch>,
    components: Option<BTreeMap<String, ComponentPatch>>,
    websocket_active: Option<u64>,
    system: Option<SystemPatch>,
    ws: Option<WsPatch>,
    health_score: Option<u8>,
}

/// The part of a set every service understands.
#[derive(Debug, Default)]
pub(crate) struct ControlChanges {
    fault: Option<Fault>,
    endpoint: Option<String>,
    delay_ms: Option<u64>,
    retry_after_seconds: Option<u64>,
    status_code: Option<u16>,
    rate_limit_per_second: Option<Option<u32>>,
    ignore_resets: Option<bool>,
    stream: StreamChanges,
}

/// The part of a set that depends on the profile; each profile names the
/// fields it accepts and refuses the rest.
#[derive(Debug, Default)]
pub(crate) struct ProfileChanges {
    /// The overall status word, in the profile's vocabulary.
    pub(crate) status: Option<String>,
    pub(crate) dependencies: Option<BTreeMap<String, DependencyPatch>>,
    pub(crate) breakers: Option<BTreeMap<String, BreakerPatch>>,
    pub(crate) cache: Option<CachePatch>,
    pub(crate) queue: Option<QueuePatch>,
    pub(crate) single_breaker: Option<HaltPatch>,
    pub(crate) components: Option<BTreeMap<String, ComponentPatch>>,
    pub(crate) websocket_active: Option<u64>,
    pub(crate) system: Option<SystemPatch>,
    pub(crate) ws: Option<WsPatch>,
    pub(crate) health_score: Option<u8>,
}

/// Changes to one dependency. The status word is the profile's own
/// (`DEGRADED` in `health-contract`, `degraded` in `health-levels`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DependencyPatch {
    pub(crate) status: Option<String>,
    pub(crate) latency_ms: Option<f64>,
    /// Absent: unchanged; `null`: cleared.
    #[serde(default, deserialize_with = "present")]
    pub(crate) error: Option<Option<String>>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`,
/// through `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Parses a JSON body; an empty body counts as `{}` so `curl -X POST` works.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|error| error.to_string())
}

impl SetRequest {
    /// Checks what every service understands and splits the request.
    pub(crate) fn split(self) -> Result<(ControlChanges, ProfileChanges), String> {
        if let Some(endpoint) = &self.endpoint {
            if self.fault.is_none() {
                return Err("endpoint needs a fault to confine".to_owned());
            }
            if !endpoint.starts_with('/') || endpoint.starts_with("/_fleet") {
                return Err(format!(
                    "endpoint must be a path of the service such as /health, got {endpoint:?}"
                ));
            }
        }
        if let Some(code) = self.status_code {
            // 1xx cannot end an exchange; anything from 200 to 999 is a
            // code a client must cope with.
            if !(200..=999).contains(&code) {
                return Err(format!("status_code must be from 200 to 999, got {code}"));
            }
        }
        if self.rate_limit_per_second == Some(Some(0)) {
            return Err("rate_limit_per_second must be at least 1; null turns it off".to_owned());
        }
        for (name, patch) in self.dependencies.iter().flatten() {
            if let Some(latency) = patch.latency_ms {
                // serde_json never yields NaN or infinities, so this is the only bad number.
                if latency < 0.0 {
                    return Err(format!(
                        "dependencies.{name}.latency_ms must not be negative, got {latency}"
                    ));
                }
            }
        }
        let stream = StreamChanges {
            stream_fault: self.stream_fault,
            flood_per_second: self.flood_per_second,
            oversized_bytes: self.oversized_bytes,
            ws_ping_interval_ms: self.ws_ping_interval_ms,
            ws_idle_timeout_ms: self.ws_idle_timeout_ms,
            ws_channel_limit: self.ws_channel_limit,
        };
        stream.validate()?;
        let control = ControlChanges {
            fault: self.fault,
            endpoint: self.endpoint,
            delay_ms: self.delay_ms,
            retry_after_seconds: self.retry_after_seconds,
            status_code: self.status_code,
            rate_limit_per_second: self.rate_limit_per_second,
            ignore_resets: self.ignore_resets,
            stream,
        };
        let changes = ProfileChanges {
            status: self.status,
            dependencies: self.dependencies,
            breakers: self.breakers,
            cache: self.cache,
            queue: self.queue,
            single_breaker: self.single_breaker,
            components: self.components,
            websocket_active: self.websocket_active,
            system: self.system,
            ws: self.ws,
            health_score: self.health_score,
        };
        Ok((control, changes))
    }
}

impl ControlChanges {
    /// The stream part, which the service's stream hub applies.
    pub(crate) fn stream(&self) -> &StreamChanges {
        &self.stream
    }

    pub(crate) fn apply(self, control: &mut Control) {
        if let Some(fault) = self.fault {
            control.faults.set(fault, self.endpoint);
        }
        if let Some(delay_ms) = self.delay_ms {
            control.delay = Some(Duration::from_millis(delay_ms));
        }
        if let Some(seconds) = self.retry_after_seconds {
            control.retry_after_seconds = Some(seconds);
        }
        if let Some(code) = self.status_code {
            control.status_code = Some(code);
        }
        if let Some(budget) = self.rate_limit_per_second {
            control.rate_limit_per_second = budget;
        }
        if let Some(ignore) = self.ignore_resets {
            control.ignore_resets = ignore;
        }
    }
}

impl ProfileChanges {
    /// The profile fields this request sets, by their JSON names.
    pub(crate) fn named(&self) -> Vec<&'static str> {
        [
            ("status", self.status.is_some()),
            ("dependencies", self.dependencies.is_some()),
            ("breakers", self.breakers.is_some()),
            ("cache", self.cache.is_some()),
            ("queue", self.queue.is_some()),
            ("single_breaker", self.single_breaker.is_some()),
            ("components", self.components.is_some()),
            ("websocket_active", self.websocket_active.is_some()),
            ("system", self.system.is_some()),
            ("ws", self.ws.is_some()),
            ("health_score", self.health_score.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(json: &str) -> Result<(ControlChanges, ProfileChanges), String> {
        parse::<SetRequest>(json.as_bytes()).and_then(SetRequest::split)
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            "not json",
            r#"{"fault": "explode"}"#,
            r#"{"stauts": "OK"}"#,
            r#"{"delay_ms": -1}"#,
            r#"{"dependencies": {"redis": {"latency": 3}}}"#,
            r#"{"dependencies": {"redis": {"latency_ms": -3}}}"#,
            r#"{"endpoint": "/health"}"#,
            r#"{"fault": "hang", "endpoint": "/_fleet/state"}"#,
            r#"{"fault": "hang", "endpoint": "health"}"#,
            r#"{"fault": "status", "status_code": 99}"#,
            r#"{"rate_limit_per_second": 0}"#,
            r#"{"breakers": {"a": {"state": "OPEN", "colour": "red"}}}"#,
            r#"{"stream_fault": "explode"}"#,
            r#"{"flood_per_second": 0}"#,
            r#"{"oversized_bytes": 0}"#,
            r#"{"ws_ping_interval_ms": 0}"#,
        ] {
            assert!(split(body).is_err(), "{body}");
        }
    }

    #[test]
    fn control_changes_set_faults_and_parameters() {
        let mut control = Control::default();
        let (changes, _) = split(
            r#"{"fault": "status", "status_code": 418, "endpoint": "/api/cache/stats",
                "delay_ms": 1500, "rate_limit_per_second": 5}"#,
        )
        .unwrap_or_default();
        changes.apply(&mut control);
        assert_eq!(control.faults.for_path("/api/cache/stats"), Fault::Status);
        assert_eq!(control.faults.for_path("/health"), Fault::None);
        assert_eq!(control.status_code, Some(418));
        assert_eq!(control.delay, Some(Duration::from_millis(1500)));
        assert_eq!(control.rate_limit_per_second, Some(5));

        let (changes, _) = split(r#"{"rate_limit_per_second": null}"#).unwrap_or_default();
        changes.apply(&mut control);
        assert_eq!(control.rate_limit_per_second, None);
    }

    #[test]
    fn profile_fields_are_named() {
        let (_, changes) =
            split(r#"{"cache": {"hit_rate": 0.42}, "queue": {"depth": 900}, "fault": "hang"}"#)
                .unwrap_or_default();
        assert_eq!(changes.named(), ["cache", "queue"]);
    }
}
