//! A service polled at several instances, inside the engine: each instance's last poll
//! is kept here (not in the published state, which carries only what the window shows),
//! discovery's news marks instances present or gone, and every change is combined into
//! the service's own observation with [`aggregate`]. That combination is what alerts,
//! transitions and the history see, recorded at most once a poll interval unless its
//! shape changes (health, a breaker's state, reachability), so five instances do not
//! write five rows a round; each instance's values go with it as `series@instance`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::discovery::Instance;
use crate::model::aggregate::{aggregate, HealthRule, InstanceReading};
use crate::model::{
    instance_series, natural_cmp, BreakerState, EndpointProblem, HealthStatus, Observation,
    Reachability, Replica, Replicas, Sample, ServiceState,
};

/// How long an instance discovery stopped listing is shown as gone before it is dropped.
pub(crate) const GONE_FOR: Duration = Duration::from_secs(300);

/// What the engine keeps of one service's instances.
#[derive(Debug)]
pub(crate) struct ReplicaBook {
    discovery: String,
    rule: HealthRule,
    interval: Duration,
    slots: BTreeMap<String, Slot>,
    discovery_error: Option<String>,
    /// Whether discovery has answered once: before, no instances is not yet news.
    discovered: bool,
    last_recorded: Option<(DateTime<Utc>, Shape)>,
}

#[derive(Debug)]
struct Slot {
    base_url: String,
    last: Option<Polled>,
    gone_since: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Polled {
    observation: Observation,
    consecutive_failures: u32,
    started_at: DateTime<Utc>,
}

/// What makes a combination worth recording at once: health, reachability's kind and
/// each breaker's state.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    health: Option<HealthStatus>,
    reachability: &'static str,
    breakers: Vec<(String, BreakerState)>,
}

impl Shape {
    fn of(observation: &Observation) -> Shape {
        Shape {
            health: observation.health.as_ref().map(|h| h.status),
            reachability: observation.reachability.kind(),
            breakers: observation
                .breakers
                .iter()
                .map(|b| (b.name.clone(), b.state))
                .collect(),
        }
    }
}

/// The service combined from its instances.
pub(crate) struct Combined {
    pub observation: Observation,
    pub view: Replicas,
    /// Rounds failed in a row by every instance (0 while any answers).
    pub consecutive_failures: u32,
    /// When the oldest round behind the combination began: an action's verification
    /// trusts only what began after it was answered.
    pub started_at: Option<DateTime<Utc>>,
    /// Whether the history should take this combination.
    pub record: bool,
}

impl ReplicaBook {
    pub(crate) fn new(
        discovery: String,
        quorum: Option<u32>,
        interval: Duration,
        listed: &[Instance],
    ) -> ReplicaBook {
        let mut book = ReplicaBook {
            discovery,
            rule: quorum.map_or(HealthRule::Worst, |q| HealthRule::Quorum(q as usize)),
            interval,
            slots: BTreeMap::new(),
            discovery_error: None,
            discovered: !listed.is_empty(),
            last_recorded: None,
        };
        for instance in listed {
            book.slots.insert(instance.id.clone(), Slot::new(instance));
        }
        book
    }

    /// An instance's poll round. Ignored for an instance discovery no longer lists (its
    /// poller may finish one last round after it was dropped).
    pub(crate) fn observe(
        &mut self,
        instance: &Instance,
        observation: Observation,
        consecutive_failures: u32,
        started_at: DateTime<Utc>,
    ) -> bool {
        match self.slots.get_mut(&instance.id) {
            Some(slot) if slot.gone_since.is_none() => {
                slot.last = Some(Polled {
                    observation,
                    consecutive_failures,
                    started_at,
                });
                true
            }
            _ => false,
        }
    }

    /// A stream's word about one breaker of an instance, merged into its last poll
    /// (the next poll confirms or corrects it). False when nothing changed, or the
    /// instance has not answered a poll yet.
    pub(crate) fn stream_breaker(&mut self, id: &str, breaker: &crate::model::Breaker) -> bool {
        let Some(polled) = self
            .slots
            .get_mut(id)
            .filter(|slot| slot.gone_since.is_none())
            .and_then(|slot| slot.last.as_mut())
            .filter(|p| p.observation.is_reachable())
        else {
            return false;
        };
        let breakers = &mut polled.observation.breakers;
        match breakers.iter_mut().find(|b| b.name == breaker.name) {
            Some(known) if known.state == breaker.state => false,
            Some(known) => {
                known.state = breaker.state;
                known.since.clone_from(&breaker.since);
                true
            }
            None => {
                breakers.push(breaker.clone());
                true
            }
        }
    }

    /// Discovery's answer: new instances are added, missing ones marked gone (and
    /// dropped once gone long enough), returning ones come back. With `error`, the
    /// instances known are kept and the error shown.
    pub(crate) fn membership(
        &mut self,
        present: &[Instance],
        error: Option<String>,
        at: DateTime<Utc>,
    ) {
        if error.is_none() {
            self.discovered = true;
            for (id, slot) in self.slots.iter_mut() {
                if !present.iter().any(|i| &i.id == id) {
                    slot.gone_since.get_or_insert(at);
                }
            }
            for instance in present {
                let slot = self
                    .slots
                    .entry(instance.id.clone())
                    .or_insert_with(|| Slot::new(instance));
                if slot.gone_since.take().is_some() {
                    // Back after a while: its last values are not today's.
                    slot.last = None;
                }
                slot.base_url.clone_from(&instance.base_url);
            }
        }
        self.discovery_error = error;
        let keep = chrono::Duration::from_std(GONE_FOR).unwrap_or(chrono::Duration::zero());
        self.slots
            .retain(|_, slot| slot.gone_since.is_none_or(|since| at - since < keep));
        // A change of members is worth a row at once.
        self.last_recorded = None;
    }

    /// The service as its present instances make it, at `now`; `None` while nothing has
    /// been heard yet (no poll, and discovery has not answered).
    pub(crate) fn combine(
        &mut self,
        service: &str,
        profile: &str,
        now: DateTime<Utc>,
    ) -> Option<Combined> {
        let present: Vec<(&String, &Slot)> = self
            .slots
            .iter()
            .filter(|(_, slot)| slot.gone_since.is_none())
            .collect();
        let polled: Vec<(&String, &Polled)> = present
            .iter()
            .filter_map(|(id, slot)| slot.last.as_ref().map(|p| (*id, p)))
            .collect();
        if polled.is_empty()
            && !(self.discovered && present.is_empty())
            && self.discovery_error.is_none()
        {
            return None;
        }
        // A profile detected at an instance names the service's.
        let profile = polled
            .iter()
            .map(|(_, p)| p.observation.profile.as_str())
            .find(|p| *p != "unknown")
            .unwrap_or(profile);
        let readings: Vec<InstanceReading> = present
            .iter()
            .map(|(id, slot)| reading(id, slot.last.as_ref().map(|p| &p.observation)))
            .collect();
        let reachability = self.reachability(&polled, present.len());
        let mut combined = aggregate(service, profile, &readings, now, reachability, self.rule);
        let observation = &mut combined.observation;
        let answered: Vec<&Observation> = polled
            .iter()
            .map(|(_, p)| &p.observation)
            .filter(|o| o.is_reachable())
            .collect();
        if let Some(first) = answered.first() {
            // What the profile offers and what the service declares is the same on
            // every instance; read it from one that answered.
            observation.actions.clone_from(&first.actions);
            observation.thresholds.clone_from(&first.thresholds);
            observation.service_alerts.clone_from(&first.service_alerts);
            if let (Some(health), Some(theirs)) =
                (observation.health.as_mut(), worst_health(&answered))
            {
                health.dependencies.clone_from(&theirs.dependencies);
                health.version = common_version(&answered);
            }
        }
        observation.problems = problems(&polled);
        if present.is_empty() {
            observation.health = None;
        }
        let consecutive_failures = if answered.is_empty() {
            polled
                .iter()
                .map(|(_, p)| p.consecutive_failures)
                .min()
                .unwrap_or(0)
        } else {
            0
        };
        let started_at = polled.iter().map(|(_, p)| p.started_at).min();
        let summary = if present.is_empty() {
            Some("no instances".to_string())
        } else {
            combined.summary.take()
        };
        let shape = Shape::of(&combined.observation);
        let record = match &self.last_recorded {
            None => true,
            Some((at, last)) => {
                *last != shape
                    || (now - *at).to_std().unwrap_or_default() >= self.interval.mul_f64(0.9)
            }
        };
        if record {
            self.last_recorded = Some((now, shape));
        }
        Some(Combined {
            view: self.view(summary),
            observation: combined.observation,
            consecutive_failures,
            started_at,
            record,
        })
    }

    /// Every reachable instance answered: the slowest one's latency. None did: the
    /// reason of one that did not, naming it.
    fn reachability(&self, polled: &[(&String, &Polled)], present: usize) -> Reachability {
        if present == 0 {
            let message = match &self.discovery_error {
                Some(error) => error.clone(),
                None => format!("no instances: {} found none", self.discovery),
            };
            return Reachability::Dns { message };
        }
        let slowest = polled
            .iter()
            .filter_map(|(_, p)| p.observation.reachability.latency_ms())
            .fold(None, |acc: Option<f64>, l| {
                Some(acc.map_or(l, |a| a.max(l)))
            });
        if let Some(latency_ms) = slowest {
            return Reachability::Reachable { latency_ms };
        }
        match polled.first() {
            Some((id, p)) => with_prefix(
                &p.observation.reachability,
                &format!("every instance is unreachable; {id}: "),
            ),
            None => match &self.discovery_error {
                Some(error) => Reachability::Dns {
                    message: error.clone(),
                },
                None => Reachability::Reachable { latency_ms: 0.0 },
            },
        }
    }

    fn view(&self, summary: Option<String>) -> Replicas {
        let mut instances: Vec<Replica> = self
            .slots
            .iter()
            .map(|(id, slot)| {
                let observation = slot.last.as_ref().map(|p| &p.observation);
                Replica {
                    id: id.clone(),
                    base_url: slot.base_url.clone(),
                    health: reading(id, observation).health,
                    reachability: observation.map(|o| o.reachability.clone()),
                    breakers: observation
                        .map(|o| {
                            o.breakers
                                .iter()
                                .map(|b| (b.name.clone(), b.state))
                                .collect()
                        })
                        .unwrap_or_default(),
                    samples: observation.map(|o| o.samples.clone()).unwrap_or_default(),
                    observed_at: observation.map(|o| o.observed_at),
                    round_started_at: slot.last.as_ref().map(|p| p.started_at),
                    gone_since: slot.gone_since,
                }
            })
            .collect();
        instances.sort_by(|a, b| natural_cmp(&a.id, &b.id));
        Replicas {
            discovery: self.discovery.clone(),
            instances,
            summary,
            discovery_error: self.discovery_error.clone(),
        }
    }

    /// Each instance heard from, as a service of its own (`service@host:port`, the
    /// service's tags and interval), for the per-instance alert rules. A gone instance
    /// reads as listing nothing, so its breaker alerts resolve rather than fire on.
    pub(crate) fn instance_states(&self, service: &ServiceState) -> Vec<ServiceState> {
        self.slots
            .iter()
            .filter_map(|(id, slot)| {
                let polled = slot.last.as_ref()?;
                let mut observation = polled.observation.clone();
                if let Some(since) = slot.gone_since {
                    observation.observed_at = since;
                    observation.reachability = Reachability::Reachable { latency_ms: 0.0 };
                    observation.breakers.clear();
                    observation.health = None;
                }
                Some(ServiceState {
                    name: instance_series(&service.name, id),
                    profile: service.profile.clone(),
                    base_url: slot.base_url.clone(),
                    tags: service.tags.clone(),
                    poll_interval_ms: service.poll_interval_ms,
                    last_good: observation.is_reachable().then(|| observation.clone()),
                    latest: Some(observation),
                    consecutive_failures: polled.consecutive_failures,
                    round_started_at: Some(polled.started_at),
                    streams: Vec::new(),
                    engine: None,
                    replicas: None,
                })
            })
            .collect()
    }

    /// The history's copy of `combined`: each instance's own values beside the service's.
    pub(crate) fn with_instance_samples(&self, mut observation: Observation) -> Observation {
        for (id, slot) in &self.slots {
            let Some(polled) = slot.last.as_ref().filter(|_| slot.gone_since.is_none()) else {
                continue;
            };
            observation
                .samples
                .extend(polled.observation.samples.iter().map(|s| Sample {
                    series: instance_series(&s.series, id),
                    value: s.value,
                }));
        }
        observation
    }
}

impl Slot {
    fn new(instance: &Instance) -> Slot {
        Slot {
            base_url: instance.base_url.clone(),
            last: None,
            gone_since: None,
        }
    }
}

/// One instance's part in the combination: unreachable is down; reachable without a
/// health endpoint is up; not polled yet is unknown.
fn reading(id: &str, observation: Option<&Observation>) -> InstanceReading {
    let Some(observation) = observation else {
        return InstanceReading {
            name: id.to_string(),
            health: HealthStatus::Unknown,
            breakers: Vec::new(),
            samples: Vec::new(),
        };
    };
    let health = match (&observation.health, observation.is_reachable()) {
        (_, false) => HealthStatus::Down,
        (Some(health), true) => health.status,
        (None, true) => HealthStatus::Ok,
    };
    InstanceReading {
        name: id.to_string(),
        health,
        breakers: observation.breakers.clone(),
        samples: observation.samples.clone(),
    }
}

/// The health of the instance that is worst off, for its dependencies.
fn worst_health<'a>(answered: &[&'a Observation]) -> Option<&'a crate::model::Health> {
    let rank = |status: HealthStatus| match status {
        HealthStatus::Down => 3,
        HealthStatus::Degraded => 2,
        HealthStatus::Unknown => 1,
        HealthStatus::Ok => 0,
    };
    answered
        .iter()
        .filter_map(|o| o.health.as_ref())
        .max_by_key(|h| rank(h.status))
}

/// The version every instance reports, when they agree (a rollout in progress has none).
fn common_version(answered: &[&Observation]) -> Option<String> {
    let mut versions = answered
        .iter()
        .map(|o| o.health.as_ref().and_then(|h| h.version.clone()));
    let first = versions.next()??;
    versions
        .all(|v| v.as_deref() == Some(&first))
        .then_some(first)
}

/// What the tile lists as problems: each instance that did not answer, and each
/// instance's own endpoint problems, named by instance.
fn problems(polled: &[(&String, &Polled)]) -> Vec<EndpointProblem> {
    let mut problems = Vec::new();
    for (id, p) in polled {
        if !p.observation.is_reachable() {
            problems.push(EndpointProblem {
                endpoint: (*id).clone(),
                reachability: p.observation.reachability.clone(),
            });
        }
        problems.extend(
            p.observation
                .problems
                .iter()
                .map(|problem| EndpointProblem {
                    endpoint: format!("{id} {}", problem.endpoint),
                    reachability: problem.reachability.clone(),
                }),
        );
    }
    problems
}

/// `reachability` with its message prefixed; its kind kept.
fn with_prefix(reachability: &Reachability, prefix: &str) -> Reachability {
    let mut changed = reachability.clone();
    match &mut changed {
        Reachability::Reachable { .. } => {}
        Reachability::Timeout { message }
        | Reachability::Refused { message }
        | Reachability::Dns { message }
        | Reachability::Tls { message }
        | Reachability::HttpError { message, .. }
        | Reachability::InvalidResponse { message, .. }
        | Reachability::TooLarge { message }
        | Reachability::RateLimited { message, .. }
        | Reachability::Unauthorized { message } => *message = format!("{prefix}{message}"),
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Breaker, Health};

    fn instance(id: &str) -> Instance {
        Instance {
            id: id.into(),
            base_url: format!("http://{id}"),
        }
    }

    fn answered(at: DateTime<Utc>, breaker: BreakerState) -> Observation {
        Observation {
            service: "checkout".into(),
            profile: "breaker-registry".into(),
            observed_at: at,
            reachability: Reachability::Reachable { latency_ms: 2.0 },
            health: Some(Health {
                status: HealthStatus::Ok,
                version: Some("1.4".into()),
                uptime_seconds: None,
                dependencies: Vec::new(),
            }),
            breakers: vec![Breaker::new("db", breaker)],
            samples: vec![Sample {
                series: "queue.depth".into(),
                value: 3.0,
            }],
            actions: Vec::new(),
            transitions: Vec::new(),
            service_alerts: Vec::new(),
            thresholds: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn book(ids: &[&str]) -> ReplicaBook {
        let listed: Vec<Instance> = ids.iter().map(|id| instance(id)).collect();
        ReplicaBook::new("dns x:1".into(), None, Duration::from_secs(1), &listed)
    }

    #[test]
    fn a_round_is_recorded_once_an_interval_unless_its_shape_changes() {
        let t0 = Utc::now();
        let mut book = book(&["a:1", "b:1"]);
        let ms = chrono::Duration::milliseconds;
        book.observe(&instance("a:1"), answered(t0, BreakerState::Closed), 0, t0);
        assert!(
            book.combine("checkout", "p", t0).unwrap().record,
            "the first is news"
        );
        book.observe(&instance("b:1"), answered(t0, BreakerState::Closed), 0, t0);
        // b's first answer changes nothing the history keys on (an instance not yet
        // heard from does not make the service less than ok).
        assert!(!book.combine("checkout", "p", t0 + ms(100)).unwrap().record);
        book.observe(&instance("a:1"), answered(t0, BreakerState::Closed), 0, t0);
        assert!(!book.combine("checkout", "p", t0 + ms(300)).unwrap().record);
        book.observe(&instance("b:1"), answered(t0, BreakerState::Open), 0, t0);
        let opened = book.combine("checkout", "p", t0 + ms(400)).unwrap();
        assert!(opened.record, "a breaker opening is recorded at once");
        assert_eq!(
            opened.observation.breakers[0].reason.as_deref(),
            Some("open on 1 of 2 instances")
        );
        assert!(!book.combine("checkout", "p", t0 + ms(800)).unwrap().record);
        assert!(book.combine("checkout", "p", t0 + ms(1400)).unwrap().record);
        // Each instance's values go to the history beside the combination.
        let recorded = book.with_instance_samples(opened.observation);
        let series: Vec<&str> = recorded.samples.iter().map(|s| s.series.as_str()).collect();
        assert_eq!(
            series,
            ["queue.depth", "queue.depth@a:1", "queue.depth@b:1"]
        );
        assert_eq!(recorded.samples[0].value, 6.0, "depths are summed");
    }

    #[test]
    fn vanished_instances_are_gone_then_dropped_and_none_at_all_is_no_instances() {
        let t0 = Utc::now();
        let mut book = book(&[]);
        assert!(
            book.combine("checkout", "p", t0).is_none(),
            "nothing heard yet"
        );
        book.membership(&[instance("a:1"), instance("b:1")], None, t0);
        book.observe(&instance("a:1"), answered(t0, BreakerState::Closed), 0, t0);
        book.observe(&instance("b:1"), answered(t0, BreakerState::Closed), 0, t0);
        book.membership(&[instance("b:1")], None, t0);
        let after = book.combine("checkout", "p", t0).unwrap();
        let a = &after.view.instances[0];
        assert_eq!((a.id.as_str(), a.gone_since), ("a:1", Some(t0)));
        assert_eq!(after.observation.health.unwrap().status, HealthStatus::Ok);
        assert_eq!(after.view.summary, None);
        assert!(
            !book.observe(&instance("a:1"), answered(t0, BreakerState::Open), 0, t0),
            "a gone instance's late round is ignored"
        );

        let later = t0 + chrono::Duration::from_std(GONE_FOR).unwrap();
        book.membership(&[], None, later);
        let empty = book.combine("checkout", "p", later).unwrap();
        let ids: Vec<&str> = empty.view.instances.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["b:1"], "a:1 dropped after GONE_FOR; b:1 just went");
        assert_eq!(empty.view.summary.as_deref(), Some("no instances"));
        assert_eq!(empty.observation.reachability.kind(), "dns");
        assert!(empty.observation.health.is_none(), "not healthy");

        // DNS fails: the known instances stay, the error is shown.
        book.membership(&[instance("c:1")], None, later);
        book.membership(&[], Some("c.internal: NXDOMAIN".into()), later);
        let failed = book.combine("checkout", "p", later).unwrap();
        assert_eq!(
            failed.view.discovery_error.as_deref(),
            Some("c.internal: NXDOMAIN")
        );
        assert!(failed
            .view
            .instances
            .iter()
            .any(|i| i.id == "c:1" && i.gone_since.is_none()));
    }
}
