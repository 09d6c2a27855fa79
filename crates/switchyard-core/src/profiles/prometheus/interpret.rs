//! The samples of a scrape mapped onto the model: Resilience4j breakers (state, failure
//! rate, calls), the bulkhead queue, and the series the configuration maps onto
//! normalised names.

use std::collections::HashMap;

use super::{PrometheusSettings, Series, SeriesMapping};
use crate::model::{Breaker, BreakerState};
use crate::profiles::words::breaker_state;
use crate::profiles::Reading;

/// A breaker's numbers as they arrive, before they become a [`Breaker`].
#[derive(Default)]
struct Pending {
    state: Option<BreakerState>,
    failure_rate: Option<f64>,
    /// From the timer (`…_calls_seconds_count`), preferred when present.
    timer: CallCounts,
    /// From the 1.x counter (`…_calls`, `…_calls_total`).
    counter: CallCounts,
    not_permitted: Option<f64>,
}

#[derive(Default, Clone, Copy)]
struct CallCounts {
    failed: Option<f64>,
    successful: Option<f64>,
}

impl CallCounts {
    fn add(&mut self, kind: Option<&str>, value: f64) {
        match kind {
            Some("failed") => add(&mut self.failed, value),
            Some("successful") => add(&mut self.successful, value),
            _ => {} // ignored calls, slow calls: not part of either count
        }
    }

    fn is_empty(&self) -> bool {
        self.failed.is_none() && self.successful.is_none()
    }
}

fn add(total: &mut Option<f64>, value: f64) {
    if value.is_finite() {
        *total = Some(total.unwrap_or(0.0) + value);
    }
}

/// Breakers in the order their names first appear.
#[derive(Default)]
struct Breakers {
    names: Vec<String>,
    index: HashMap<String, usize>,
    pending: Vec<Pending>,
}

impl Breakers {
    /// The breaker a series is about, by its `name` label; series without one are
    /// skipped, since there is nothing to attach them to.
    fn of(&mut self, series: &Series) -> Option<&mut Pending> {
        let name = series.label("name")?;
        let slot = match self.index.get(name) {
            Some(slot) => *slot,
            None => {
                self.names.push(name.to_string());
                self.pending.push(Pending::default());
                self.index.insert(name.to_string(), self.pending.len() - 1);
                self.pending.len() - 1
            }
        };
        self.pending.get_mut(slot)
    }

    fn finish(self) -> Vec<Breaker> {
        self.names
            .into_iter()
            .zip(self.pending)
            .map(|(name, p)| {
                let calls = if p.timer.is_empty() {
                    p.counter
                } else {
                    p.timer
                };
                Breaker {
                    name,
                    state: p.state.unwrap_or(BreakerState::Unknown),
                    failure_count: calls.failed,
                    success_count: calls.successful,
                    failure_rate: p.failure_rate,
                    backoff_seconds: None,
                    health_score: None,
                    call_count: p.not_permitted,
                    since: None,
                    reason: None,
                }
            })
            .collect()
    }
}

/// The state from `resilience4j_circuitbreaker_state`, in either form: with a `state`
/// label, the series whose value is 1 names the state; without one (0.x), the value is
/// the state's code.
fn read_state(pending: &mut Pending, series: &Series) {
    match series.label("state") {
        Some(word) if series.value == 1.0 => pending.state = Some(breaker_state(word)),
        Some(_) => {}
        None => pending.state = Some(state_code(series.value)),
    }
}

/// 0.x codes: 0 closed, 1 open, 2 half-open (the contract); 3..5 follow the rest of
/// Resilience4j's `State.order` (disabled, forced open, metrics only).
fn state_code(value: f64) -> BreakerState {
    const BY_CODE: [BreakerState; 6] = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
        BreakerState::Disabled,
        BreakerState::ForcedOpen,
        BreakerState::MetricsOnly,
    ];
    let whole = value >= 0.0 && value.fract() == 0.0;
    whole
        .then(|| BY_CODE.get(value as usize).copied())
        .flatten()
        .unwrap_or(BreakerState::Unknown)
}

/// Resilience4j exports the failure rate in percent (`getFailureRate()`), and -1 while
/// too few calls were recorded. It is always read as a percentage, even below 1: 0.5
/// is half a percent, and reading it as a ratio would show a 50 % failure rate.
fn failure_rate(percent: f64) -> Option<f64> {
    (percent.is_finite() && percent >= 0.0).then(|| (percent / 100.0).min(1.0))
}

/// Turns the samples into breakers and samples.
/// Whether [`interpret`] reads samples called `name`: Resilience4j's breakers and
/// bulkhead queues, and the configured mappings. The reader parses nothing else.
pub fn reads_metric(name: &str, settings: &PrometheusSettings) -> bool {
    name.starts_with("resilience4j_circuitbreaker_")
        || name.starts_with("resilience4j_bulkhead_queue_")
        || settings
            .series
            .iter()
            .any(|mapping| same_metric(name, &mapping.metric))
}

pub fn interpret(series: &[Series], settings: &PrometheusSettings) -> Reading {
    let mut breakers = Breakers::default();
    let mut queue_depth = None;
    let mut queue_capacity = None;
    for s in series {
        match s.name.as_str() {
            "resilience4j_circuitbreaker_state" => {
                if let Some(p) = breakers.of(s) {
                    read_state(p, s);
                }
            }
            "resilience4j_circuitbreaker_failure_rate" => {
                if let Some(p) = breakers.of(s) {
                    p.failure_rate = failure_rate(s.value);
                }
            }
            "resilience4j_circuitbreaker_calls_seconds_count" => {
                if let Some(p) = breakers.of(s) {
                    p.timer.add(s.label("kind"), s.value);
                }
            }
            "resilience4j_circuitbreaker_calls" | "resilience4j_circuitbreaker_calls_total" => {
                if let Some(p) = breakers.of(s) {
                    p.counter.add(s.label("kind"), s.value);
                }
            }
            "resilience4j_circuitbreaker_not_permitted_calls_total"
            | "resilience4j_circuitbreaker_not_permitted_calls" => {
                if let Some(p) = breakers.of(s) {
                    add(&mut p.not_permitted, s.value);
                }
            }
            // Summed over bulkheads: the standard series describe the service's one
            // queue, and the backpressure line (80 % of capacity) holds for the sum.
            "resilience4j_bulkhead_queue_depth" => add(&mut queue_depth, s.value),
            "resilience4j_bulkhead_queue_capacity" => add(&mut queue_capacity, s.value),
            _ => {}
        }
    }
    let mut reading = Reading {
        breakers: breakers.finish(),
        ..Reading::default()
    };
    reading.sample("queue.depth", queue_depth);
    reading.sample("queue.capacity", queue_capacity);
    for mapping in &settings.series {
        reading.sample(&mapping.as_series, mapped_sum(series, mapping));
    }
    reading
}

/// The sum of the series a mapping selects; `None` when it selects none, so an absent
/// metric is no data rather than zero.
fn mapped_sum(series: &[Series], mapping: &SeriesMapping) -> Option<f64> {
    let mut total = None;
    for s in series {
        let selected = same_metric(&s.name, &mapping.metric)
            && mapping
                .labels
                .iter()
                .all(|(key, value)| s.label(key) == Some(value.as_str()));
        if selected {
            add(&mut total, s.value);
        }
    }
    total
}

/// A counter is `x_total` in OpenMetrics and current Prometheus clients, and `x` in
/// older ones: a mapping written for either spelling matches both.
fn same_metric(sample: &str, wanted: &str) -> bool {
    sample == wanted
        || sample.strip_suffix("_total").unwrap_or(sample)
            == wanted.strip_suffix("_total").unwrap_or(wanted)
}
