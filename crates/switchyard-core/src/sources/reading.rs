//! One HTTP answer becomes a reading, or the precise reason it is not one: asked to
//! slow down (429, or 503 with `Retry-After`), credentials refused (401, 403), a
//! document the profile cannot read, or an HTTP error; a 503 that carries a readable
//! health document is the service talking, not failing to. Used by every poll round
//! and by profile detection.

use std::time::Duration;

use reqwest::StatusCode;

use super::http::{self, Fetched};
use crate::clock::Clock;
use crate::model::Reachability;
use crate::profiles::{ProfileReader, Reading, Response};

type ReadOutcome = Result<(Reading, Duration, Option<Duration>), (Reachability, Option<Duration>)>;

/// Turns one HTTP answer into a reading, or the precise reason it is not one.
pub(crate) fn read_response(
    reader: &mut dyn ProfileReader,
    endpoint: &str,
    url: &str,
    fetched: Fetched,
    clock: &dyn Clock,
) -> ReadOutcome {
    let Fetched {
        status,
        body,
        content_type,
        latency,
        retry_after,
    } = fetched;
    let place = http::describe_place(url);
    if status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::SERVICE_UNAVAILABLE && retry_after.is_some())
    {
        let message = match retry_after {
            Some(wait) => format!(
                "{place} asked to slow down (HTTP {}); next poll in {}",
                status.as_u16(),
                humantime::format_duration(wait)
            ),
            None => format!("{place} asked to slow down (HTTP {})", status.as_u16()),
        };
        return Err((
            Reachability::RateLimited {
                retry_after_seconds: retry_after.map(|d| d.as_secs_f64()),
                message,
            },
            retry_after,
        ));
    }
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err((
            Reachability::Unauthorized {
                message: format!(
                    "{place} refused the credentials (HTTP {}); check the service's headers in the configuration",
                    status.as_u16()
                ),
            },
            retry_after,
        ));
    }
    let response = Response {
        body: &body,
        content_type: content_type.as_deref(),
        received_at: clock.now(),
    };
    let parsed = reader.read(endpoint, &response);
    if status.is_success() {
        return match parsed {
            Ok(reading) => Ok((reading, latency, retry_after)),
            Err(e) => Err((
                Reachability::InvalidResponse {
                    reason: e.reason,
                    message: format!("{place}: {}", e.message),
                },
                retry_after,
            )),
        };
    }
    // Health endpoints often answer DOWN with a 503 and a perfectly good document:
    // that is the service talking, not failing to.
    if let Ok(reading) = parsed {
        if reading.health.is_some() {
            return Ok((reading, latency, retry_after));
        }
    }
    Err((
        Reachability::HttpError {
            code: status.as_u16(),
            message: format!(
                "{place} answered HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_string(),
        },
        retry_after,
    ))
}
