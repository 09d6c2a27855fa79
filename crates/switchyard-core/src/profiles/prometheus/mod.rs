//! `prometheus` (docs/contracts.md): the Prometheus text exposition format and
//! OpenMetrics, read into Resilience4j breakers, bulkhead queue samples and the series
//! the configuration maps onto normalised names.
//!
//! The parts, by job: `exposition` reads the text format into samples; `interpret`
//! maps the samples onto the model (breakers, queue, configured series). This file
//! holds the settings, the endpoint and the reader that chains the two.

mod exposition;
mod interpret;

use std::collections::BTreeMap;

use super::{Endpoint, ParseError, ProfileReader, Reading, Response};
pub use exposition::{parse_exposition, parse_exposition_of, Series};
pub use interpret::{interpret, reads_metric};

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

/// Reads one service's scrapes. A scrape stands alone; the reader only keeps the
/// settings. It reads whichever endpoint it is given: the profile polls exactly one, and
/// detection tries `/metrics` whatever the configuration says.
pub struct Reader {
    settings: PrometheusSettings,
}

impl Reader {
    pub fn new(settings: PrometheusSettings) -> Reader {
        Reader { settings }
    }
}

impl ProfileReader for Reader {
    fn read(&mut self, _endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
        let series = parse_exposition_of(response.body, |name| reads_metric(name, &self.settings))?;
        Ok(interpret(&series, &self.settings))
    }
}

#[cfg(test)]
mod tests;
