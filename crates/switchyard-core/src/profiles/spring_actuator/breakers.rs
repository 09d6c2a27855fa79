//! `/actuator/circuitbreakers` read into breakers: state, counts and Resilience4j's
//! percentage rates.

use serde_json::Value;

use crate::model::Breaker;
use crate::profiles::json::{describe, Fields};
use crate::profiles::words::breaker_state;
use crate::profiles::{ParseError, Reading};

pub(super) fn read_breakers(root: &Fields<'_>) -> Result<Reading, ParseError> {
    let mut reading = Reading::default();
    if let Some(breakers) = root.optional_object("circuitBreakers")? {
        for (name, fields) in breakers.child_objects()? {
            reading.breakers.push(breaker(name, &fields)?);
        }
    }
    Ok(reading)
}

fn breaker(name: &str, fields: &Fields<'_>) -> Result<Breaker, ParseError> {
    let buffered = fields.optional_f64("bufferedCalls")?;
    let failed = fields.optional_f64("failedCalls")?;
    Ok(Breaker {
        name: name.to_string(),
        state: breaker_state(fields.required_str("state")?),
        failure_count: failed,
        success_count: match (buffered, failed) {
            (Some(buffered), Some(failed)) => Some((buffered - failed).max(0.0)),
            _ => None,
        },
        failure_rate: rate(fields, "failureRate")?,
        backoff_seconds: None,
        health_score: None,
        call_count: fields.optional_f64("notPermittedCalls")?,
        since: None,
        reason: None,
    })
}

/// A Resilience4j rate: `"12.5%"`, `"12.5"` or `12.5`, in percent, as a ratio. Negative
/// (`"-1.0%"`) means "not enough calls yet": no data, never a rate.
pub fn rate(fields: &Fields<'_>, key: &str) -> Result<Option<f64>, ParseError> {
    let field = || {
        if fields.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", fields.path)
        }
    };
    let percent = match fields.map.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(text)) => Some(parse_percent(text).ok_or_else(|| {
            ParseError::new(
                "wrong_type",
                format!(
                    "`{}` is \"{text}\", expected a percentage such as \"12.5%\"",
                    field()
                ),
            )
        })?),
        Some(other) => {
            return Err(ParseError::new(
                "wrong_type",
                format!(
                    "`{}` is {}, expected a percentage string or a number",
                    field(),
                    describe(other)
                ),
            ))
        }
    };
    Ok(percent
        .filter(|p| p.is_finite() && *p >= 0.0)
        .map(|p| (p / 100.0).min(1.0)))
}

fn parse_percent(text: &str) -> Option<f64> {
    let number = text.trim().trim_end_matches('%').trim();
    number.parse::<f64>().ok()
}
