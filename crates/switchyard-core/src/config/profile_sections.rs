//! The sections a profile takes from a service's configuration, read and checked:
//! `[service.prometheus]` (the scrape path and series mappings) and `[service.mapping]`
//! (the JSONPath expressions, compiled once here so a bad one fails at load with its
//! line). Each is refused on a service of another profile.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::ConfigError;
use crate::profiles::json_mapping::{self, MappingSettings};
use crate::profiles::prometheus::{PrometheusSettings, SeriesMapping};
use crate::profiles::Profile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrometheus {
    path: Option<String>,
    #[serde(default)]
    series: Vec<RawSeries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeries {
    metric: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(rename = "as")]
    as_series: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMapping {
    endpoint: String,
    status: Option<String>,
    #[serde(default)]
    status_words: BTreeMap<String, Vec<String>>,
    breakers: Option<String>,
    breaker_name: Option<String>,
    breaker_state: Option<String>,
    queue_depth: Option<String>,
    queue_capacity: Option<String>,
    cache_hit_rate: Option<String>,
    cache_hits: Option<String>,
    cache_misses: Option<String>,
}

pub(super) fn validate_prometheus(
    source: &Source,
    raw: Option<&Spanned<RawPrometheus>>,
    profile: Option<Profile>,
    name: &str,
) -> Result<Option<PrometheusSettings>, ConfigError> {
    let Some(spanned) = raw else { return Ok(None) };
    if profile != Some(Profile::Prometheus) {
        return Err(source.error_at(
            spanned,
            format!("service `{name}`: [service.prometheus] is only for profile = \"prometheus\""),
        ));
    }
    let raw = spanned.get_ref();
    let path = raw.path.clone().unwrap_or_else(|| "/metrics".to_string());
    if !path.starts_with('/') {
        return Err(source.error_at(
            spanned,
            format!("service `{name}`: prometheus.path must start with /"),
        ));
    }
    Ok(Some(PrometheusSettings {
        path,
        series: raw
            .series
            .iter()
            .map(|s| SeriesMapping {
                metric: s.metric.clone(),
                labels: s.labels.clone(),
                as_series: s.as_series.clone(),
            })
            .collect(),
    }))
}

pub(super) fn validate_mapping(
    source: &Source,
    raw: Option<&Spanned<RawMapping>>,
    profile: Option<Profile>,
    name: &str,
) -> Result<Option<MappingSettings>, ConfigError> {
    let Some(spanned) = raw else { return Ok(None) };
    if profile != Some(Profile::JsonMapping) {
        return Err(source.error_at(
            spanned,
            format!("service `{name}`: [service.mapping] is only for profile = \"json-mapping\""),
        ));
    }
    let raw = spanned.get_ref();
    for word in raw.status_words.keys() {
        if !matches!(word.as_str(), "ok" | "degraded" | "down") {
            return Err(source.error_at(
                spanned,
                format!("service `{name}`: status_words takes ok, degraded and down, not `{word}`"),
            ));
        }
    }
    let settings = MappingSettings {
        endpoint: raw.endpoint.clone(),
        status: raw.status.clone(),
        status_words: raw.status_words.clone(),
        breakers: raw.breakers.clone(),
        breaker_name: raw.breaker_name.clone(),
        breaker_state: raw.breaker_state.clone(),
        queue_depth: raw.queue_depth.clone(),
        queue_capacity: raw.queue_capacity.clone(),
        cache_hit_rate: raw.cache_hit_rate.clone(),
        cache_hits: raw.cache_hits.clone(),
        cache_misses: raw.cache_misses.clone(),
    };
    json_mapping::validate(&settings)
        .map_err(|e| source.error_at(spanned, format!("service `{name}`: mapping: {e}")))?;
    Ok(Some(settings))
}
