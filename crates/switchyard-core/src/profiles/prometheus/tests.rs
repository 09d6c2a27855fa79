//! The Prometheus reader's tests: both forms of the breaker series, call counts,
//! bulkheads, mappings, OpenMetrics, label escapes, and the bodies it must reject.

use super::*;
use chrono::Utc;

use crate::model::BreakerState;

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
        "ok 1\n# HELP x y\nresilience4j_circuitbreaker_state{a=b} 1\n",
    )
    .unwrap_err();
    assert_eq!(err.reason, "invalid_exposition");
    assert_eq!(
        err.message,
        "line 3: expected a label set of name=\"value\" pairs at `{a=b} 1` in `resilience4j_circuitbreaker_state{a=b} 1`"
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

/// Only the families the profile reads go through the full grammar: a bad label set in
/// another one leaves the breakers readable. A value that is not a number still fails
/// on any line (a text page is not an exposition).
#[test]
fn a_malformed_family_nobody_reads_does_not_blind_the_profile() {
    let reading = read_text(
        PrometheusSettings::default(),
        "jvm_info{version=17} 1\nresilience4j_circuitbreaker_state{name=\"a\",state=\"open\"} 1\n",
    )
    .unwrap();
    assert_eq!(reading.breakers.len(), 1);
    let err = read_text(PrometheusSettings::default(), "hello world\n").unwrap_err();
    assert_eq!(
        err.message,
        "line 1: expected a number at `world` in `hello world`"
    );
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
