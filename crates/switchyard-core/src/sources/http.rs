//! One HTTP GET with the console's guards: a deadline for the whole exchange, a cap on
//! the body, and a precise reachability when anything goes wrong. Messages name the host
//! and path only, never headers or query strings, so no secret reaches a log.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, StatusCode};
use tokio::time::Instant;

use crate::model::Reachability;

/// A response that arrived in time and within the size cap, whatever its status.
#[derive(Debug)]
pub struct Fetched {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub latency: Duration,
    pub retry_after: Option<Duration>,
}

/// Builds the one HTTP client the console shares: connection pooling across polls.
pub fn build_client() -> Client {
    Client::builder()
        .user_agent(concat!("switchyard/", env!("CARGO_PKG_VERSION")))
        // Redirects are followed a few times; more is a misconfigured endpoint.
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap_or_else(|_| Client::new())
}

/// GETs `url`, failing with a reachability when it times out, cannot connect, or sends
/// more than `max_body` bytes.
pub async fn get(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    timeout: Duration,
    max_body: u64,
) -> Result<Fetched, Reachability> {
    let place = describe_place(url);
    let started = Instant::now();
    let exchange = async {
        let mut response = client
            .get(url)
            .headers(headers.clone())
            .send()
            .await
            .map_err(|e| classify(&e, &place))?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if declared_length(response.headers()).is_some_and(|len| len > max_body) {
            return Err(too_large(&place, max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, &place))? {
            if body.len() as u64 + chunk.len() as u64 > max_body {
                return Err(too_large(&place, max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body, content_type, retry_after))
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok((status, body, content_type, retry_after))) => Ok(Fetched {
            status,
            body,
            content_type,
            latency: started.elapsed(),
            retry_after,
        }),
        Ok(Err(reachability)) => Err(reachability),
        Err(_) => Err(Reachability::Timeout {
            message: format!(
                "{place} did not answer within {}",
                humantime::format_duration(timeout)
            ),
        }),
    }
}

/// `host:port/path` without credentials or query: safe to show and to log.
pub fn describe_place(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed.host_str().unwrap_or("?");
            match parsed.port_or_known_default() {
                Some(port) => format!("{host}:{port}{}", parsed.path()),
                None => format!("{host}{}", parsed.path()),
            }
        }
        Err(_) => "the service".to_string(),
    }
}

fn too_large(place: &str, max_body: u64) -> Reachability {
    Reachability::TooLarge {
        message: format!("{place} sent a body over the {} cap", human_size(max_body)),
    }
}

pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

/// Sorts a transport error into the reachability kinds of docs/contracts.md.
fn classify(error: &reqwest::Error, place: &str) -> Reachability {
    if error.is_timeout() {
        return Reachability::Timeout {
            message: format!("{place} timed out"),
        };
    }
    let chain = error_chain(error);
    if error.is_connect() {
        if chain.contains("connection refused") {
            return Reachability::Refused {
                message: format!("connection refused by {place}; is the service running?"),
            };
        }
        if chain.contains("dns error") || chain.contains("failed to lookup address") {
            return Reachability::Dns {
                message: format!("cannot resolve the host of {place}"),
            };
        }
        if chain.contains("certificate") || chain.contains("tls") {
            return Reachability::Tls {
                message: format!("TLS handshake with {place} failed: {}", last_cause(error)),
            };
        }
        return Reachability::Refused {
            message: format!("cannot connect to {place}: {}", last_cause(error)),
        };
    }
    Reachability::broken_off(format!(
        "{place} broke off the response: {}",
        last_cause(error)
    ))
}

/// The whole `source()` chain, lower-cased, for matching.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        text.push_str(&e.to_string().to_lowercase());
        text.push(' ');
        current = e.source();
    }
    text
}

/// The innermost cause: the one that says what actually happened, and that does not
/// repeat the URL (which may carry query parameters).
fn last_cause(error: &reqwest::Error) -> String {
    let mut innermost: Option<&dyn std::error::Error> = None;
    let mut next = error.source();
    while let Some(cause) = next {
        innermost = Some(cause);
        next = cause.source();
    }
    innermost.map_or_else(|| "unknown transport error".to_string(), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn places_never_show_credentials_or_queries() {
        assert_eq!(
            describe_place("http://user:secret@127.0.0.1:8001/health?token=abc"),
            "127.0.0.1:8001/health"
        );
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(1 << 20), "1 MiB");
        assert_eq!(human_size(512 * 1024), "512 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }
}
