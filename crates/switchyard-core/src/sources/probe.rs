//! One round of polls of a service that is not configured yet: what `switchyard-cli
//! probe` prints and what the window's "watch your own services" dialog shows before
//! the engineer confirms. Without a profile the profile is detected first (`detect.rs`,
//! through the poller), so both see the same detection, the same reading and, when the
//! service cannot be read, the same reachability kind and message.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::http;
use super::poller::ServicePoller;
use crate::clock::SystemClock;
use crate::config::ServiceConfig;
use crate::model::Observation;
use crate::profiles::Profile;
use crate::secrets::HeaderSource;

/// How long a probe waits for each answer unless told otherwise.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What to probe: a base URL, optionally a profile and headers (as references).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProbeRequest {
    pub base_url: String,
    /// A profile name; detected when absent or empty.
    #[serde(default)]
    pub profile: Option<String>,
    /// Header name and value: a reference (`env:NAME`, `keyring:SERVICE/ACCOUNT`) or a
    /// literal for the few harmless headers.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

/// What one probe saw.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ProbeReport {
    /// The normalised observation, as `switchyard-cli probe` prints it; its `profile`
    /// is the one detected (or `unknown`) when none was given.
    pub observation: Observation,
    /// True when the profile was detected rather than given.
    pub detected: bool,
    /// A name for the service, from its address, for the dialog to offer.
    pub suggested_name: String,
}

/// The service a probe polls: a name from the address, an interval just above the
/// timeout (one round only), the headers checked as the configuration checks them.
pub fn service_to_probe(
    request: &ProbeRequest,
    timeout: Duration,
) -> Result<ServiceConfig, String> {
    let profile = request
        .profile
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Profile::from_name)
        .transpose()?;
    let base_url = request.base_url.trim().trim_end_matches('/');
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!(
            "`{}` is not an http:// or https:// URL",
            request.base_url.trim()
        ));
    }
    let name = http::describe_place(base_url)
        .trim_end_matches('/')
        .to_string();
    let mut service = ServiceConfig::new(&name, base_url, profile);
    service.poll_interval = timeout * 2;
    service.timeout = timeout;
    for (key, value) in &request.headers {
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        service
            .headers
            .push((key.to_string(), HeaderSource::parse(key, value.trim())?));
    }
    Ok(service)
}

/// Polls the service once (detecting its profile when none is given).
pub async fn probe(service: ServiceConfig) -> ProbeReport {
    let detected = service.profile.is_none();
    let suggested_name = suggest_name(&service.base_url);
    let mut poller = ServicePoller::new(service);
    let (observation, _) = poller.poll_round(&http::build_client(), &SystemClock).await;
    ProbeReport {
        observation,
        detected,
        suggested_name,
    }
}

/// `http://orders.internal:8080` → `orders`; an address without a host name
/// (`127.0.0.1:8001`) is named by its host and port.
pub fn suggest_name(base_url: &str) -> String {
    let Ok(url) = reqwest::Url::parse(base_url) else {
        return "service".to_string();
    };
    let host = url.host_str().unwrap_or_default();
    let is_address = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    if host.is_empty() || is_address || host == "localhost" {
        return http::describe_place(base_url)
            .trim_end_matches('/')
            .to_string();
    }
    host.split('.').next().unwrap_or(host).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> ProbeRequest {
        ProbeRequest {
            base_url: url.into(),
            profile: None,
            headers: Vec::new(),
        }
    }

    #[test]
    fn names_come_from_the_host() {
        assert_eq!(suggest_name("http://orders.internal:8080"), "orders");
        assert_eq!(suggest_name("http://127.0.0.1:8001"), "127.0.0.1:8001");
        assert_eq!(suggest_name("http://localhost:9000"), "localhost:9000");
    }

    #[test]
    fn what_is_probed_is_checked_as_the_configuration_checks_it() {
        let err = service_to_probe(&request("ftp://x"), DEFAULT_PROBE_TIMEOUT).unwrap_err();
        assert!(err.contains("not an http:// or https:// URL"), "{err}");
        let mut with_secret = request("http://127.0.0.1:1/");
        with_secret.headers = vec![("X-Key".into(), "plain-secret".into())];
        let err = service_to_probe(&with_secret, DEFAULT_PROBE_TIMEOUT).unwrap_err();
        assert!(
            err.contains("env:NAME") && !err.contains("plain-secret"),
            "{err}"
        );
        let mut pinned = request("http://127.0.0.1:1/");
        pinned.profile = Some("health-contract".into());
        let service = service_to_probe(&pinned, DEFAULT_PROBE_TIMEOUT).unwrap();
        assert_eq!(service.base_url, "http://127.0.0.1:1");
        assert_eq!(service.profile, Some(Profile::HealthContract));
        assert!(service.timeout < service.poll_interval);
    }
}
