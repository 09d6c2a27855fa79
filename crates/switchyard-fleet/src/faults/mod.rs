//! Injected faults: the ways a `GET /health` answer can go wrong on purpose,
//! so that tests see every reachability status a parser must report.

use std::fmt;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long `slow` waits when no `delay_ms` was set: well past the
/// contract's default 5 s timeout.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_millis(10_000);

/// The `Retry-After` of `rate_limited` when no `retry_after_seconds` was set.
pub const DEFAULT_RETRY_AFTER_SECONDS: u64 = 5;

/// Size of the body `huge` sends: three times the contract's default 1 MiB cap.
const HUGE_BODY_BYTES: usize = 3 * 1024 * 1024;

/// One fault applied to `GET /health`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum Fault {
    /// Answer normally.
    #[default]
    #[serde(rename = "none")]
    None,
    /// 500 with a text body.
    #[serde(rename = "http_500")]
    Http500,
    /// 200 with a body that is not JSON.
    #[serde(rename = "malformed")]
    Malformed,
    /// 200 JSON with `status` a number and `dependencies` a string.
    #[serde(rename = "wrong_type")]
    WrongType,
    /// 200 with a ~3 MiB JSON body.
    #[serde(rename = "huge")]
    Huge,
    /// Waits the delay before answering normally.
    #[serde(rename = "slow")]
    Slow,
    /// 401.
    #[serde(rename = "unauthorized")]
    Unauthorized,
    /// 429 with `Retry-After`.
    #[serde(rename = "rate_limited")]
    RateLimited,
}

impl Fault {
    const ALL: [Fault; 8] = [
        Fault::None,
        Fault::Http500,
        Fault::Malformed,
        Fault::WrongType,
        Fault::Huge,
        Fault::Slow,
        Fault::Unauthorized,
        Fault::RateLimited,
    ];

    /// The word the control endpoint uses for this fault.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Http500 => "http_500",
            Fault::Malformed => "malformed",
            Fault::WrongType => "wrong_type",
            Fault::Huge => "huge",
            Fault::Slow => "slow",
            Fault::Unauthorized => "unauthorized",
            Fault::RateLimited => "rate_limited",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    /// Case-insensitive with `-`, `_` and space alike, the contract's rule
    /// for enum words (`HTTP-500`, `Rate Limited`).
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        let normalised = word.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Fault::ALL
            .into_iter()
            .find(|fault| fault.as_str() == normalised)
            .ok_or_else(|| {
                let known: Vec<&str> = Fault::ALL.iter().map(|fault| fault.as_str()).collect();
                format!(
                    "unknown fault {word:?}; expected one of {}",
                    known.join(", ")
                )
            })
    }
}

impl TryFrom<String> for Fault {
    type Error = String;

    fn try_from(word: String) -> Result<Self, Self::Error> {
        word.parse()
    }
}

/// The answer to `GET /health` under `fault`, given the document the service
/// would send without one. `slow` has already waited by the time this runs
/// (the handler owns the clock), so here it answers normally.
pub(crate) fn respond(fault: Fault, document: Value, retry_after_seconds: u64) -> Response {
    match fault {
        Fault::None | Fault::Slow => axum::Json(document).into_response(),
        Fault::Http500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error (simulated by switchyard-fleet)\n",
        )
            .into_response(),
        Fault::Malformed => json_bytes(malformed(&document)),
        Fault::WrongType => axum::Json(wrong_type(document)).into_response(),
        Fault::Huge => json_bytes(huge(document)),
        Fault::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "Unauthorized (simulated by switchyard-fleet)\n",
        )
            .into_response(),
        Fault::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds))],
            "Too Many Requests (simulated by switchyard-fleet)\n",
        )
            .into_response(),
    }
}

/// A 200 claiming `application/json` whatever the bytes are: that claim is
/// what makes malformed and oversized bodies a realistic trap. A byte vector
/// is a full body, so hyper sends its Content-Length.
fn json_bytes(body: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The real document cut off halfway, the way a crashed writer leaves it.
/// A strict prefix of a JSON object has lost its closing brace, so it is
/// never valid JSON.
fn malformed(document: &Value) -> Vec<u8> {
    let text = document.to_string();
    let mut cut = text.len() / 2;
    // Service names may hold multi-byte characters; cut on a boundary.
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut bytes = text.into_bytes();
    bytes.truncate(cut);
    bytes
}

/// The real document with `status` a number and `dependencies` a string.
fn wrong_type(mut document: Value) -> Value {
    if let Some(object) = document.as_object_mut() {
        object.insert("status".to_owned(), Value::from(1));
        object.insert(
            "dependencies".to_owned(),
            Value::from("redis=OK,postgres=OK"),
        );
    }
    document
}

/// The real document padded past 3 MiB. It stays valid JSON, so only a body
/// cap (not a parse error) can reject it.
fn huge(mut document: Value) -> Vec<u8> {
    if let Some(object) = document.as_object_mut() {
        object.insert(
            "padding".to_owned(),
            Value::from("x".repeat(HUGE_BODY_BYTES)),
        );
    }
    document.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_words_are_normalised() {
        assert_eq!("HTTP-500".parse(), Ok(Fault::Http500));
        assert_eq!("Rate Limited".parse(), Ok(Fault::RateLimited));
        assert_eq!("wrong_type".parse(), Ok(Fault::WrongType));
        assert!("explode".parse::<Fault>().is_err());
    }

    #[test]
    fn every_fault_round_trips_through_json() {
        for fault in Fault::ALL {
            let json = serde_json::to_string(&fault).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", fault.as_str()));
            assert_eq!(serde_json::from_str::<Fault>(&json).ok(), Some(fault));
        }
    }

    #[test]
    fn malformed_body_is_not_json() {
        let document = serde_json::json!({"service": "a", "status": "OK"});
        let body = malformed(&document);
        assert!(serde_json::from_slice::<Value>(&body).is_err());
    }

    #[test]
    fn huge_body_is_valid_json_over_three_mebibytes() {
        let body = huge(serde_json::json!({"status": "OK"}));
        assert!(body.len() > HUGE_BODY_BYTES);
        assert!(serde_json::from_slice::<Value>(&body).is_ok());
    }
}
