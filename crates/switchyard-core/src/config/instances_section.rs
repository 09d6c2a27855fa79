//! A service's instances as the configuration names them: `base_url` (one instance),
//! `instances = [...]` (a static list) or `discover = { dns = "…" }` (DNS, re-resolved
//! every `refresh`), exactly one of the three; and `quorum`, how many instances must be
//! up for the service to count as up (all of them when unset: the worst instance
//! decides).

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::ConfigError;
use crate::discovery::{instance_id, DnsDiscovery, DnsQuery, Instance};

/// How often DNS is asked again when `refresh` is not set.
const DEFAULT_REFRESH: Duration = Duration::from_secs(30);
/// Asking DNS more often than this is a load test of the resolver.
const MIN_REFRESH: Duration = Duration::from_millis(500);

/// Where a service's instances come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceSource {
    /// One instance at the service's `base_url`.
    Single,
    /// `instances = [...]`: these, always.
    Static(Vec<Instance>),
    /// `discover = { dns = … }`: what DNS says on each refresh.
    Dns(DnsDiscovery),
}

impl InstanceSource {
    /// What the window shows where a single service shows its URL: "2 instances listed",
    /// "dns checkout.internal:8080".
    pub fn describe(&self, base_url: &str) -> String {
        match self {
            InstanceSource::Single => base_url.to_string(),
            InstanceSource::Static(list) => format!("{} instances listed", list.len()),
            InstanceSource::Dns(dns) => match &dns.query {
                DnsQuery::Address { host, port } => format!("dns {host}:{port}"),
                DnsQuery::Srv { name } => format!("dns {name}"),
            },
        }
    }

    pub fn is_single(&self) -> bool {
        matches!(self, InstanceSource::Single)
    }
}

/// `discover = { dns = "…", resolver = "…", refresh = "…" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscover {
    dns: String,
    resolver: Option<String>,
    refresh: Option<String>,
}

/// The three ways of naming instances, as written.
pub(super) struct RawInstances<'a> {
    pub(super) base_url: Option<&'a Spanned<String>>,
    pub(super) instances: Option<&'a Spanned<Vec<String>>>,
    pub(super) discover: Option<&'a Spanned<RawDiscover>>,
    pub(super) quorum: Option<&'a Spanned<u32>>,
    /// Where to point an error about the service as a whole.
    pub(super) name_at: &'a Spanned<String>,
}

/// The service's base URL (for one instance; else a description of where its instances
/// come from), its instances and its quorum.
pub(super) fn validate_instances(
    source: &Source,
    raw: RawInstances,
    name: &str,
    validate_url: impl Fn(&Spanned<String>) -> Result<String, ConfigError>,
) -> Result<(String, InstanceSource, Option<u32>), ConfigError> {
    let given = [
        raw.base_url.is_some(),
        raw.instances.is_some(),
        raw.discover.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        return Err(source.error_at(
            raw.name_at,
            format!(
                "service `{name}`: give exactly one of base_url (one instance), instances = [...] (several) or discover = {{ dns = \"host:port\" }}"
            ),
        ));
    }
    let instances = if let Some(list) = raw.instances {
        if list.get_ref().is_empty() {
            return Err(source.error_at(
                list,
                format!("service `{name}`: instances is empty; list at least one URL"),
            ));
        }
        let mut instances = Vec::new();
        for url in list.get_ref() {
            // The list's own position: TOML gives no span per element here.
            let spanned = Spanned::new(list.span(), url.clone());
            let base_url = validate_url(&spanned)?;
            let id = instance_id(&base_url);
            if instances.iter().any(|i: &Instance| i.id == id) {
                return Err(source.error_at(
                    list,
                    format!("service `{name}`: instance `{id}` is listed twice"),
                ));
            }
            instances.push(Instance { id, base_url });
        }
        InstanceSource::Static(instances)
    } else if let Some(discover) = raw.discover {
        InstanceSource::Dns(validate_discover(source, discover, name)?)
    } else {
        InstanceSource::Single
    };
    let base_url = match raw.base_url {
        Some(url) => validate_url(url)?,
        None => instances.describe(""),
    };
    let quorum = match raw.quorum {
        Some(q) if *q.get_ref() == 0 => {
            return Err(source.error_at(
                q,
                format!(
                    "service `{name}`: quorum must be at least 1 (how many instances must be up)"
                ),
            ));
        }
        Some(q) if instances.is_single() => {
            return Err(source.error_at(
                q,
                format!("service `{name}`: quorum needs several instances (instances or discover)"),
            ));
        }
        Some(q) => Some(*q.get_ref()),
        None => None,
    };
    Ok((base_url, instances, quorum))
}

fn validate_discover(
    source: &Source,
    spanned: &Spanned<RawDiscover>,
    name: &str,
) -> Result<DnsDiscovery, ConfigError> {
    let raw = spanned.get_ref();
    let fail = |message: String| {
        source.error_at(spanned, format!("service `{name}`: discover: {message}"))
    };
    let query = DnsQuery::parse(&raw.dns).map_err(fail)?;
    let resolver = raw
        .resolver
        .as_deref()
        .map(|text| {
            text.parse::<SocketAddr>().map_err(|_| {
                fail(format!(
                    "resolver `{text}` is not an address with a port, e.g. `127.0.0.1:53`"
                ))
            })
        })
        .transpose()?;
    let refresh = match raw.refresh.as_deref() {
        Some(text) => {
            crate::units::parse_duration(text).map_err(|e| fail(format!("refresh: {e}")))?
        }
        None => DEFAULT_REFRESH,
    };
    if refresh < MIN_REFRESH {
        return Err(fail("refresh must be at least 500ms".into()));
    }
    Ok(DnsDiscovery {
        query,
        resolver,
        refresh,
    })
}
