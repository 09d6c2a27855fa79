//! The Prometheus text exposition format and OpenMetrics, read into samples.
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
use nom_language::error::{VerboseError, VerboseErrorKind};

use crate::profiles::ParseError;

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
    parse_exposition_of(body, |_| true)
}

/// The samples of the metrics `wanted` accepts (by sample name), in document order.
/// Every line is still split and its value must be a number, so a body that is not an
/// exposition at all (an HTML page, a plain-text greeting) fails as before; only the
/// wanted lines go through the full grammar (labels, escapes) and are copied out, so a
/// malformed label set in a family nobody reads no longer blinds the profile. A Spring
/// scrape has some 2,400 samples of which the profile reads a few dozen.
pub fn parse_exposition_of(
    body: &[u8],
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<Series>, ParseError> {
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
        let parts = split_sample(line)
            .map_err(|why| invalid(index + 1, format!("{why}: `{}`", excerpt(line))))?;
        if wanted(parts.name) {
            series.push(parse_sample(line, parts, index + 1, &mut normalised)?);
        } else if infinity(parts.value).is_none() && parts.value.parse::<f64>().is_err() {
            return Err(invalid(
                index + 1,
                format!(
                    "expected a number at `{}` in `{}`",
                    parts.value,
                    excerpt(line)
                ),
            ));
        }
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
    parts: Parts<'_>,
    line_number: usize,
    normalised: &mut String,
) -> Result<Series, ParseError> {
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
