//! The poll scheduler: one task per service, a jittered interval, a deadline per request,
//! backoff while the service is failing, and `Retry-After` obeyed. Each round polls the
//! profile's endpoints that are due and becomes one [`Observation`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::detect;
use super::http::{self, Fetched};
use crate::clock::Clock;
use crate::config::ServiceConfig;
use crate::ingress::{Ingress, News, SourceEvent};
use crate::model::{EndpointProblem, Observation, Reachability};
use crate::profiles::{Endpoint, Profile, ProfileReader, Reading, Response};
use crate::secrets;

/// Backoff never stretches an interval by more than this: an engineer must see a
/// recovered service within a few intervals.
const MAX_BACKOFF_FACTOR: u32 = 4;
/// Jitter spreads polls of many services so they do not fire in lockstep.
const JITTER_FRACTION: f64 = 0.1;

/// Everything needed to poll one service, and what it remembers between rounds.
pub struct ServicePoller {
    service: ServiceConfig,
    headers: HeaderMap,
    /// Secrets that could not be resolved; named when the service refuses us.
    secret_problems: Vec<String>,
    profile: Option<(Profile, Vec<Endpoint>, Box<dyn ProfileReader>)>,
    round: u64,
}

impl ServicePoller {
    /// Resolves the service's header references once. An unresolvable secret is logged
    /// (by reference) and the header left out: the service's answer says the rest.
    pub fn new(service: ServiceConfig) -> ServicePoller {
        let (headers, secret_problems) = secrets::resolve_headers(&service.name, &service.headers);
        let profile = service
            .profile
            .map(|p| (p, p.endpoints(&service), p.reader(&service)));
        ServicePoller {
            service,
            headers,
            secret_problems,
            profile,
            round: 0,
        }
    }

    pub fn service(&self) -> &ServiceConfig {
        &self.service
    }

    /// Polls the endpoints due this round. Returns the observation and how long the
    /// service asked us to wait, if it did.
    pub async fn poll_round(
        &mut self,
        client: &Client,
        clock: &dyn Clock,
    ) -> (Observation, Option<Duration>) {
        self.poll(client, clock, false).await
    }

    /// A round of the endpoints due, or of every endpoint when `full` (so the breakers
    /// are among them, whatever their schedule).
    pub async fn poll(
        &mut self,
        client: &Client,
        clock: &dyn Clock,
        full: bool,
    ) -> (Observation, Option<Duration>) {
        if self.profile.is_none() {
            match detect::detect(client, &self.service, &self.headers).await {
                Ok(profile) => {
                    tracing::info!(service = %self.service.name, profile = profile.name(), "profile detected");
                    self.profile = Some((
                        profile,
                        profile.endpoints(&self.service),
                        profile.reader(&self.service),
                    ));
                }
                Err(report) => {
                    let observation = self.observation(
                        None,
                        clock,
                        Reachability::InvalidResponse {
                            reason: "no_profile".into(),
                            message: report.to_string(),
                        },
                        Reading::default(),
                        Vec::new(),
                    );
                    return (observation, None);
                }
            }
        }
        let Some((profile, endpoints, reader)) = self.profile.as_mut() else {
            let reason = Reachability::InvalidResponse {
                reason: "no_profile".into(),
                message: "no profile is known for this service".into(),
            };
            return (
                self.observation(None, clock, reason, Reading::default(), Vec::new()),
                None,
            );
        };
        let profile = *profile;
        let round = self.round;
        self.round += 1;

        let mut merged = Reading::default();
        let mut latency = Duration::ZERO;
        let mut retry_after = None;
        let mut problems = Vec::new();
        let mut reachability = None;
        for endpoint in endpoints.iter().filter(|e| full || e.is_due(round)) {
            let url = format!("{}{}", self.service.base_url, endpoint.path);
            let fetched = http::get(
                client,
                &url,
                &self.headers,
                self.service.timeout,
                self.service.max_body_bytes,
            )
            .await
            .map_err(|reachability| (reachability, None));
            let outcome = fetched
                .and_then(|f| read_response(reader.as_mut(), &endpoint.path, &url, f, clock));
            match outcome {
                Ok((reading, took, wait)) => {
                    latency = latency.max(took);
                    retry_after = retry_after.max(wait);
                    merged.merge(reading);
                }
                Err((failure, wait)) => {
                    retry_after = retry_after.max(wait);
                    let failure = with_secret_problems(&self.secret_problems, failure);
                    if endpoint.primary {
                        reachability = Some(failure);
                        break;
                    }
                    problems.push(EndpointProblem {
                        endpoint: endpoint.path.clone(),
                        reachability: failure,
                    });
                }
            }
        }
        let reachability = reachability.unwrap_or(Reachability::Reachable {
            latency_ms: (latency.as_secs_f64() * 10_000.0).round() / 10.0,
        });
        (
            self.observation(Some(profile), clock, reachability, merged, problems),
            retry_after,
        )
    }

    fn observation(
        &self,
        profile: Option<Profile>,
        clock: &dyn Clock,
        reachability: Reachability,
        reading: Reading,
        problems: Vec<EndpointProblem>,
    ) -> Observation {
        let reachable = matches!(reachability, Reachability::Reachable { .. });
        let reading = if reachable {
            reading
        } else {
            Reading::default()
        };
        Observation {
            service: self.service.name.clone(),
            profile: profile.map_or("unknown", Profile::name).to_string(),
            observed_at: clock.now(),
            reachability,
            health: reading.health,
            breakers: reading.breakers,
            samples: reading.samples,
            actions: match profile {
                Some(p) if self.service.allow_actions => p.actions(),
                _ => Vec::new(),
            },
            transitions: reading.transitions,
            service_alerts: reading.service_alerts,
            thresholds: reading.thresholds,
            problems: if reachable { problems } else { Vec::new() },
        }
    }
}

/// A refusal is easier to fix when it says which secret could not be sent.
fn with_secret_problems(secret_problems: &[String], failure: Reachability) -> Reachability {
    match failure {
        Reachability::Unauthorized { message } if !secret_problems.is_empty() => {
            Reachability::Unauthorized {
                message: format!("{message} ({})", secret_problems.join("; ")),
            }
        }
        other => other,
    }
}

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

/// Polls one service until `shutdown`, sending each round to `ingress`. A signal on
/// `poll_now` (an action waiting to see its effect) starts a full round at once instead
/// of waiting out the interval.
pub async fn run(
    client: Client,
    service: ServiceConfig,
    clock: Arc<dyn Clock>,
    ingress: Ingress,
    poll_now: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let interval = service.poll_interval;
    let mut poller = ServicePoller::new(service);
    let mut consecutive_failures = 0u32;
    let mut full = false;
    loop {
        let started_at = clock.now();
        let round = poller.poll(&client, clock.as_ref(), full);
        let (observation, retry_after) = tokio::select! {
            _ = shutdown.cancelled() => return,
            result = round => result,
        };
        if observation.is_reachable() {
            consecutive_failures = 0;
        } else {
            consecutive_failures = consecutive_failures.saturating_add(1);
            tracing::debug!(
                service = %observation.service,
                kind = observation.reachability.kind(),
                message = observation.reachability.message().unwrap_or(""),
                "poll failed"
            );
        }
        let event = SourceEvent {
            service: observation.service.clone(),
            news: News::Poll {
                observation,
                consecutive_failures,
                started_at,
            },
        };
        if ingress.send(event).await.is_err() {
            return; // the engine is gone
        }
        let delay = next_delay(interval, consecutive_failures, retry_after, fastrand::f64());
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => full = false,
            _ = poll_now.notified() => full = true,
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
