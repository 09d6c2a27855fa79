//! `prometheus` (docs/contracts.md): the Prometheus text exposition format and
//! OpenMetrics, read into Resilience4j breakers, bulkhead queue samples and the series
//! the configuration maps onto normalised names.
//!
//! The grammar is `nom-openmetrics` (MIT, maintained, nom 8). Of the crates on
//! crates.io it is the only maintained one that knows both formats:
//! `openmetrics-parser` is LGPL-3.0 (awkward to link into an MIT application) and
//! rejects real Spring scrapes ("different label sets", units on histograms);
//! `prometheus-parse` splits labels on commas inside quoted values and never reports
//! an error. `nom-openmetrics` is strict where real exporters are loose, so each line
//! is pre-processed here before the crate reads it:
//! - `#` lines (HELP, TYPE, UNIT, comments) are skipped: only samples carry values;
//!   OpenMetrics' `# EOF` ends the document;
//! - the trailing comma of Prometheus simpleclient 0.x label sets (`{a="b",}`) is
//!   dropped, and so are timestamps and OpenMetrics exemplars (`… # {trace_id="…"} 1`);
//! - `+Inf`/`-Inf` values are read here, because the crate prints a debug line to
//!   stderr for every infinity it parses.
//!
//! The crate then reads the metric name, the labels (with escapes) and the value, line
//! by line, so an error names its line. OpenMetrics counters need no special case: the
//! sample is called `…_total` in both formats, and `_created` samples are ignored.

use std::collections::{BTreeMap, HashMap};

use nom_language::error::{VerboseError, VerboseErrorKind};

use super::words::breaker_state;
use super::{Endpoint, ParseError, ProfileReader, Reading, Response};
use crate::model::{Breaker, BreakerState};

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
        let series = parse_exposition(response.body)?;
        Ok(interpret(&series, &self.settings))
    }
}

/// One sample line of an exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Series {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every sample of a Prometheus or OpenMetrics text body, in document order.
pub fn parse_exposition(body: &[u8]) -> Result<Vec<Series>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ParseError::new(
            "not_text",
            format!(
                "the body is not UTF-8 text (invalid byte at offset {}), expected the Prometheus text format",
                e.valid_up_to()
            ),
        )
    })?;
    let mut series = Vec::new();
    // One buffer for the normalised line handed to the parser, reused for every line.
    let mut normalised = String::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            if comment.trim() == "EOF" {
                break;
            }
            continue;
        }
        series.push(parse_sample(line, index + 1, &mut normalised)?);
    }
    Ok(series)
}

fn invalid(line_number: usize, why: impl std::fmt::Display) -> ParseError {
    ParseError::new("invalid_exposition", format!("line {line_number}: {why}"))
}

/// A sample line's parts: the name with its label set, and the value token.
struct Parts<'a> {
    name: &'a str,
    /// Between the braces, trailing comma removed; `None` without braces.
    labels: Option<&'a str>,
    value: &'a str,
}

/// Splits a sample line, respecting quotes in label values. Whatever follows the value
/// (a timestamp, an exemplar) is left out.
fn split_sample(line: &str) -> Result<Parts<'_>, &'static str> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let (labels, after) = if line[name_end..].starts_with('{') {
        let close = closing_brace(line, name_end).ok_or("the label set is not closed")?;
        let inner = line[name_end + 1..close].trim_end();
        let inner = inner.strip_suffix(',').unwrap_or(inner);
        (Some(inner), &line[close + 1..])
    } else {
        (None, &line[name_end..])
    };
    let value = after
        .split_whitespace()
        .next()
        .ok_or("the sample has no value")?;
    Ok(Parts {
        name,
        labels,
        value,
    })
}

/// The index of the `}` closing the label set opened at `open`, outside quotes.
fn closing_brace(line: &str, open: usize) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (offset, c) in line[open..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '}' if !in_quotes => return Some(open + offset),
            _ => {}
        }
    }
    None
}

/// `+Inf`, `-Inf`, `Inf` (any case, `Infinity` too), which the exposition formats use.
fn infinity(value: &str) -> Option<f64> {
    let (sign, rest) = match value.as_bytes().first() {
        Some(b'-') => (-1.0, &value[1..]),
        Some(b'+') => (1.0, &value[1..]),
        _ => (1.0, value),
    };
    (rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity"))
        .then_some(sign * f64::INFINITY)
}

fn parse_sample(
    line: &str,
    line_number: usize,
    normalised: &mut String,
) -> Result<Series, ParseError> {
    let parts = split_sample(line)
        .map_err(|why| invalid(line_number, format!("{why}: `{}`", excerpt(line))))?;
    let infinite = infinity(parts.value);
    normalised.clear();
    normalised.push_str(parts.name);
    if let Some(labels) = parts.labels {
        normalised.push('{');
        normalised.push_str(labels);
        normalised.push('}');
    }
    normalised.push(' ');
    normalised.push_str(if infinite.is_some() { "0" } else { parts.value });
    normalised.push('\n');
    let parsed = nom_openmetrics::parser::family(normalised.as_str());
    let sample = match parsed {
        Ok(("", family)) => family.samples.into_iter().next(),
        Ok(_) => None,
        Err(e) => {
            return Err(invalid(
                line_number,
                format!("{} in `{}`", failure(normalised, &e), excerpt(line)),
            ))
        }
    };
    let sample = sample.ok_or_else(|| {
        invalid(
            line_number,
            format!("`{}` is not one sample", excerpt(line)),
        )
    })?;
    Ok(Series {
        name: sample.name().to_string(),
        labels: sample
            .labels()
            .iter()
            .map(|label| (label.name.to_string(), label.value.clone()))
            .collect(),
        value: infinite.unwrap_or_else(|| sample.number()),
    })
}

/// What the parser expected and where, from its innermost context.
fn failure(normalised: &str, error: &nom::Err<VerboseError<&str>>) -> String {
    let errors = match error {
        nom::Err::Error(e) | nom::Err::Failure(e) => &e.errors,
        nom::Err::Incomplete(_) => return "the line ends too early".to_string(),
    };
    let expected = errors
        .iter()
        .find_map(|(_, kind)| match kind {
            VerboseErrorKind::Context(context) => Some(*context),
            _ => None,
        })
        .unwrap_or("sample");
    let at = errors.first().map_or(normalised, |(input, _)| *input);
    let near = at.trim_end();
    // The label set is optional in the grammar, so a bad one is reported where the
    // parser gave up on it: at its opening brace.
    let expected = if near.starts_with('{') {
        "label set of name=\"value\" pairs"
    } else {
        expected
    };
    if near.is_empty() {
        format!("expected a {expected} at the end")
    } else {
        format!("expected a {expected} at `{}`", excerpt(near))
    }
}

/// At most 60 characters of a line, for messages.
fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn read_text(settings: PrometheusSettings, text: &str) -> Result<Reading, ParseError> {
        Reader::new(settings).read(
            "/metrics",
            &Response {
                body: text.as_bytes(),
                content_type: Some("text/plain; version=0.0.4; charset=utf-8"),
                received_at: Utc::now(),
            },
        )
    }

    fn read_default(text: &str) -> Reading {
        read_text(PrometheusSettings::default(), text).unwrap()
    }

    fn sample(reading: &Reading, series: &str) -> Option<f64> {
        reading
            .samples
            .iter()
            .find(|s| s.series == series)
            .map(|s| s.value)
    }

    #[test]
    fn current_form_one_series_per_state() {
        let reading = read_default(
            "# HELP resilience4j_circuitbreaker_state The states of the circuit breaker\n\
             # TYPE resilience4j_circuitbreaker_state gauge\n\
             resilience4j_circuitbreaker_state{name=\"a\",state=\"closed\"} 0.0\n\
             resilience4j_circuitbreaker_state{name=\"a\",state=\"half_open\"} 1.0\n\
             resilience4j_circuitbreaker_state{name=\"a\",state=\"open\"} 0.0\n\
             resilience4j_circuitbreaker_state{name=\"b\",state=\"forced_open\"} 1.0\n\
             resilience4j_circuitbreaker_state{name=\"c\",state=\"metrics_only\"} 1.0\n\
             resilience4j_circuitbreaker_state{name=\"d\",state=\"disabled\"} 1.0\n\
             resilience4j_circuitbreaker_state{name=\"e\",state=\"closed\"} 0.0\n",
        );
        let states: Vec<(&str, BreakerState)> = reading
            .breakers
            .iter()
            .map(|b| (b.name.as_str(), b.state))
            .collect();
        assert_eq!(
            states,
            [
                ("a", BreakerState::HalfOpen),
                ("b", BreakerState::ForcedOpen),
                ("c", BreakerState::MetricsOnly),
                ("d", BreakerState::Disabled),
                ("e", BreakerState::Unknown),
            ]
        );
    }

    #[test]
    fn zero_x_form_is_a_state_code() {
        let reading = read_default(
            "resilience4j_circuitbreaker_state{name=\"a\"} 0\n\
             resilience4j_circuitbreaker_state{name=\"b\"} 1\n\
             resilience4j_circuitbreaker_state{name=\"c\"} 2\n\
             resilience4j_circuitbreaker_state{name=\"d\"} 7\n",
        );
        let states: Vec<BreakerState> = reading.breakers.iter().map(|b| b.state).collect();
        assert_eq!(
            states,
            [
                BreakerState::Closed,
                BreakerState::Open,
                BreakerState::HalfOpen,
                BreakerState::Unknown
            ]
        );
    }

    #[test]
    fn extra_labels_are_ignored_and_counts_read() {
        let reading = read_default(
            "resilience4j_circuitbreaker_state{application=\"pay\",name=\"a\",state=\"open\",} 1.0\n\
             resilience4j_circuitbreaker_state{application=\"pay\",name=\"a\",state=\"closed\",} 0.0\n\
             resilience4j_circuitbreaker_failure_rate{application=\"pay\",name=\"a\",} 62.5\n\
             resilience4j_circuitbreaker_calls_seconds_count{application=\"pay\",kind=\"successful\",name=\"a\",} 30.0\n\
             resilience4j_circuitbreaker_calls_seconds_count{application=\"pay\",kind=\"failed\",name=\"a\",} 50.0\n\
             resilience4j_circuitbreaker_calls_seconds_count{application=\"pay\",kind=\"ignored\",name=\"a\",} 9.0\n\
             resilience4j_circuitbreaker_calls_seconds_sum{application=\"pay\",kind=\"failed\",name=\"a\",} 4.2\n\
             resilience4j_circuitbreaker_not_permitted_calls_total{application=\"pay\",kind=\"not_permitted\",name=\"a\",} 17.0\n",
        );
        let b = &reading.breakers[0];
        assert_eq!(b.state, BreakerState::Open);
        assert_eq!(b.failure_rate, Some(0.625));
        assert_eq!((b.failure_count, b.success_count), (Some(50.0), Some(30.0)));
        assert_eq!(b.call_count, Some(17.0));
    }

    #[test]
    fn failure_rates_are_percentages_and_minus_one_is_no_data() {
        let reading = read_default(
            "resilience4j_circuitbreaker_failure_rate{name=\"a\"} -1.0\n\
             resilience4j_circuitbreaker_failure_rate{name=\"b\"} 0.5\n\
             resilience4j_circuitbreaker_failure_rate{name=\"c\"} 100\n\
             resilience4j_circuitbreaker_failure_rate{name=\"d\"} NaN\n",
        );
        let rates: Vec<Option<f64>> = reading.breakers.iter().map(|b| b.failure_rate).collect();
        assert_eq!(rates, [None, Some(0.005), Some(1.0), None]);
        assert_eq!(reading.breakers[0].state, BreakerState::Unknown);
    }

    #[test]
    fn one_x_counters_count_calls_when_there_is_no_timer() {
        let reading = read_default(
            "resilience4j_circuitbreaker_calls{kind=\"successful\",name=\"a\"} 3\n\
             resilience4j_circuitbreaker_calls{kind=\"failed\",name=\"a\"} 1\n",
        );
        let b = &reading.breakers[0];
        assert_eq!((b.failure_count, b.success_count), (Some(1.0), Some(3.0)));
    }

    #[test]
    fn bulkhead_queues_are_summed() {
        let reading = read_default(
            "resilience4j_bulkhead_queue_depth{name=\"x\"} 3\n\
             resilience4j_bulkhead_queue_depth{name=\"y\"} 4\n\
             resilience4j_bulkhead_queue_capacity{name=\"x\"} 10\n\
             resilience4j_bulkhead_queue_capacity{name=\"y\"} 10\n",
        );
        assert_eq!(sample(&reading, "queue.depth"), Some(7.0));
        assert_eq!(sample(&reading, "queue.capacity"), Some(20.0));
        assert!(reading.health.is_none(), "a scrape says nothing of health");
    }

    #[test]
    fn mappings_sum_the_series_whose_labels_match() {
        let settings = PrometheusSettings {
            path: "/actuator/prometheus".into(),
            series: vec![
                SeriesMapping {
                    metric: "cache_gets_total".into(),
                    labels: BTreeMap::from([("result".into(), "hit".into())]),
                    as_series: "cache.hits".into(),
                },
                SeriesMapping {
                    metric: "cache_gets".into(),
                    labels: BTreeMap::from([("result".into(), "miss".into())]),
                    as_series: "cache.misses".into(),
                },
                SeriesMapping {
                    metric: "absent_metric".into(),
                    labels: BTreeMap::new(),
                    as_series: "metrics.absent".into(),
                },
            ],
        };
        let reading = read_text(
            settings,
            "cache_gets_total{cache=\"a\",result=\"hit\"} 10\n\
             cache_gets_total{cache=\"b\",result=\"hit\"} 5\n\
             cache_gets_total{cache=\"a\",result=\"miss\"} 2\n",
        )
        .unwrap();
        assert_eq!(sample(&reading, "cache.hits"), Some(15.0));
        assert_eq!(sample(&reading, "cache.misses"), Some(2.0));
        assert_eq!(sample(&reading, "metrics.absent"), None);
    }

    #[test]
    fn openmetrics_with_exemplars_units_and_eof() {
        let reading = read_default(
            "# TYPE resilience4j_circuitbreaker_not_permitted_calls counter\n\
             # HELP resilience4j_circuitbreaker_not_permitted_calls Total number of not permitted calls\n\
             resilience4j_circuitbreaker_not_permitted_calls_total{kind=\"not_permitted\",name=\"a\"} 7.0\n\
             resilience4j_circuitbreaker_not_permitted_calls_created{kind=\"not_permitted\",name=\"a\"} 1.7e9\n\
             # TYPE http_server_requests_seconds histogram\n\
             # UNIT http_server_requests_seconds seconds\n\
             http_server_requests_seconds_bucket{le=\"0.1\"} 3 # {trace_id=\"abc\"} 0.05 1700000000.1\n\
             http_server_requests_seconds_bucket{le=\"+Inf\"} 4\n\
             resilience4j_bulkhead_queue_depth{name=\"x\"} +Inf 1700000000\n\
             # EOF\n\
             this is after the end and never read\n",
        );
        assert_eq!(reading.breakers[0].call_count, Some(7.0));
        assert_eq!(
            sample(&reading, "queue.depth"),
            None,
            "infinite values are no data"
        );
    }

    #[test]
    fn label_values_keep_commas_braces_and_escapes() {
        let series =
            parse_exposition(b"x{uri=\"/a,b}\",msg=\"say \\\"hi\\\"\\n\",} 1 1700000000000\r\n")
                .unwrap();
        assert_eq!(series[0].label("uri"), Some("/a,b}"));
        assert_eq!(series[0].label("msg"), Some("say \"hi\"\n"));
        assert_eq!(series[0].value, 1.0);
    }

    #[test]
    fn special_values_parse() {
        let series = parse_exposition(b"a -Inf\nb NaN\nc 1.5E3\nd +inf\n").unwrap();
        assert_eq!(series[0].value, f64::NEG_INFINITY);
        assert!(series[1].value.is_nan());
        assert_eq!(series[2].value, 1500.0);
        assert_eq!(series[3].value, f64::INFINITY);
    }

    #[test]
    fn json_is_not_an_exposition() {
        let err = read_text(PrometheusSettings::default(), "\n{\"status\": \"UP\"}\n").unwrap_err();
        assert_eq!(err.reason, "invalid_exposition");
        assert!(err.message.starts_with("line 2: "), "{}", err.message);
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let err = read_text(
            PrometheusSettings::default(),
            "ok 1\n# HELP x y\nbad{a=b} 1\n",
        )
        .unwrap_err();
        assert_eq!(err.reason, "invalid_exposition");
        assert_eq!(
            err.message,
            "line 3: expected a label set of name=\"value\" pairs at `{a=b} 1` in `bad{a=b} 1`"
        );
        let err = read_text(PrometheusSettings::default(), "x{a=\"b\" 1\n").unwrap_err();
        assert_eq!(
            err.message,
            "line 1: the label set is not closed: `x{a=\"b\" 1`"
        );
        let err = read_text(PrometheusSettings::default(), "x\n").unwrap_err();
        assert_eq!(err.message, "line 1: the sample has no value: `x`");
        let err = read_text(PrometheusSettings::default(), "x one\n").unwrap_err();
        assert_eq!(err.message, "line 1: expected a number at `one` in `x one`");
    }

    #[test]
    fn binary_is_not_text() {
        let err = Reader::new(PrometheusSettings::default())
            .read(
                "/metrics",
                &Response {
                    body: &[0x66, 0xff, 0xfe],
                    content_type: None,
                    received_at: Utc::now(),
                },
            )
            .unwrap_err();
        assert_eq!(err.reason, "not_text");
        assert!(err.message.contains("offset 1"), "{}", err.message);
    }

    #[test]
    fn an_empty_scrape_has_nothing_to_say() {
        assert_eq!(read_default(""), Reading::default());
    }

    #[test]
    fn endpoint_is_the_configured_path() {
        let settings = PrometheusSettings {
            path: "/actuator/prometheus".into(),
            series: Vec::new(),
        };
        assert_eq!(endpoints(Some(&settings))[0].path, "/actuator/prometheus");
        assert_eq!(endpoints(None)[0].path, "/metrics");
    }
}
