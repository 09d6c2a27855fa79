//! `GET /metrics` of a `breaker-registry` service: its live state in the Prometheus
//! text format, under the names Resilience4j's Micrometer binding gives them, so a real
//! Prometheus or VictoriaMetrics can scrape the fleet and the console's engine reader
//! is tested against what an engine really stores. A breaker tripped through the
//! control endpoint shows here at once, and in the engine at its next scrape.
//!
//! Breaker states come in the 1.x form (`resilience4j_circuitbreaker_state{name,state}`,
//! 1 for the state it is in and 0 for the others); failure rates in percent, as
//! Resilience4j gives them; the cache as `cache_gets_total{result="hit"|"miss"}`
//! counters (they restart at a clear, which Prometheus's `rate` understands as a
//! counter reset). The registry has no bulkhead, so no queue series.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{BreakerRegistry, Shared};
use crate::dynamics::breaker::BreakerState;

/// The text format's content type, as Spring Boot's actuator sends it.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every state Resilience4j's 1.x gauge lists, with the fleet's state it stands for.
const STATES: [(&str, Option<BreakerState>); 6] = [
    ("closed", Some(BreakerState::Closed)),
    ("open", Some(BreakerState::Open)),
    ("half_open", Some(BreakerState::HalfOpen)),
    ("forced_open", None),
    ("disabled", None),
    ("metrics_only", None),
];

/// `GET /metrics`.
pub(super) async fn metrics(State(state): Shared) -> Response {
    let body = state.with_model(|model, _| render(model));
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// The exposition of `model` now.
pub(super) fn render(model: &BreakerRegistry) -> String {
    let mut text = String::new();
    text.push_str("# HELP resilience4j_circuitbreaker_state The states of the circuit breaker\n");
    text.push_str("# TYPE resilience4j_circuitbreaker_state gauge\n");
    for (name, entry) in &model.breakers {
        for (word, state) in STATES {
            let value = u8::from(state == Some(entry.breaker.state));
            let _ = writeln!(
                text,
                "resilience4j_circuitbreaker_state{{name=\"{name}\",state=\"{word}\"}} {value}"
            );
        }
    }
    text.push_str(
        "# HELP resilience4j_circuitbreaker_failure_rate The failure rate of the circuit breaker\n",
    );
    text.push_str("# TYPE resilience4j_circuitbreaker_failure_rate gauge\n");
    for (name, entry) in &model.breakers {
        let rate = 100.0 - entry.breaker.success_rate_percent();
        let _ = writeln!(
            text,
            "resilience4j_circuitbreaker_failure_rate{{name=\"{name}\"}} {rate}"
        );
    }
    text.push_str("# HELP cache_gets_total The number of times cache lookup methods have returned a cached (hit) or uncached (miss) value\n");
    text.push_str("# TYPE cache_gets_total counter\n");
    let _ = writeln!(
        text,
        "cache_gets_total{{cache=\"registry\",result=\"hit\"}} {}",
        model.cache.hits
    );
    let _ = writeln!(
        text,
        "cache_gets_total{{cache=\"registry\",result=\"miss\"}} {}",
        model.cache.misses
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_breaker_has_one_state_at_one_and_a_failure_rate_in_percent() {
        let mut model = BreakerRegistry::new(false, 0);
        model
            .breakers
            .get_mut("database")
            .expect("the registry has a database breaker")
            .breaker
            .state = BreakerState::Open;
        let text = render(&model);
        assert!(text
            .contains("resilience4j_circuitbreaker_state{name=\"database\",state=\"open\"} 1\n"));
        assert!(text
            .contains("resilience4j_circuitbreaker_state{name=\"database\",state=\"closed\"} 0\n"));
        assert!(
            text.contains("resilience4j_circuitbreaker_state{name=\"redis\",state=\"closed\"} 1\n")
        );
        let ones = text
            .lines()
            .filter(|l| l.starts_with("resilience4j_circuitbreaker_state{") && l.ends_with(" 1"))
            .count();
        assert_eq!(ones, model.breakers.len());
        assert!(text.contains("resilience4j_circuitbreaker_failure_rate{name=\"redis\"} 0\n"));
        assert!(text.contains("cache_gets_total{cache=\"registry\",result=\"hit\"} 8500\n"));
    }
}
