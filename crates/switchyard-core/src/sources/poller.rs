//! The poll scheduler: one task per service, a jittered interval, a deadline per request,
//! backoff while the service is failing, and `Retry-After` obeyed. Each round of polls
//! becomes one [`Observation`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, StatusCode};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::http::{self, Fetched};
use crate::clock::Clock;
use crate::config::ServiceConfig;
use crate::model::{Observation, Reachability};
use crate::profiles::{Profile, Reading};

/// Backoff never stretches an interval by more than this: an engineer must see a
/// recovered service within a few intervals.
const MAX_BACKOFF_FACTOR: u32 = 4;
/// Jitter spreads polls of many services so they do not fire in lockstep.
const JITTER_FRACTION: f64 = 0.1;

/// Polls every endpoint of the service's profile once and merges the answers.
pub async fn poll_once(
    client: &Client,
    service: &ServiceConfig,
    clock: &dyn Clock,
) -> (Observation, Option<Duration>) {
    let mut merged = Reading::default();
    let mut latency = Duration::ZERO;
    let mut retry_after = None;
    let mut failure: Option<Reachability> = None;

    for endpoint in service.profile.endpoints() {
        let url = format!("{}{endpoint}", service.base_url);
        let outcome = http::get(client, &url, service.timeout, service.max_body_bytes).await;
        let read = outcome
            .map_err(|reachability| (reachability, None))
            .and_then(|fetched| read_response(service.profile, endpoint, &url, fetched));
        match read {
            Ok((reading, took, wait)) => {
                latency += took;
                retry_after = retry_after.max(wait);
                merge(&mut merged, reading);
            }
            Err((reachability, wait)) => {
                retry_after = retry_after.max(wait);
                failure.get_or_insert(reachability);
            }
        }
    }

    let reachability = failure.unwrap_or(Reachability::Reachable {
        latency_ms: (latency.as_secs_f64() * 1000.0 * 10.0).round() / 10.0,
    });
    let reachable = matches!(reachability, Reachability::Reachable { .. });
    let observation = Observation {
        service: service.name.clone(),
        profile: service.profile.name().to_string(),
        observed_at: clock.now(),
        reachability,
        health: if reachable { merged.health } else { None },
        breakers: if reachable {
            merged.breakers
        } else {
            Vec::new()
        },
        samples: if reachable {
            merged.samples
        } else {
            Vec::new()
        },
        actions: service.profile.actions(),
    };
    (observation, retry_after)
}

type ReadOutcome = Result<(Reading, Duration, Option<Duration>), (Reachability, Option<Duration>)>;

/// Turns one HTTP answer into a reading, or the precise reason it is not one.
fn read_response(profile: Profile, endpoint: &str, url: &str, fetched: Fetched) -> ReadOutcome {
    let Fetched {
        status,
        body,
        latency,
        retry_after,
    } = fetched;
    let place = http::describe_place(url);
    let parsed = profile.parse(endpoint, &body);
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

fn merge(into: &mut Reading, from: Reading) {
    if from.health.is_some() {
        into.health = from.health;
    }
    into.breakers.extend(from.breakers);
    into.samples.extend(from.samples);
}

/// How long to wait before the next round: the interval, stretched while failing, with
/// jitter, and never sooner than the service asked. `jitter_unit` is uniform in 0..1.
pub fn next_delay(
    interval: Duration,
    consecutive_failures: u32,
    retry_after: Option<Duration>,
    jitter_unit: f64,
) -> Duration {
    let factor = 2u32
        .saturating_pow(consecutive_failures.min(8))
        .min(MAX_BACKOFF_FACTOR);
    let base = interval * factor;
    let jitter = 1.0 - JITTER_FRACTION + 2.0 * JITTER_FRACTION * jitter_unit.clamp(0.0, 1.0);
    let jittered = base.mul_f64(jitter);
    retry_after.map_or(jittered, |wait| jittered.max(wait))
}

/// Polls one service until `shutdown`, sending each observation to `observations`.
pub async fn run(
    client: Client,
    service: ServiceConfig,
    clock: Arc<dyn Clock>,
    observations: mpsc::Sender<Observation>,
    shutdown: CancellationToken,
) {
    let mut consecutive_failures = 0u32;
    loop {
        let round = poll_once(&client, &service, clock.as_ref());
        let (observation, retry_after) = tokio::select! {
            _ = shutdown.cancelled() => return,
            result = round => result,
        };
        if observation.is_reachable() {
            consecutive_failures = 0;
        } else {
            consecutive_failures = consecutive_failures.saturating_add(1);
            tracing::debug!(
                service = %service.name,
                kind = observation.reachability.kind(),
                message = observation.reachability.message().unwrap_or(""),
                "poll failed"
            );
        }
        if observations.send(observation).await.is_err() {
            return; // the engine is gone
        }
        let delay = next_delay(
            service.poll_interval,
            consecutive_failures,
            retry_after,
            fastrand::f64(),
        );
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_healthy_service_is_polled_at_its_interval_within_jitter() {
        assert_eq!(next_delay(2 * SECOND, 0, None, 0.5), 2 * SECOND);
        assert_eq!(
            next_delay(2 * SECOND, 0, None, 0.0),
            Duration::from_millis(1800)
        );
        assert_eq!(
            next_delay(2 * SECOND, 0, None, 1.0),
            Duration::from_millis(2200)
        );
    }

    #[test]
    fn failures_back_off_up_to_four_intervals() {
        assert_eq!(next_delay(2 * SECOND, 1, None, 0.5), 4 * SECOND);
        assert_eq!(next_delay(2 * SECOND, 2, None, 0.5), 8 * SECOND);
        assert_eq!(next_delay(2 * SECOND, 30, None, 0.5), 8 * SECOND);
    }

    #[test]
    fn retry_after_is_a_floor() {
        assert_eq!(
            next_delay(2 * SECOND, 1, Some(30 * SECOND), 0.5),
            30 * SECOND
        );
        assert_eq!(next_delay(2 * SECOND, 0, Some(SECOND), 0.5), 2 * SECOND);
    }
}
