//! A service's chart from its engine, for a range that reaches past what the local
//! history holds: the console has kept only what it saw since it started (or since
//! retention), while the team's engine has kept everything it scraped. The standard
//! series the engine's readings produce are asked back as PromQL over the range
//! (`query_range`, the step and alignment of [`super::range`]); the engine's warnings
//! come with the points, to be shown on the chart they concern.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::api::{EngineApi, QueryError};
use super::range::{read_range, step_for};
use crate::config::EngineConfig;

/// The scrape interval assumed for the step's floor: the engine does not say it.
const SCRAPE: Duration = Duration::from_secs(15);

/// Points of one series from an engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EnginePoints {
    /// `(milliseconds since the epoch, value)`, in time order; no NaN.
    pub points: Vec<(i64, f64)>,
    pub step: Duration,
    pub warnings: Vec<String>,
}

/// Reads the history of an engine's services.
#[derive(Debug, Clone)]
pub struct EngineHistory {
    api: EngineApi,
    engine: EngineConfig,
}

impl EngineHistory {
    pub fn new(client: reqwest::Client, engine: &EngineConfig) -> EngineHistory {
        EngineHistory {
            api: EngineApi::new(client, engine),
            engine: engine.clone(),
        }
    }

    /// The engine's configured name.
    pub fn name(&self) -> &str {
        &self.engine.name
    }

    /// The PromQL that gives `series` of `service` (summed over its instances; ratios
    /// as a ratio of sums), with rates over `window`; `None` for a series an engine's
    /// readings do not produce.
    pub fn promql(&self, service: &str, series: &str, window: Duration) -> Option<String> {
        let mut matchers = vec![format!(
            "{}=\"{}\"",
            self.engine.service_label,
            service.replace('\\', "\\\\").replace('"', "\\\"")
        )];
        if let Some(selector) = &self.engine.selector {
            matchers.insert(0, selector.clone());
        }
        let sel = matchers.join(", ");
        let window = format!("{}s", window.as_secs().max(1));
        Some(match series {
            "cache.hit_rate" => format!(
                "sum(rate(cache_gets_total{{{sel}, result=\"hit\"}}[{window}])) / sum(rate(cache_gets_total{{{sel}}}[{window}]))"
            ),
            "queue.depth" => format!("sum(resilience4j_bulkhead_queue_depth{{{sel}}})"),
            "queue.capacity" => format!("sum(resilience4j_bulkhead_queue_capacity{{{sel}}})"),
            _ => return None,
        })
    }

    /// `series` of `service` from `from` to `until`, for a chart `pixels` wide; `None`
    /// for a series the engine cannot give.
    pub async fn points(
        &self,
        service: &str,
        series: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        pixels: u32,
    ) -> Result<Option<EnginePoints>, QueryError> {
        let range = (until - from).to_std().unwrap_or_default();
        let step = step_for(range, pixels, SCRAPE);
        // A rate needs at least two scrapes inside its window, and should cover a step.
        let window = step.max(Duration::from_secs(300));
        let Some(promql) = self.promql(service, series, window) else {
            return Ok(None);
        };
        let answer = read_range(
            &self.api,
            &promql,
            from.timestamp_millis() as f64 / 1000.0,
            until.timestamp_millis() as f64 / 1000.0,
            pixels,
            SCRAPE,
        )
        .await?;
        let points = answer
            .result
            .into_iter()
            .next()
            .map(|series| {
                series
                    .points
                    .into_iter()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(t, v)| ((t * 1000.0).round() as i64, v))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(EnginePoints {
            points,
            step,
            warnings: answer.warnings,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_become_promql_for_one_service() {
        let mut engine = EngineConfig::new("prod", "http://x");
        engine.selector = Some("env=\"prod\"".into());
        let history = EngineHistory::new(reqwest::Client::new(), &engine);
        assert_eq!(
            history
                .promql("orders", "queue.depth", Duration::from_secs(300))
                .unwrap(),
            "sum(resilience4j_bulkhead_queue_depth{env=\"prod\", job=\"orders\"})"
        );
        assert!(history
            .promql("a\"b", "cache.hit_rate", Duration::from_secs(600))
            .unwrap()
            .contains("job=\"a\\\"b\", result=\"hit\"}[600s]"));
        assert_eq!(
            history.promql("orders", "system.cpu_percent", Duration::from_secs(300)),
            None
        );
    }
}
