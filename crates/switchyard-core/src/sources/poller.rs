//! The poll scheduler: one task per service, a jittered interval, a deadline per request,
//! backoff while the service is failing, and `Retry-After` obeyed. Each round polls the
//! profile's endpoints that are due and becomes one [`Observation`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::Client;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::detect;
use super::endpoint_index::{EndpointIndex, IndexRequest};
use super::http;
use super::reading::read_response;
use crate::backoff::Backoff;
use crate::clock::Clock;
use crate::config::ServiceConfig;
use crate::discovery::Instance;
use crate::ingress::{Ingress, News, SourceEvent};
use crate::model::{EndpointProblem, Observation, Reachability};
use crate::profiles::{Endpoint, Profile, ProfileReader, Reading};
use crate::secrets;

/// Everything needed to poll one service, and what it remembers between rounds.
pub struct ServicePoller {
    service: ServiceConfig,
    headers: HeaderMap,
    /// Secrets that could not be resolved; named when the service refuses us.
    secret_problems: Vec<String>,
    profile: Option<(Profile, Vec<Endpoint>, Box<dyn ProfileReader>)>,
    /// The endpoints the service says it has, for profiles that publish a list.
    index: EndpointIndex,
    round: u64,
}

impl ServicePoller {
    /// Resolves the service's header references once. An unresolvable secret is logged
    /// (by reference) and the header left out: the service's answer says the rest.
    pub fn new(service: ServiceConfig) -> ServicePoller {
        let (headers, secret_problems) = secrets::resolve_headers(&service.name, &service.headers);
        let profile = service.profile.map(|p| {
            (
                p,
                p.endpoints(&service.settings),
                p.reader(&service.settings),
            )
        });
        ServicePoller {
            service,
            headers,
            secret_problems,
            profile,
            index: EndpointIndex::default(),
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
                        profile.endpoints(&self.service.settings),
                        profile.reader(&self.service.settings),
                    ));
                }
                Err(report) => {
                    // A dead service is reported as such (refused, DNS, timeout), not as
                    // one no profile fits.
                    let reachability = report.unreachable.clone().unwrap_or_else(|| {
                        Reachability::InvalidResponse {
                            reason: "no_profile".into(),
                            message: report.to_string(),
                        }
                    });
                    let observation =
                        self.observation(None, clock, reachability, Reading::default(), Vec::new());
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
        let request = IndexRequest {
            client,
            base_url: &self.service.base_url,
            headers: &self.headers,
            timeout: self.service.timeout,
            max_body: self.service.max_body_bytes,
        };
        self.index.refresh(profile, round, request).await;

        let mut merged = Reading::default();
        let mut latency = Duration::ZERO;
        let mut retry_after = None;
        let mut problems = Vec::new();
        let mut reachability = None;
        let index = &self.index;
        let due = endpoints
            .iter()
            .filter(|e| (full || e.is_due(round)) && index.allows(e));
        for endpoint in due {
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

/// How much of the first poll interval the fleet's first polls are spread over, per
/// service: a dozen services all start at once; thousands start over up to one interval,
/// as Prometheus spreads its targets' scrapes, instead of asking every service in the
/// same instant while the window is starting (and then again, bunched, each interval).
const FIRST_POLL_SPREAD_PER_SERVICE: Duration = Duration::from_micros(1000);

/// When the `index`th of `count` services polled every `interval` first polls.
pub fn first_poll_offset(index: usize, count: usize, interval: Duration) -> Duration {
    let window = FIRST_POLL_SPREAD_PER_SERVICE
        .saturating_mul(u32::try_from(count).unwrap_or(u32::MAX))
        .min(interval);
    window.mul_f64(index as f64 / count.max(1) as f64)
}

/// Polls one service until `shutdown`, sending each round to `ingress`, the first after
/// `first_after`. A signal on `poll_now` (an action waiting to see its effect) starts a
/// full round at once instead of waiting out the interval.
pub async fn run(
    client: Client,
    service: ServiceConfig,
    first_after: Duration,
    clock: Arc<dyn Clock>,
    ingress: Ingress,
    poll_now: Arc<Notify>,
    shutdown: CancellationToken,
) {
    tokio::select! {
        _ = shutdown.cancelled() => return,
        _ = tokio::time::sleep(first_after) => {}
        _ = poll_now.notified() => {}
    }
    let name = service.name.clone();
    let rounds = Rounds {
        client,
        clock,
        ingress,
        poll_now,
        shutdown,
    };
    rounds
        .run(
            ServicePoller::new(service),
            |observation, consecutive_failures, started_at| SourceEvent {
                service: name.clone(),
                news: News::Poll {
                    observation,
                    consecutive_failures,
                    started_at,
                },
            },
        )
        .await;
}

/// Polls one instance of a service polled at several (see `replicas.rs`), the same way,
/// each round sent as that instance's.
pub async fn run_instance(
    client: Client,
    service: ServiceConfig,
    instance: Instance,
    clock: Arc<dyn Clock>,
    ingress: Ingress,
    poll_now: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let name = service.name.clone();
    let poller = ServicePoller::new(service.at_instance(&instance.base_url));
    let rounds = Rounds {
        client,
        clock,
        ingress,
        poll_now,
        shutdown,
    };
    rounds
        .run(poller, |observation, consecutive_failures, started_at| {
            SourceEvent {
                service: name.clone(),
                news: News::InstancePoll {
                    instance: instance.clone(),
                    observation,
                    consecutive_failures,
                    started_at,
                },
            }
        })
        .await;
}

/// What a poll loop needs besides the poller.
struct Rounds {
    client: Client,
    clock: Arc<dyn Clock>,
    ingress: Ingress,
    poll_now: Arc<Notify>,
    shutdown: CancellationToken,
}

impl Rounds {
    /// Rounds until shutdown: the interval with backoff while failing, `Retry-After`
    /// obeyed, a full round at once on `poll_now`; each round sent as `event` makes it.
    async fn run(
        self,
        mut poller: ServicePoller,
        event: impl Fn(Observation, u32, DateTime<Utc>) -> SourceEvent,
    ) {
        let Rounds {
            client,
            clock,
            ingress,
            poll_now,
            shutdown,
        } = self;
        let schedule = Backoff::for_polls(poller.service.poll_interval);
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
                    url = %poller.service.base_url,
                    kind = observation.reachability.kind(),
                    message = observation.reachability.message().unwrap_or(""),
                    "poll failed"
                );
            }
            if ingress
                .send(event(observation, consecutive_failures, started_at))
                .await
                .is_err()
            {
                return; // the engine is gone
            }
            let delay = schedule.poll_delay(consecutive_failures, retry_after, fastrand::f64());
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(delay) => full = false,
                _ = poll_now.notified() => full = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_fleet_polls_at_once_and_a_large_one_over_an_interval_at_most() {
        let second = Duration::from_secs(1);
        // Ten services: all within 10 ms.
        assert_eq!(first_poll_offset(0, 10, second), Duration::ZERO);
        assert_eq!(first_poll_offset(9, 10, second), Duration::from_millis(9));
        // A thousand at 1 s: the whole interval, evenly.
        assert_eq!(
            first_poll_offset(500, 1000, second),
            Duration::from_millis(500)
        );
        assert_eq!(
            first_poll_offset(999, 1000, second),
            Duration::from_millis(999)
        );
        // Five thousand at 1 s: still within the interval; at 10 s, over 5 s.
        assert!(first_poll_offset(4999, 5000, second) < second);
        let ten = Duration::from_secs(10);
        assert_eq!(
            first_poll_offset(2500, 5000, ten),
            Duration::from_millis(2500)
        );
        assert_eq!(first_poll_offset(0, 1, ten), Duration::ZERO);
    }
}
