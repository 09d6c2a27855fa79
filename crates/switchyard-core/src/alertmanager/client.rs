//! Alertmanager's API v2 as Switchyard speaks it: `GET /api/v2/alerts` (active,
//! silenced and inhibited), `GET /api/v2/silences`, `POST /api/v2/silences` (every
//! field, JSON) and `DELETE /api/v2/silence/{id}`. Every request has a deadline, a cap on
//! the answer and the configured headers (resolved once, sent as sensitive). A refusal
//! (400, 401, 415, 422, 5xx) is an [`AlertmanagerError::Refused`] carrying the reason
//! Alertmanager gave, so the dialog can show it.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::{GettableAlert, GettableSilence, PostableSilence};
use crate::config::AlertmanagerConfig;
use crate::sources::http::{describe_place, human_size};

/// A reason longer than this is cut: it goes into dialogs and the audit log.
const REASON_CAP: usize = 400;

/// Why a request to Alertmanager did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertmanagerError {
    /// No answer: refused, timed out, unresolvable host, broken connection.
    #[error("Alertmanager at {place} cannot be reached: {detail}")]
    Unreachable { place: String, detail: String },
    /// It answered with an error status; `reason` is what it said.
    #[error("Alertmanager refused ({status}): {reason}")]
    Refused { status: u16, reason: String },
    /// It answered with something that is not what API v2 promises.
    #[error("Alertmanager at {place} answered something unreadable: {detail}")]
    Invalid { place: String, detail: String },
    #[error("Alertmanager at {place} sent more than {limit}")]
    TooLarge { place: String, limit: String },
}

impl AlertmanagerError {
    /// True when Alertmanager was not there to ask (as opposed to saying no).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AlertmanagerError::Unreachable { .. })
    }
}

/// A guarded client of one Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    base: String,
    headers: HeaderMap,
    /// References that did not resolve, for the status when Alertmanager refuses us.
    header_problems: Vec<String>,
    client: reqwest::Client,
    timeout: Duration,
    max_body: u64,
}

impl AlertmanagerClient {
    pub fn new(config: &AlertmanagerConfig, client: reqwest::Client) -> AlertmanagerClient {
        let (headers, header_problems) =
            crate::secrets::resolve_headers("alertmanager", &config.headers);
        AlertmanagerClient {
            base: config.url.clone(),
            headers,
            header_problems,
            client,
            timeout: config.timeout,
            max_body: config.max_body_bytes,
        }
    }

    /// `host:port/path` of the Alertmanager, safe to show.
    pub fn place(&self) -> String {
        describe_place(&self.base)
    }

    /// Every alert it holds: active, silenced and inhibited.
    pub async fn alerts(&self) -> Result<Vec<GettableAlert>, AlertmanagerError> {
        self.get_json("/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true")
            .await
    }

    /// Every silence it knows, expired ones included.
    pub async fn silences(&self) -> Result<Vec<GettableSilence>, AlertmanagerError> {
        self.get_json("/api/v2/silences").await
    }

    /// Creates a silence, or updates the one named by `silence.id`; returns its id
    /// (a new one when Alertmanager could not update in place).
    pub async fn post_silence(
        &self,
        silence: &PostableSilence,
    ) -> Result<String, AlertmanagerError> {
        let body = serde_json::to_vec(silence).map_err(|e| AlertmanagerError::Invalid {
            place: self.place(),
            detail: e.to_string(),
        })?;
        #[derive(serde::Deserialize)]
        struct Created {
            #[serde(rename = "silenceID")]
            silence_id: String,
        }
        let answer = self
            .exchange(Method::POST, "/api/v2/silences", Some(body))
            .await?;
        let created: Created = self.decode(&answer)?;
        Ok(created.silence_id)
    }

    /// Expires a silence (it stays listed as `expired`).
    pub async fn expire_silence(&self, id: &str) -> Result<(), AlertmanagerError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(AlertmanagerError::Refused {
                status: 400,
                reason: format!("`{id}` is not a silence id"),
            });
        }
        self.exchange(Method::DELETE, &format!("/api/v2/silence/{id}"), None)
            .await
            .map(|_| ())
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, AlertmanagerError> {
        let body = self.exchange(Method::GET, path, None).await?;
        self.decode(&body)
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, AlertmanagerError> {
        decode(body).map_err(|detail| AlertmanagerError::Invalid {
            place: self.place(),
            detail,
        })
    }

    /// One request with the deadline and the cap; an error status becomes `Refused`.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, AlertmanagerError> {
        let place = self.place();
        let url = format!("{}{path}", self.base);
        let mut request = self
            .client
            .request(method, &url)
            .headers(self.headers.clone());
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let max_body = self.max_body;
        let exchange = async {
            let mut response = request.send().await.map_err(|e| unreachable(&e, &place))?;
            let status = response.status();
            let mut bytes = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| unreachable(&e, &place))?
            {
                if bytes.len() as u64 + chunk.len() as u64 > max_body {
                    return Err(AlertmanagerError::TooLarge {
                        place: place.clone(),
                        limit: human_size(max_body),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| AlertmanagerError::Unreachable {
                place: place.clone(),
                detail: format!(
                    "no answer within {}",
                    humantime::format_duration(self.timeout)
                ),
            })??;
        if status.is_success() {
            return Ok(bytes);
        }
        let mut reason = reason_of(status, &bytes);
        let unauthorized = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
        if unauthorized && !self.header_problems.is_empty() {
            reason = format!("{reason} ({})", self.header_problems.join("; "));
        }
        Err(AlertmanagerError::Refused {
            status: status.as_u16(),
            reason,
        })
    }
}

/// What Alertmanager said when it refused: its JSON string, its `{"message"}` (the
/// API's validation errors), or the text of the body, else the status's name.
pub fn reason_of(status: StatusCode, body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Object(map)) => map
            .get("message")
            .or_else(|| map.get("error"))
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| serde_json::Value::Object(map).to_string()),
        _ => String::from_utf8_lossy(body).trim().to_string(),
    };
    let text = text.trim();
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("no reason given")
            .to_lowercase();
    }
    match text.char_indices().nth(REASON_CAP) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn unreachable(error: &reqwest::Error, place: &str) -> AlertmanagerError {
    let mut chain = String::new();
    let mut current: Option<&dyn std::error::Error> = Some(error);
    let mut last = error.to_string();
    while let Some(e) = current {
        chain.push_str(&e.to_string().to_lowercase());
        chain.push(' ');
        last = e.to_string();
        current = e.source();
    }
    let detail = if error.is_timeout() {
        "timed out".to_string()
    } else if chain.contains("connection refused") {
        "connection refused; is it running?".to_string()
    } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
        "cannot resolve its host".to_string()
    } else {
        last
    };
    AlertmanagerError::Unreachable {
        place: place.to_string(),
        detail,
    }
}

/// An API v2 answer's JSON as `T` (a list of alerts, of silences), or what is wrong with
/// it. Pure, so the fuzzer reaches it.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("not the JSON of API v2 ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_what_alertmanager_said() {
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            reason_of(
                bad,
                br#""silence invalid: invalid label matcher 0: invalid label name \"\"""#
            ),
            "silence invalid: invalid label matcher 0: invalid label name \"\""
        );
        assert_eq!(
            reason_of(
                StatusCode::UNPROCESSABLE_ENTITY,
                br#"{"code":602,"message":"matchers in body is required"}"#
            ),
            "matchers in body is required"
        );
        assert_eq!(
            reason_of(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                b"unsupported media type\n"
            ),
            "unsupported media type"
        );
        assert_eq!(reason_of(StatusCode::UNAUTHORIZED, b""), "unauthorized");
        let long = "x".repeat(1000);
        assert_eq!(
            reason_of(bad, long.as_bytes()).chars().count(),
            REASON_CAP + 1
        );
    }
}
