//! The Prometheus/OpenMetrics reader on any sequence of scrapes, with series mappings
//! configured (labels matched and summed) as a `[service.prometheus]` section would: it
//! must refuse what it cannot read with a `ParseError`, never panic or allocate beyond
//! the bound. See `switchyard_fuzz` for the input format.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use switchyard_core::config::ServiceConfig;
use switchyard_core::profiles::prometheus::{PrometheusSettings, SeriesMapping};
use switchyard_core::profiles::{Profile, ProfileSettings};

fn service() -> ServiceConfig {
    let mapping = |metric: &str, labels: &[(&str, &str)], as_series: &str| SeriesMapping {
        metric: metric.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        as_series: as_series.to_string(),
    };
    let mut service = switchyard_fuzz::service(Profile::Prometheus);
    service.settings = ProfileSettings::Prometheus(PrometheusSettings {
        path: "/metrics".to_string(),
        series: vec![
            mapping("cache_gets_total", &[("result", "hit")], "cache.hits"),
            mapping("cache_gets_total", &[("result", "miss")], "cache.misses"),
            mapping("queue_depth", &[], "queue.depth"),
        ],
    });
    service
}

fuzz_target!(|data: &[u8]| switchyard_fuzz::read_service(&service(), data));
