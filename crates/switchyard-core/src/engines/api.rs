//! A client of the Prometheus HTTP query API (docs/contracts.md, "Engines"), as every
//! compatible engine speaks it: `GET /api/v1/query` and `/api/v1/query_range` under the
//! configured root (a Mimir or Cortex prefix included), the configured headers
//! (`X-Scope-OrgID`), a deadline and a body cap per answer (through the console's one
//! guarded GET, `sources::http`), and the answer's envelope read strictly: `status`,
//! `data`, `errorType` and `error` on a failure, `warnings` kept, values as strings
//! (`"NaN"`, `"+Inf"` included).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::config::EngineConfig;
use crate::model::Reachability;
use crate::secrets::resolve_headers;
use crate::sources::http;

/// The query API of one engine.
#[derive(Debug, Clone)]
pub struct EngineApi {
    client: reqwest::Client,
    /// The configured root, without a trailing slash.
    root: String,
    headers: HeaderMap,
    timeout: Duration,
    max_body: u64,
    /// Thanos's `dedup` and `partial_response`, when configured.
    extra: Vec<(&'static str, String)>,
}

/// One series of an instant query: its labels and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantSeries {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query: its labels and its points `(unix seconds, value)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

/// A successful answer, with what the engine warned about.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer<T> {
    pub result: Vec<T>,
    pub warnings: Vec<String>,
    pub latency: Duration,
}

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// The engine could not be reached, timed out, refused the credentials or sent
    /// more than the cap.
    #[error("{}", .0.message().unwrap_or("unreachable"))]
    Unreachable(Reachability),
    /// The engine answered with an error envelope (400 `bad_data`, 422 `execution`,
    /// 503 `timeout`/`unavailable`, …).
    #[error("HTTP {status} {error_type}: {error}")]
    Engine {
        status: u16,
        error_type: String,
        error: String,
    },
    /// The answer is not the API's envelope.
    #[error("{0}")]
    Invalid(String),
}

impl QueryError {
    /// The reachability an observation's problem list shows for it.
    pub fn reachability(&self) -> Reachability {
        match self {
            QueryError::Unreachable(reachability) => reachability.clone(),
            QueryError::Engine { status, .. } => Reachability::HttpError {
                code: *status,
                message: self.to_string(),
            },
            QueryError::Invalid(message) => Reachability::InvalidResponse {
                reason: "engine_answer".into(),
                message: message.clone(),
            },
        }
    }
}

/// The answer's envelope, its `data` read straight into the shape expected (one pass
/// over a body that may be tens of megabytes).
#[derive(Deserialize)]
struct Envelope<T> {
    status: String,
    #[serde(default = "Option::default")]
    data: Option<T>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data<T> {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<T>,
}

#[derive(Deserialize)]
struct RawInstant {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// A sample value as the API writes it: a decimal, `NaN`, `+Inf` or `-Inf`.
pub fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

impl EngineApi {
    /// The API of `engine`, its headers resolved once (an unresolvable reference is
    /// logged and left out, as for services).
    pub fn new(client: reqwest::Client, engine: &EngineConfig) -> EngineApi {
        let (headers, _problems) = resolve_headers(&engine.name, &engine.headers);
        let mut extra = Vec::new();
        if let Some(dedup) = engine.dedup {
            extra.push(("dedup", dedup.to_string()));
        }
        if let Some(partial) = engine.partial_response {
            extra.push(("partial_response", partial.to_string()));
        }
        EngineApi {
            client,
            root: engine.url.clone(),
            headers,
            timeout: engine.timeout,
            max_body: engine.max_body_bytes,
            extra,
        }
    }

    /// `GET /api/v1/query?query=…&time=…`: a vector (a scalar answer is one series
    /// without labels).
    pub async fn query(
        &self,
        promql: &str,
        time: f64,
    ) -> Result<Answer<InstantSeries>, QueryError> {
        let time = format!("{time:.3}");
        let fetched = self
            .get("query", &[("query", promql), ("time", &time)])
            .await?;
        let (result, warnings) =
            read_instant(fetched.status.as_u16(), &fetched.body, &fetched.place)?;
        Ok(Answer {
            result,
            warnings,
            latency: fetched.latency,
        })
    }

    /// `GET /api/v1/query_range?query=…&start=…&end=…&step=…`: a matrix.
    pub async fn query_range(
        &self,
        promql: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<Answer<RangeSeries>, QueryError> {
        let (start, end) = (format!("{start:.3}"), format!("{end:.3}"));
        let step = format!("{}", step.as_secs_f64());
        let fetched = self
            .get(
                "query_range",
                &[
                    ("query", promql),
                    ("start", &start),
                    ("end", &end),
                    ("step", &step),
                ],
            )
            .await?;
        let (result, warnings) =
            read_range(fetched.status.as_u16(), &fetched.body, &fetched.place)?;
        Ok(Answer {
            result,
            warnings,
            latency: fetched.latency,
        })
    }

    async fn get(&self, endpoint: &str, params: &[(&str, &str)]) -> Result<Fetched, QueryError> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/{endpoint}", self.root))
            .map_err(|e| QueryError::Invalid(format!("the engine's url: {e}")))?;
        {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in params {
                pairs.append_pair(key, value);
            }
            for (key, value) in &self.extra {
                pairs.append_pair(key, value);
            }
        }
        let fetched = http::get(
            &self.client,
            url.as_str(),
            &self.headers,
            self.timeout,
            self.max_body,
        )
        .await
        .map_err(QueryError::Unreachable)?;
        Ok(Fetched {
            status: fetched.status,
            body: fetched.body,
            place: http::describe_place(url.as_str()),
            latency: fetched.latency,
        })
    }
}

/// An instant query's answer from its HTTP status and body (`place` names the engine in
/// errors): the series and the engine's warnings. Pure, so the fuzzer reaches it.
pub fn read_instant(
    status: u16,
    body: &[u8],
    place: &str,
) -> Result<(Vec<InstantSeries>, Vec<String>), QueryError> {
    let status = http_status(status);
    // A vector is what every fleet query answers: read it in one pass; anything
    // else (a scalar) through a generic value.
    let (result, warnings) = match decode::<Data<RawInstant>>(status, body, place) {
        Ok((data, warnings)) if data.result_type == "vector" => (
            data.result
                .into_iter()
                .map(|raw| InstantSeries {
                    labels: raw.metric,
                    value: parse_value(&raw.value.1).unwrap_or(f64::NAN),
                })
                .collect(),
            warnings,
        ),
        Err(error @ (QueryError::Engine { .. } | QueryError::Unreachable(_))) => return Err(error),
        _ => {
            let (data, warnings) = decode::<serde_json::Value>(status, body, place)?;
            match data.get("resultType").and_then(|t| t.as_str()) {
                Some("scalar") => {
                    let value: (f64, String) = serde_json::from_value(data["result"].clone())
                        .map_err(|e| QueryError::Invalid(format!("not a scalar answer: {e}")))?;
                    (
                        vec![InstantSeries {
                            labels: BTreeMap::new(),
                            value: parse_value(&value.1).unwrap_or(f64::NAN),
                        }],
                        warnings,
                    )
                }
                other => {
                    return Err(QueryError::Invalid(format!(
                        "an instant query answered resultType `{}`",
                        other.unwrap_or("none")
                    )))
                }
            }
        }
    };
    Ok((result, warnings))
}

/// A range query's answer from its HTTP status and body, as [`read_instant`].
pub fn read_range(
    status: u16,
    body: &[u8],
    place: &str,
) -> Result<(Vec<RangeSeries>, Vec<String>), QueryError> {
    let status = http_status(status);
    let (data, warnings) = decode::<Data<RawRange>>(status, body, place)?;
    if data.result_type != "matrix" {
        return Err(QueryError::Invalid(format!(
            "a range query answered resultType `{}`",
            data.result_type
        )));
    }
    let result = data
        .result
        .into_iter()
        .map(|raw| RangeSeries {
            labels: raw.metric,
            points: raw
                .values
                .into_iter()
                .map(|(t, v)| (t, parse_value(&v).unwrap_or(f64::NAN)))
                .collect(),
        })
        .collect();
    Ok((result, warnings))
}

/// A status code as the HTTP layer knows it; one outside HTTP's range reads as a bad
/// gateway's.
fn http_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY)
}

/// An answer as it arrived.
struct Fetched {
    status: StatusCode,
    body: Vec<u8>,
    place: String,
    latency: Duration,
}

/// The envelope of `fetched` with its `data` as `T`, or the error it carries.
fn decode<T: serde::de::DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    place: &str,
) -> Result<(T, Vec<String>), QueryError> {
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(QueryError::Unreachable(Reachability::Unauthorized {
            message: format!(
                "{place} refused the credentials (HTTP {}); check the engine's headers in the configuration",
                status.as_u16()
            ),
        }));
    }
    let envelope: Envelope<T> = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(_) if !status.is_success() => {
            return Err(QueryError::Unreachable(Reachability::HttpError {
                code: status.as_u16(),
                message: format!("{place} answered HTTP {}", status.as_u16()),
            }))
        }
        Err(e) => {
            return Err(QueryError::Invalid(format!(
                "{place} did not answer the query API's JSON: {e}"
            )))
        }
    };
    if envelope.status != "success" {
        return Err(QueryError::Engine {
            status: status.as_u16(),
            error_type: envelope.error_type.unwrap_or_else(|| "unknown".into()),
            error: envelope.error.unwrap_or_else(|| "no reason given".into()),
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| QueryError::Invalid(format!("{place} answered success without data")))?;
    Ok((data, envelope.warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_strings_with_nan_and_infinities() {
        assert_eq!(parse_value("1.5"), Some(1.5));
        assert!(parse_value("NaN").unwrap().is_nan());
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_value("1e3"), Some(1000.0));
        assert_eq!(parse_value("many"), None);
    }
}
