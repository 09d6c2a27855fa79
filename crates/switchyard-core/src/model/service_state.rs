//! What the console knows about one service right now, and how each kind of news changes
//! it. Pure: the engine decides when news arrives and what it means for the history and
//! the alerts; this says only what the service looks like afterwards.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Breaker, BreakerState, EngineView, Observation, Replicas, StreamState, StreamStatus};

/// What the console knows about one service right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct ServiceState {
    pub name: String,
    pub profile: String,
    pub base_url: String,
    pub tags: Vec<String>,
    pub poll_interval_ms: f64,
    /// The most recent observation, whatever its reachability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Observation>,
    /// The most recent observation in which the service answered usefully. Kept while
    /// it is unreachable, so the last good values stay visible with their age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_good: Option<Observation>,
    /// Poll rounds failed in a row, as the poller counts them for its backoff.
    pub consecutive_failures: u32,
    /// When the poll round behind `latest` began: an action's verification trusts only
    /// rounds begun after the service answered it. Not shown, not sent.
    #[serde(skip)]
    #[ts(skip)]
    pub round_started_at: Option<DateTime<Utc>>,
    /// The service's stream sessions, one per configured stream.
    #[ts(as = "Option<Vec<StreamStatus>>", optional)]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamStatus>,
    /// Set for a service read from a team's engine: which one, its instances, and
    /// whether the values are stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineView>,
    /// Set for a service polled at several instances: each one's state. The fields
    /// above hold their combination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Replicas>,
}

impl ServiceState {
    /// A poll round's observation. `consecutive_failures` is the poller's own count: it
    /// is the one that decides the backoff, so the screen shows the same number.
    pub fn apply_poll(&mut self, observation: Observation, consecutive_failures: u32) {
        if observation.profile != "unknown" {
            self.profile.clone_from(&observation.profile);
        }
        self.consecutive_failures = consecutive_failures;
        if observation.is_reachable() {
            let mut good = observation.clone();
            // A round that did not read breakers or health (endpoint not due, or it
            // failed) keeps the last known ones rather than showing none.
            if let Some(previous) = self.last_good.take() {
                if good.breakers.is_empty() {
                    good.breakers = previous.breakers;
                }
                if good.health.is_none() {
                    good.health = previous.health;
                }
            }
            self.last_good = Some(good);
        }
        self.latest = Some(observation);
    }

    /// An engine's refresh reported the service: the observation is applied like a poll
    /// round's, and the engine's view (instances, warnings) replaces the last one, fresh.
    pub fn apply_engine_round(&mut self, observation: Observation, view: EngineView) {
        self.apply_poll(observation, 0);
        self.engine = Some(view);
    }

    /// The engine behind the service cannot be read, or no longer reports it: the last
    /// values stay, marked stale from `since` (a staleness already noted keeps its
    /// start). A service no engine reported is left alone.
    pub fn apply_engine_stale(&mut self, engine: &str, reason: String, since: DateTime<Utc>) {
        let Some(view) = self.engine.as_mut().filter(|v| v.engine == engine) else {
            return;
        };
        match &mut view.stale {
            Some(stale) => stale.reason = reason,
            None => view.stale = Some(super::Staleness { reason, since }),
        }
    }

    /// A stream session's new state or counters. Returns the session's state before,
    /// `None` for a session not seen yet.
    pub fn apply_stream_status(&mut self, status: StreamStatus) -> Option<StreamState> {
        match self.streams.iter_mut().find(|s| s.path == status.path) {
            Some(slot) => Some(std::mem::replace(slot, status).state),
            None => {
                self.streams.push(status);
                None
            }
        }
    }

    /// A stream's news about one breaker, merged into the last known breakers (the next
    /// poll confirms or corrects it). Returns the state it had before, when it had one;
    /// news before the first good poll has nothing to merge into and is dropped.
    pub fn apply_stream_breaker(
        &mut self,
        breaker: Breaker,
        at: DateTime<Utc>,
    ) -> Option<BreakerState> {
        let good = self.last_good.as_mut()?;
        match good.breakers.iter_mut().find(|b| b.name == breaker.name) {
            Some(known) => {
                let from = known.state;
                // A change of state the stream reports began when the stream said so;
                // the next poll may give the service's own time.
                let since = match (&breaker.since, from == breaker.state) {
                    (Some(since), _) => Some(since.clone()),
                    (None, true) => known.since.clone(),
                    (None, false) => Some(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                };
                *known = Breaker {
                    // Keep what the stream does not carry.
                    failure_rate: breaker.failure_rate.or(known.failure_rate),
                    success_count: breaker.success_count.or(known.success_count),
                    call_count: breaker.call_count.or(known.call_count),
                    since,
                    reason: breaker.reason.clone().or_else(|| known.reason.clone()),
                    ..breaker
                };
                Some(from)
            }
            None => {
                good.breakers.push(breaker);
                None
            }
        }
    }

    /// The breaker called `name` as last seen, by a poll or a stream.
    pub fn breaker(&self, name: &str) -> Option<&Breaker> {
        self.last_good
            .as_ref()?
            .breakers
            .iter()
            .find(|b| b.name == name)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::Reachability;

    fn breaker(state: BreakerState, since: Option<&str>) -> Breaker {
        Breaker {
            name: "exchange_api".into(),
            state,
            failure_count: None,
            success_count: None,
            failure_rate: None,
            backoff_seconds: None,
            health_score: None,
            call_count: None,
            since: since.map(str::to_string),
            reason: None,
        }
    }

    fn polled(breakers: Vec<Breaker>) -> ServiceState {
        let observation = Observation {
            service: "registry".into(),
            profile: "breaker-registry".into(),
            observed_at: Utc::now(),
            reachability: Reachability::Reachable { latency_ms: 1.0 },
            health: None,
            breakers,
            samples: vec![],
            actions: vec![],
            transitions: vec![],
            service_alerts: vec![],
            thresholds: vec![],
            problems: vec![],
        };
        let mut state = ServiceState {
            name: "registry".into(),
            profile: "breaker-registry".into(),
            base_url: "http://127.0.0.1:1".into(),
            tags: vec![],
            poll_interval_ms: 1000.0,
            latest: None,
            last_good: None,
            consecutive_failures: 0,
            round_started_at: None,
            streams: vec![],
            engine: None,
            replicas: None,
        };
        state.apply_poll(observation, 0);
        state
    }

    /// A breaker the stream says opened is open since the stream said so (until a poll
    /// gives the service's own time); news of the same state keeps the known time.
    #[test]
    fn a_change_through_the_stream_is_dated_by_the_stream() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 6, 30, 0).unwrap();
        let mut state = polled(vec![breaker(BreakerState::Closed, None)]);
        let before = state.apply_stream_breaker(breaker(BreakerState::Open, None), at);
        assert_eq!(before, Some(BreakerState::Closed));
        let since = |state: &ServiceState| state.breaker("exchange_api").unwrap().since.clone();
        assert_eq!(since(&state).as_deref(), Some("2026-12-06T06:30:00.000Z"));

        let later = at + chrono::Duration::seconds(5);
        state.apply_stream_breaker(breaker(BreakerState::Open, None), later);
        assert_eq!(since(&state).as_deref(), Some("2026-12-06T06:30:00.000Z"));
        state.apply_stream_breaker(
            breaker(BreakerState::Open, Some("2026-12-06T06:29:58Z")),
            later,
        );
        assert_eq!(since(&state).as_deref(), Some("2026-12-06T06:29:58Z"));
    }
}
