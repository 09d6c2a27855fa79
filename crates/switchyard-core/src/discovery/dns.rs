//! DNS discovery with hickory's resolver: A/AAAA records of `host` on the configured
//! port, or SRV records whose targets are resolved through the same server. A name
//! that does not resolve, or a server that does not answer, is an error that names the
//! name, the server and what it said; the caller shows it on that service alone.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::{ResolveError, TokioResolver};

use super::{DiscoveryError, DnsDiscovery, DnsQuery, Instance};

/// How long one question may take, all attempts included: a refresh must not hang on a
/// silent server.
const QUESTION_DEADLINE: Duration = Duration::from_secs(2);

/// The instances `discovery` finds now, in a stable order (by address).
pub async fn resolve(discovery: &DnsDiscovery) -> Result<Vec<Instance>, DiscoveryError> {
    let resolver = resolver_for(discovery.resolver)?;
    let server = discovery
        .resolver
        .map_or_else(|| "the system's resolver".to_owned(), |a| a.to_string());
    let failed = |name: &str, error: ResolveError| DiscoveryError {
        message: if error.is_no_records_found() {
            format!("{name} has no records at {server}")
        } else {
            format!("{name} could not be resolved at {server}: {error}")
        },
    };
    let mut instances = match &discovery.query {
        DnsQuery::Address { host, port } => {
            let addresses = addresses_of(&resolver, host)
                .await
                .map_err(|e| failed(host, e))?;
            addresses
                .into_iter()
                .map(|ip| Instance::at("http", SocketAddr::new(ip, *port)))
                .collect::<Vec<_>>()
        }
        DnsQuery::Srv { name } => {
            let scheme = if name.starts_with("_https.") {
                "https"
            } else {
                "http"
            };
            let records = with_deadline(resolver.srv_lookup(name.as_str()))
                .await
                .map_err(|e| failed(name, e))?;
            let mut instances = Vec::new();
            for record in records.iter() {
                let target = record.target().to_utf8();
                let target = target.trim_end_matches('.');
                let addresses = addresses_of(&resolver, target)
                    .await
                    .map_err(|e| failed(target, e))?;
                instances.extend(
                    addresses
                        .into_iter()
                        .map(|ip| Instance::at(scheme, SocketAddr::new(ip, record.port()))),
                );
            }
            instances
        }
    };
    instances.sort();
    instances.dedup();
    Ok(instances)
}

async fn addresses_of(
    resolver: &TokioResolver,
    host: &str,
) -> Result<Vec<std::net::IpAddr>, ResolveError> {
    let found = with_deadline(resolver.lookup_ip(host)).await?;
    Ok(found.iter().collect())
}

async fn with_deadline<T>(
    question: impl std::future::Future<Output = Result<T, ResolveError>>,
) -> Result<T, ResolveError> {
    match tokio::time::timeout(QUESTION_DEADLINE, question).await {
        Ok(answer) => answer,
        Err(_) => Err(ResolveError::from(format!(
            "no answer within {}",
            humantime::format_duration(QUESTION_DEADLINE)
        ))),
    }
}

/// A resolver asking `server` (UDP, then TCP for long answers), or the system's. No
/// cache: each refresh must see records that changed, and refreshes are seconds apart.
fn resolver_for(server: Option<SocketAddr>) -> Result<TokioResolver, DiscoveryError> {
    let mut options = ResolverOpts::default();
    options.cache_size = 0;
    options.timeout = QUESTION_DEADLINE / 2;
    options.attempts = 1;
    options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    // The hosts file is the machine's, not the fleet's: a test's names must come from
    // the server they were asked of.
    options.use_hosts_file = ResolveHosts::Never;
    let builder = match server {
        Some(address) => TokioResolver::builder_with_config(
            ResolverConfig::from_parts(
                None,
                Vec::new(),
                NameServerConfigGroup::from_ips_clear(&[address.ip()], address.port(), true),
            ),
            TokioConnectionProvider::default(),
        ),
        None => TokioResolver::builder_tokio().map_err(|e| DiscoveryError {
            message: format!("the system's DNS configuration cannot be read: {e}"),
        })?,
    };
    Ok(builder.with_options(options).build())
}
