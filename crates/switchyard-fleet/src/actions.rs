//! What the console asked a service to *do*: every request to a profile route
//! that is not a read (a breaker reset, a cache clear, a threshold edit),
//! with its method, path, query and the engineer's reason from the
//! `X-Switchyard-Reason` header. Tests read it from `GET /_fleet/state` as
//! `"actions"` to prove that a button sent exactly one request, and why.

use std::collections::VecDeque;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use serde_json::{json, Value};

use crate::clock::Clock;

/// The header the console sends the engineer's reason in (docs/contracts.md,
/// "Actions"), percent-encoded where it is not printable ASCII.
pub(crate) const REASON_HEADER: &str = "x-switchyard-reason";

/// Requests remembered; older ones are forgotten so a long demo stays small.
const REMEMBERED: usize = 100;

/// One write request, as received (before any injected fault answers it).
#[derive(Clone, Debug, PartialEq)]
struct SeenAction {
    method: String,
    path: String,
    /// The raw query string, e.g. `override=true&reason=Testing`.
    query: Option<String>,
    /// The decoded `X-Switchyard-Reason`, when sent.
    reason: Option<String>,
    at: Duration,
}

/// The bounded log of write requests of one service.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ActionLog {
    seen: VecDeque<SeenAction>,
}

impl ActionLog {
    /// Whether a request with `method` is a write worth remembering: reads
    /// (`GET`, `HEAD`, `OPTIONS`) are what pollers do all day.
    pub(crate) fn is_write(method: &Method) -> bool {
        !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
    }

    pub(crate) fn record(
        &mut self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        at: Duration,
    ) {
        if self.seen.len() == REMEMBERED {
            self.seen.pop_front();
        }
        let reason = headers
            .get(REASON_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(percent_decode);
        self.seen.push_back(SeenAction {
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            reason,
            at,
        });
    }

    /// `[{method, path, query, reason, at}]`, oldest first.
    pub(crate) fn view(&self, clock: &Clock) -> Value {
        Value::Array(
            self.seen
                .iter()
                .map(|seen| {
                    json!({
                        "method": seen.method,
                        "path": seen.path,
                        "query": seen.query,
                        "reason": seen.reason,
                        "at": clock.timestamp(seen.at),
                    })
                })
                .collect(),
        )
    }
}

/// Decodes `%XX` escapes as UTF-8; anything malformed is kept as written,
/// since a reason shown slightly wrong beats a reason lost.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reasons_are_decoded_and_malformed_escapes_kept() {
        assert_eq!(percent_decode("plain reason"), "plain reason");
        assert_eq!(percent_decode("caf%C3%A9 %25 ok"), "café % ok");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[tokio::test(start_paused = true)]
    async fn the_log_is_bounded_and_keeps_the_newest() {
        let mut log = ActionLog::default();
        let mut headers = HeaderMap::new();
        headers.insert(REASON_HEADER, HeaderValue::from_static("why%20not"));
        for n in 0..REMEMBERED + 5 {
            log.record(
                &Method::POST,
                &format!("/x/{n}"),
                None,
                &headers,
                Duration::ZERO,
            );
        }
        let view = log.view(&Clock::start());
        let entries = view.as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), REMEMBERED);
        assert_eq!(entries[0]["path"], "/x/5");
        assert_eq!(entries[0]["reason"], "why not");
        assert!(!ActionLog::is_write(&Method::GET));
        assert!(ActionLog::is_write(&Method::DELETE));
    }
}
