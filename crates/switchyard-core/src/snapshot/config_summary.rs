//! The configuration of the exported services as the snapshot carries it: URLs through
//! the redactor, headers by reference (`env:NAME`, `keyring:S/A`), never a secret value.

use std::collections::BTreeSet;

use super::{ConfigSummary, HeaderSummary, Redactor, ServiceConfigSummary, REDACTED};
use crate::config::Config;
use crate::secrets::HeaderSource;

/// The configuration of the chosen services, secrets shown by reference only.
pub(super) fn config_summary(config: &Config, chosen: &BTreeSet<&str>) -> ConfigSummary {
    let redactor = Redactor::from_config(Some(config));
    ConfigSummary {
        services: config
            .services
            .iter()
            .filter(|s| chosen.contains(s.name.as_str()))
            .map(|s| ServiceConfigSummary {
                name: s.name.clone(),
                base_url: redactor.redact(&s.base_url),
                profile: s.profile.map(|p| p.name().to_string()),
                tags: s.tags.clone(),
                poll_interval_ms: u64::try_from(s.poll_interval.as_millis()).unwrap_or(u64::MAX),
                headers: s
                    .headers
                    .iter()
                    .map(|(name, source)| HeaderSummary {
                        name: name.clone(),
                        value: header_reference(name, source),
                    })
                    .collect(),
                streams: s.streams.iter().map(|st| st.path.clone()).collect(),
            })
            .collect(),
    }
}

/// A header's reference; a literal only for the harmless headers the configuration
/// accepts literally (anything else built by hand is assumed secret).
fn header_reference(name: &str, source: &HeaderSource) -> String {
    match source {
        HeaderSource::Secret(_) => source.describe(),
        HeaderSource::Literal(value) => {
            let harmless = ["accept", "accept-language", "user-agent", "content-type"]
                .contains(&name.to_ascii_lowercase().as_str());
            if harmless {
                value.clone()
            } else {
                REDACTED.to_string()
            }
        }
    }
}
