//! `prometheus` (CONTRACTS.md §7): the text exposition format and OpenMetrics.
//! PLACEHOLDER: the reader is being written; settings are final.

use std::collections::BTreeMap;

use super::{Endpoint, ParseError, ProfileReader, Reading, Response};

/// `[service.prometheus]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusSettings {
    /// The metrics path, `/metrics` unless configured (Spring: `/actuator/prometheus`).
    pub path: String,
    /// Extra series to map onto normalised names.
    pub series: Vec<SeriesMapping>,
}

impl Default for PrometheusSettings {
    fn default() -> Self {
        PrometheusSettings {
            path: "/metrics".to_string(),
            series: Vec::new(),
        }
    }
}

/// `{ metric = "cache_gets_total", labels = { result = "hit" }, as = "cache.hits" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesMapping {
    pub metric: String,
    /// Every one of these must match; other labels are ignored (and summed over).
    pub labels: BTreeMap<String, String>,
    /// The normalised series name.
    pub as_series: String,
}

pub fn endpoints(settings: Option<&PrometheusSettings>) -> Vec<Endpoint> {
    let default = PrometheusSettings::default();
    vec![Endpoint::primary(&settings.unwrap_or(&default).path)]
}

pub struct Reader {
    #[allow(dead_code)]
    settings: PrometheusSettings,
}

impl Reader {
    pub fn new(settings: PrometheusSettings) -> Reader {
        Reader { settings }
    }
}

impl ProfileReader for Reader {
    fn read(&mut self, _endpoint: &str, _response: &Response<'_>) -> Result<Reading, ParseError> {
        Err(ParseError::new(
            "unsupported",
            "the prometheus profile is not implemented yet",
        ))
    }
}
