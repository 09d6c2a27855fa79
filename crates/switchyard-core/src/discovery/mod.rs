//! A service's instances: the replicas behind one name. A static list from the
//! configuration, or DNS (`discover = { dns = "host:port" }` for every A/AAAA record,
//! `discover = { dns = "_http._tcp.name" }` for SRV records), re-resolved on a refresh
//! so replicas come and go without a restart.
//!
//! This module answers "which instances are there now"; polling each instance, keeping
//! the instances that vanished as gone for a while, and aggregating them into the
//! service are the engine's and the sources' jobs.

pub mod dns;

use std::net::SocketAddr;
use std::time::Duration;

pub use dns::resolve;

/// One instance of a service: where to poll it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instance {
    /// How the instance is named to the engineer and in the history: `host:port`.
    pub id: String,
    /// The base URL its profile's endpoints are appended to.
    pub base_url: String,
}

impl Instance {
    /// The instance at `address`, spoken to with `scheme` (`http` or `https`).
    pub fn at(scheme: &str, address: SocketAddr) -> Instance {
        // `SocketAddr` writes IPv6 in brackets, as a URL needs it.
        let id = address.to_string();
        Instance {
            base_url: format!("{scheme}://{id}"),
            id,
        }
    }
}

/// An instance's name from its URL (`http://10.0.0.5:8080` → `10.0.0.5:8080`, the
/// scheme's port when none is written); a name already in that form is kept.
pub fn instance_id(url_or_id: &str) -> String {
    match reqwest::Url::parse(url_or_id) {
        Ok(url) if url.has_host() => {
            // IPv6 hosts come bracketed, as `host:port` needs them.
            let host = url.host_str().unwrap_or_default();
            match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            }
        }
        _ => url_or_id.trim_end_matches('/').to_string(),
    }
}

/// What a DNS discovery asks, and of whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsDiscovery {
    pub query: DnsQuery,
    /// The DNS server to ask; the system's resolvers when none.
    pub resolver: Option<SocketAddr>,
    /// How often the records are read again.
    pub refresh: Duration,
}

/// The two forms of `discover = { dns = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsQuery {
    /// `host:port`: every A and AAAA record of `host` is an instance on `port`.
    Address { host: String, port: u16 },
    /// `_service._proto.name`: each SRV record gives a target host and a port; the
    /// target's addresses are asked of the same resolver. `_https.` speaks https.
    Srv { name: String },
}

impl DnsQuery {
    /// Reads the configuration's `dns` value, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<DnsQuery, String> {
        let text = text.trim().trim_end_matches('.');
        if text.starts_with('_') {
            let labels: Vec<&str> = text.split('.').collect();
            if labels.len() < 3
                || !labels[1].starts_with('_')
                || labels.iter().any(|l| l.is_empty())
            {
                return Err(format!(
                    "`{text}` is not an SRV name: write it as `_service._proto.name`, e.g. `_http._tcp.checkout.internal`"
                ));
            }
            return Ok(DnsQuery::Srv {
                name: text.to_owned(),
            });
        }
        let Some((host, port)) = text.rsplit_once(':') else {
            return Err(format!(
                "`{text}` needs a port (`host:port`, e.g. `checkout.internal:8080`), or an SRV name starting with `_`"
            ));
        };
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{port}` in `{text}` is not a port (1–65535)"))?;
        if host.is_empty() || host.contains(['/', ' ', '[', ']']) {
            return Err(format!("`{host}` in `{text}` is not a host name"));
        }
        Ok(DnsQuery::Address {
            host: host.to_owned(),
            port,
        })
    }

    /// The name asked for, for messages.
    pub fn name(&self) -> &str {
        match self {
            DnsQuery::Address { host, .. } => host,
            DnsQuery::Srv { name } => name,
        }
    }
}

/// Why the instances could not be read: shown on the service as its `dns` reachability.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DiscoveryError {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_forms_of_a_dns_discovery() {
        assert_eq!(
            DnsQuery::parse("checkout.internal:8080").unwrap(),
            DnsQuery::Address {
                host: "checkout.internal".into(),
                port: 8080
            }
        );
        assert_eq!(
            DnsQuery::parse("_http._tcp.checkout.internal.").unwrap(),
            DnsQuery::Srv {
                name: "_http._tcp.checkout.internal".into()
            }
        );
        for (bad, says) in [
            ("checkout.internal", "needs a port"),
            ("checkout.internal:0", "is not a port"),
            ("checkout.internal:http", "is not a port"),
            (":8080", "is not a host name"),
            ("_http.checkout", "is not an SRV name"),
            ("_http.._tcp", "is not an SRV name"),
        ] {
            let error = DnsQuery::parse(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn an_instance_is_named_from_its_url_or_kept_as_named() {
        assert_eq!(instance_id("http://10.0.0.5:8080/"), "10.0.0.5:8080");
        assert_eq!(
            instance_id("https://checkout.internal"),
            "checkout.internal:443"
        );
        assert_eq!(instance_id("http://[fd00::6]:8080"), "[fd00::6]:8080");
        assert_eq!(instance_id("10.0.0.5:8080"), "10.0.0.5:8080");
    }

    #[test]
    fn an_instance_is_named_by_its_address_and_ipv6_is_bracketed() {
        let v4 = Instance::at("http", "10.0.0.5:8080".parse().unwrap());
        assert_eq!(
            (v4.id.as_str(), v4.base_url.as_str()),
            ("10.0.0.5:8080", "http://10.0.0.5:8080")
        );
        let v6 = Instance::at("https", "[fd00::5]:8443".parse().unwrap());
        assert_eq!(v6.base_url, "https://[fd00::5]:8443");
    }
}
