//! Turns a fault into an answer: canned answers that replace the real one,
//! and distortions of the real one (cut, retyped, padded, dripped).

use std::future::Future;

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::bodies;
use super::{Fault, FaultParams};

/// Our own handlers answer a few KiB; anything bigger is cut here rather
/// than buffered without bound.
const REAL_ANSWER_LIMIT: usize = 1024 * 1024;

/// The answer of a fault that does not need the real one, or `None` when
/// `fault` distorts the real answer (or waits) instead.
pub(crate) fn canned(fault: Fault, params: &FaultParams) -> Option<Response> {
    let response = match fault {
        Fault::Http500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error (simulated by switchyard-fleet)\n",
        )
            .into_response(),
        Fault::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "Unauthorized (simulated by switchyard-fleet)\n",
        )
            .into_response(),
        Fault::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            [(
                header::RETRY_AFTER,
                HeaderValue::from(params.retry_after_seconds),
            )],
            "Too Many Requests (simulated by switchyard-fleet)\n",
        )
            .into_response(),
        Fault::Status => {
            // Validated when set; a bad code still must not take the server down.
            let status =
                StatusCode::from_u16(params.status_code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = serde_json::json!({
                "error": format!("simulated status {}", status.as_u16()),
            });
            (status, axum::Json(body)).into_response()
        }
        _ => return None,
    };
    Some(response)
}

/// What a request held by `slow` or `hang` gets when the fleet stops.
pub(crate) fn shutting_down() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Shutting down (switchyard-fleet)\n",
    )
        .into_response()
}

/// The real answer distorted by `fault` (one of the faults that need it);
/// `stopped` resolves when the fleet shuts down, so a drip ends with it.
pub(crate) async fn distort(
    fault: Fault,
    answer: Response,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Response {
    let status = answer.status();
    let body = to_bytes(answer.into_body(), REAL_ANSWER_LIMIT)
        .await
        .unwrap_or_default();
    let (body, length) = match fault {
        Fault::Malformed => {
            let cut = malformed(&body);
            let length = cut.len() as u64;
            (Body::from(cut), Some(length))
        }
        Fault::WrongType => {
            let retyped = wrong_type(&body);
            let length = retyped.len() as u64;
            (Body::from(retyped), Some(length))
        }
        Fault::Huge => (bodies::huge(&body), Some(bodies::HUGE_BODY_BYTES)),
        Fault::HugeChunked => (bodies::huge(&body), None),
        Fault::Drip => {
            let length = body.len() as u64;
            (bodies::drip(body, stopped), Some(length))
        }
        Fault::CloseMidBody => {
            let length = body.len() as u64;
            (bodies::close_mid_body(body), Some(length))
        }
        // Not a distortion: pass the answer on as it was.
        _ => {
            let length = body.len() as u64;
            (Body::from(body), Some(length))
        }
    };
    // A fresh response: the real one's headers may describe the old body.
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    // Claiming JSON whatever the bytes are is what makes these a trap.
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

/// The real answer cut off halfway, the way a crashed writer leaves it.
/// A strict prefix of a JSON object has lost its closing brace, so it is
/// never valid JSON.
fn malformed(body: &[u8]) -> Bytes {
    let mut cut = body.len() / 2;
    // Keep multi-byte characters whole; JSON text is UTF-8.
    while cut > 0 && (body[cut] & 0b1100_0000) == 0b1000_0000 {
        cut -= 1;
    }
    if cut == 0 {
        return Bytes::from_static(b"{\"status\":");
    }
    Bytes::copy_from_slice(&body[..cut])
}

/// Every top-level field with the wrong type: strings become numbers,
/// numbers and booleans strings, objects and arrays strings. `service`
/// keeps its name so the answer can still be told apart. A body that is
/// not a JSON object is passed on unchanged.
fn wrong_type(body: &[u8]) -> Bytes {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Bytes::copy_from_slice(body);
    };
    for (name, value) in object.iter_mut() {
        if name == "service" {
            continue;
        }
        *value = match value {
            Value::String(_) => Value::from(1),
            Value::Number(number) => Value::from(number.to_string()),
            Value::Bool(flag) => Value::from(flag.to_string()),
            Value::Null => Value::from(0),
            Value::Object(inner) => {
                let keys: Vec<&str> = inner.keys().map(String::as_str).collect();
                Value::from(keys.join(","))
            }
            Value::Array(items) => Value::from(format!("{} items", items.len())),
        };
    }
    Bytes::from(Value::Object(object).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_body_is_not_json() {
        let body = r#"{"service": "a", "status": "OK", "note": "ééééééééé"}"#.as_bytes();
        let cut = malformed(body);
        assert!(!cut.is_empty());
        assert!(serde_json::from_slice::<Value>(&cut).is_err());
        assert!(std::str::from_utf8(&cut).is_ok());
        assert!(serde_json::from_slice::<Value>(&malformed(b"{}")).is_err());
    }

    #[test]
    fn wrong_type_flips_every_field_but_service() {
        let body = br#"{"service": "a", "status": "OK", "dependencies": {"redis": {}}, "n": 3, "ok": true}"#;
        let value: Value = serde_json::from_slice(&wrong_type(body)).unwrap_or_default();
        assert_eq!(value["service"], "a");
        assert_eq!(value["status"], 1);
        assert_eq!(value["dependencies"], "redis");
        assert_eq!(value["n"], "3");
        assert_eq!(value["ok"], "true");
    }

    #[test]
    fn canned_answers_only_for_faults_that_replace_the_answer() {
        let params = FaultParams {
            delay: std::time::Duration::ZERO,
            retry_after_seconds: 7,
            status_code: 418,
        };
        let teapot = canned(Fault::Status, &params).map(|r| r.status());
        assert_eq!(teapot, Some(StatusCode::IM_A_TEAPOT));
        let limited = canned(Fault::RateLimited, &params);
        assert_eq!(
            limited.map(|r| r.headers()[header::RETRY_AFTER].clone()),
            Some(HeaderValue::from(7))
        );
        for fault in [
            Fault::None,
            Fault::Slow,
            Fault::Hang,
            Fault::Huge,
            Fault::Drip,
        ] {
            assert!(canned(fault, &params).is_none(), "{fault}");
        }
    }
}
