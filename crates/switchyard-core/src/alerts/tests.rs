//! The evaluator's lifecycle, driven by a [`ManualClock`]: every test moves time by
//! hand and feeds observations as the engine would.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::clock::Clock;
use crate::model::ServiceState;
use crate::model::{
    Breaker, BreakerState, Dependency, Health, HealthStatus, Observation, Reachability, Sample,
    ServiceThreshold, StreamState, StreamStatus,
};

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn observation(service: &str, at: DateTime<Utc>) -> Observation {
    Observation {
        service: service.into(),
        profile: "breaker-registry".into(),
        observed_at: at,
        reachability: Reachability::Reachable { latency_ms: 3.0 },
        health: None,
        breakers: Vec::new(),
        samples: Vec::new(),
        actions: Vec::new(),
        transitions: Vec::new(),
        service_alerts: Vec::new(),
        thresholds: Vec::new(),
        problems: Vec::new(),
    }
}

/// A service polled every 5 s, as the engine keeps it.
struct Fixture {
    clock: ManualClock,
    state: ServiceState,
    evaluator: Evaluator,
    events: Vec<AlertEvent>,
}

impl Fixture {
    fn new(rules: Vec<Rule>) -> Fixture {
        Fixture {
            clock: ManualClock::new(start()),
            state: ServiceState {
                name: "orders".into(),
                profile: "breaker-registry".into(),
                base_url: "http://127.0.0.1:8001".into(),
                tags: vec!["prod".into()],
                poll_interval_ms: 5000.0,
                latest: None,
                last_good: None,
                consecutive_failures: 0,
                round_started_at: None,
                streams: Vec::new(),
                engine: None,
                replicas: None,
            },
            evaluator: Evaluator::new(rules),
            events: Vec::new(),
        }
    }

    fn one(rule: &str) -> Fixture {
        let rule = default_rules()
            .into_iter()
            .find(|r| r.name == rule)
            .unwrap_or_else(|| panic!("no default rule {rule}"));
        Fixture::new(vec![rule])
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Feeds an observation made now, built by `build`; returns its events.
    fn observe(&mut self, build: impl FnOnce(&mut Observation)) -> Vec<AlertEvent> {
        let mut observation = observation(&self.state.name, self.now());
        build(&mut observation);
        self.state.latest = Some(observation.clone());
        self.state.last_good = Some(observation);
        let events = self.evaluator.evaluate(&self.state, self.now());
        self.events.extend(events.clone());
        events
    }

    fn sample(&mut self, series: &str, value: f64) -> Vec<AlertEvent> {
        let series = series.to_string();
        self.observe(move |o| o.samples.push(Sample { series, value }))
    }

    /// Advances the clock, then feeds `series = value`.
    fn after(&mut self, by: Duration, series: &str, value: f64) -> Vec<AlertEvent> {
        self.clock.advance(by);
        self.sample(series, value)
    }

    fn tick(&mut self) -> Vec<AlertEvent> {
        let events = self
            .evaluator
            .tick(std::slice::from_ref(&self.state), self.now());
        self.events.extend(events.clone());
        events
    }

    fn phases(events: &[AlertEvent]) -> Vec<AlertPhase> {
        events.iter().map(|e| e.phase).collect()
    }

    fn firing(&self) -> bool {
        self.evaluator
            .active(self.now())
            .iter()
            .any(|a| a.phase == AlertPhase::Firing)
    }
}

fn breaker(name: &str, state: BreakerState) -> Breaker {
    Breaker::new(name, state)
}

fn config_rule(
    toml_select: SelectSpec,
    when: &str,
    recover: Option<&str>,
    for_: &str,
    keep: &str,
) -> Rule {
    Rule::from_spec(
        &RuleSpec {
            name: "test rule".into(),
            select: toml_select,
            when: when.into(),
            for_duration: Some(for_.into()),
            recover: recover.map(str::to_string),
            keep_firing: Some(keep.into()),
            severity: Some("high".into()),
            description: None,
        },
        RuleOrigin::Config,
    )
    .unwrap()
}

#[test]
fn no_firing_before_for_and_firing_exactly_when_it_has_elapsed() {
    let mut f = Fixture::one("cache hit rate low");
    let first = f.sample("cache.hit_rate", 0.5);
    assert_eq!(Fixture::phases(&first), vec![AlertPhase::Pending]);
    assert!(!first[0].notify, "pending never notifies");
    // Every 5 s for 4m55s: still pending, no event.
    for _ in 0..59 {
        assert!(f.after(5 * SECOND, "cache.hit_rate", 0.5).is_empty());
    }
    assert_eq!(f.now() - start(), chrono::Duration::seconds(295));
    assert!(!f.firing());
    let fired = f.after(5 * SECOND, "cache.hit_rate", 0.5);
    assert_eq!(Fixture::phases(&fired), vec![AlertPhase::Firing]);
    assert_eq!(fired[0].at, start() + chrono::Duration::minutes(5));
    assert!(fired[0].notify);
    assert_eq!(fired[0].value, Some(0.5));
    assert_eq!(fired[0].severity, Severity::Warning);
    assert_eq!(
        fired[0].key,
        AlertKey::new("cache hit rate low", "orders", "cache.hit_rate")
    );
    assert_eq!(f.evaluator.worst_firing(), Some(Severity::Warning));
}

#[test]
fn the_for_duration_elapses_on_a_tick_without_a_new_observation() {
    let mut f = Fixture::one("cache hit rate low");
    f.sample("cache.hit_rate", 0.5);
    f.clock.advance(5 * MINUTE - SECOND);
    assert!(f.tick().is_empty());
    f.clock.advance(SECOND);
    assert_eq!(Fixture::phases(&f.tick()), vec![AlertPhase::Firing]);
}

#[test]
fn a_pending_alert_that_recovers_before_for_never_notifies() {
    let mut f = Fixture::one("cache hit rate low");
    f.sample("cache.hit_rate", 0.5);
    let cleared = f.after(MINUTE, "cache.hit_rate", 0.9);
    assert_eq!(Fixture::phases(&cleared), vec![AlertPhase::Resolved]);
    assert!(!cleared[0].notify);
    // The episode starts over: a new `for` from the next low value.
    f.after(MINUTE, "cache.hit_rate", 0.5);
    assert!(f.after(4 * MINUTE, "cache.hit_rate", 0.5).is_empty());
    assert_eq!(
        Fixture::phases(&f.after(MINUTE, "cache.hit_rate", 0.5)),
        vec![AlertPhase::Firing]
    );
}

#[test]
fn a_value_hovering_between_threshold_and_recovery_does_not_flap() {
    let mut f = Fixture::one("cache hit rate low");
    f.sample("cache.hit_rate", 0.6);
    f.after(5 * MINUTE, "cache.hit_rate", 0.6);
    assert!(f.firing());
    let before = f.events.len();
    // An hour hovering across 0.7 but under the recovery threshold 0.75.
    for i in 0..720 {
        let value = if i % 2 == 0 { 0.72 } else { 0.69 };
        f.after(5 * SECOND, "cache.hit_rate", value);
        f.tick();
    }
    assert_eq!(f.events.len(), before, "{:?}", &f.events[before..]);
    assert!(f.firing());
    // Hovering also holds a pending alert instead of resolving and re-pending it.
    let mut g = Fixture::one("cache hit rate low");
    g.sample("cache.hit_rate", 0.69);
    for i in 0..20 {
        g.after(
            5 * SECOND,
            "cache.hit_rate",
            if i % 2 == 0 { 0.72 } else { 0.69 },
        );
    }
    assert_eq!(Fixture::phases(&g.events), vec![AlertPhase::Pending]);
}

#[test]
fn keep_firing_holds_and_then_resolves() {
    let mut f = Fixture::one("cache hit rate low");
    f.sample("cache.hit_rate", 0.5);
    f.after(5 * MINUTE, "cache.hit_rate", 0.5);
    assert!(
        f.after(5 * SECOND, "cache.hit_rate", 0.8).is_empty(),
        "recovery starts, keep firing 1m"
    );
    let active = f.evaluator.active(f.now());
    assert_eq!(active[0].phase, AlertPhase::Firing);
    assert!(active[0].resolving);
    // Back under the threshold within the minute: still firing, no event, clock restarts.
    assert!(f.after(30 * SECOND, "cache.hit_rate", 0.6).is_empty());
    assert!(!f.evaluator.active(f.now())[0].resolving);
    assert!(f.after(5 * SECOND, "cache.hit_rate", 0.8).is_empty());
    assert!(f.after(59 * SECOND, "cache.hit_rate", 0.8).is_empty());
    assert!(f.firing());
    let resolved = f.after(SECOND, "cache.hit_rate", 0.8);
    assert_eq!(Fixture::phases(&resolved), vec![AlertPhase::Resolved]);
    assert!(resolved[0].notify);
    assert!(f.evaluator.active(f.now()).is_empty());
    assert_eq!(f.evaluator.worst_firing(), None);
}

#[test]
fn keep_firing_elapses_on_a_tick() {
    let mut f = Fixture::one("cache hit rate low");
    f.sample("cache.hit_rate", 0.5);
    f.after(5 * MINUTE, "cache.hit_rate", 0.5);
    f.after(5 * SECOND, "cache.hit_rate", 0.9);
    f.clock.advance(MINUTE);
    assert_eq!(Fixture::phases(&f.tick()), vec![AlertPhase::Resolved]);
}

#[test]
fn an_acknowledgement_survives_until_resolve_and_a_refire_notifies_again() {
    let mut f = Fixture::one("cpu high");
    f.sample("system.cpu_percent", 95.0);
    let fired = f.after(MINUTE, "system.cpu_percent", 95.0);
    assert!(fired[0].notify);
    let key = fired[0].key.clone();
    let ack = f
        .evaluator
        .acknowledge(&key, "alice", "looking at the batch job", f.now())
        .unwrap();
    assert_eq!(ack.comment.as_deref(), Some("looking at the batch job"));
    // Hovering, recovering briefly, coming back: still acknowledged.
    f.after(10 * SECOND, "system.cpu_percent", 78.0);
    f.after(10 * SECOND, "system.cpu_percent", 70.0);
    f.after(10 * SECOND, "system.cpu_percent", 99.0);
    f.tick();
    let active = f.evaluator.active(f.now());
    assert_eq!(active[0].acknowledged.as_ref().unwrap().by, "alice");
    assert_eq!(f.evaluator.worst_unhandled(f.now()), None);
    assert_eq!(f.evaluator.worst_firing(), Some(Severity::High));
    // It resolves: an acknowledged alert's resolution does not page either.
    f.after(10 * SECOND, "system.cpu_percent", 50.0);
    let resolved = f.after(MINUTE, "system.cpu_percent", 50.0);
    assert_eq!(Fixture::phases(&resolved), vec![AlertPhase::Resolved]);
    assert!(!resolved[0].notify);
    // A new episode pages again.
    f.after(MINUTE, "system.cpu_percent", 95.0);
    let again = f.after(MINUTE, "system.cpu_percent", 95.0);
    assert_eq!(Fixture::phases(&again), vec![AlertPhase::Firing]);
    assert!(again[0].notify);
    assert!(f.evaluator.active(f.now())[0].acknowledged.is_none());
}

#[test]
fn only_an_active_alert_can_be_acknowledged() {
    let mut f = Fixture::one("cpu high");
    f.sample("system.cpu_percent", 10.0);
    let key = AlertKey::new("cpu high", "orders", "system.cpu_percent");
    let err = f
        .evaluator
        .acknowledge(&key, "alice", "", f.now())
        .unwrap_err();
    assert_eq!(err, AlertError::NotActive(key.clone()));
    f.after(SECOND, "system.cpu_percent", 95.0);
    let ack = f
        .evaluator
        .acknowledge(&key, "alice", "  ", f.now())
        .unwrap();
    assert_eq!(ack.comment, None);
    // Acknowledged while pending: the firing does not page.
    let fired = f.after(MINUTE, "system.cpu_percent", 95.0);
    assert_eq!(Fixture::phases(&fired), vec![AlertPhase::Firing]);
    assert!(!fired[0].notify);
}

#[test]
fn a_silence_suppresses_notification_not_recording_expires_and_can_be_removed() {
    let mut f = Fixture::one("cpu high");
    let until = f.now() + chrono::Duration::minutes(30);
    let id = f
        .evaluator
        .silence(
            SilenceTarget::service("orders"),
            until,
            "maintenance window",
            "bob",
            f.now(),
        )
        .unwrap();
    assert_eq!(f.evaluator.silences().len(), 1);
    assert_eq!(f.evaluator.silences()[0].reason, "maintenance window");
    f.sample("system.cpu_percent", 95.0);
    let fired = f.after(MINUTE, "system.cpu_percent", 95.0);
    assert_eq!(
        Fixture::phases(&fired),
        vec![AlertPhase::Firing],
        "recorded"
    );
    assert!(!fired[0].notify, "not announced");
    let active = f.evaluator.active(f.now());
    assert!(active[0].silenced);
    assert_eq!(active[0].silenced_until, Some(until));
    assert!(f.tick().is_empty());
    // The silence ends while the alert still fires: announced once, as a repeat.
    f.clock.set(until);
    let announced = f.tick();
    assert_eq!(announced.len(), 1);
    assert!(announced[0].notify && announced[0].repeat);
    assert_eq!(announced[0].phase, AlertPhase::Firing);
    assert!(
        f.evaluator.silences().is_empty(),
        "expired silences are dropped"
    );
    assert!(f.tick().is_empty());
    assert!(!f.evaluator.active(f.now())[0].silenced);

    // A silence on the rule, removed by hand: the next tick announces.
    let mut g = Fixture::one("cpu high");
    let id2 = g
        .evaluator
        .silence(
            SilenceTarget::rule("cpu high"),
            g.now() + chrono::Duration::hours(1),
            "known",
            "bob",
            g.now(),
        )
        .unwrap();
    assert_ne!(id, SilenceId(0));
    g.sample("system.cpu_percent", 95.0);
    assert!(!g.after(MINUTE, "system.cpu_percent", 95.0)[0].notify);
    assert!(g.tick().is_empty());
    let removed = g.evaluator.unsilence(id2).unwrap();
    assert_eq!(removed.by, "bob");
    assert!(g.evaluator.unsilence(id2).is_none());
    let announced = g.tick();
    assert!(announced[0].notify && announced[0].repeat);
}

#[test]
fn silences_are_checked() {
    let mut f = Fixture::one("cpu high");
    let now = f.now();
    let later = now + chrono::Duration::minutes(5);
    let e = &mut f.evaluator;
    assert_eq!(
        e.silence(SilenceTarget::default(), later, "r", "b", now),
        Err(AlertError::EmptyTarget)
    );
    assert_eq!(
        e.silence(SilenceTarget::rule("x"), now, "r", "b", now),
        Err(AlertError::EndsInThePast)
    );
    assert_eq!(
        e.silence(SilenceTarget::rule("x"), later, " ", "b", now),
        Err(AlertError::NoReason)
    );
    // A silence on another service does not cover this one.
    e.silence(SilenceTarget::service("billing"), later, "r", "b", now)
        .unwrap();
    f.sample("system.cpu_percent", 95.0);
    assert!(f.after(MINUTE, "system.cpu_percent", 95.0)[0].notify);
}

#[test]
fn stale_after_three_poll_intervals_without_a_fresh_observation() {
    let mut f = Fixture::one("stale");
    f.sample("cache.hit_rate", 0.9);
    f.clock.advance(14 * SECOND);
    assert!(f.tick().is_empty());
    // Unreachable polls are observations, but not fresh ones.
    let mut failed = observation("orders", f.now());
    failed.reachability = Reachability::Timeout {
        message: "timed out".into(),
    };
    f.state.latest = Some(failed);
    assert!(f.evaluator.evaluate(&f.state, f.now()).is_empty());
    f.clock.advance(SECOND);
    let stale = f.tick();
    assert_eq!(Fixture::phases(&stale), vec![AlertPhase::Firing]);
    assert_eq!(stale[0].value, Some(3.0));
    assert_eq!(stale[0].key.subject, "staleness");
    // A fresh observation resolves it.
    let back = f.after(SECOND, "cache.hit_rate", 0.9);
    assert_eq!(Fixture::phases(&back), vec![AlertPhase::Resolved]);
}

#[test]
fn a_service_never_heard_from_goes_stale_from_when_it_was_first_seen() {
    let mut f = Fixture::one("stale");
    assert!(f.tick().is_empty());
    f.clock.advance(15 * SECOND);
    assert_eq!(Fixture::phases(&f.tick()), vec![AlertPhase::Firing]);
}

#[test]
fn an_unreachable_service_holds_its_alerts() {
    let mut f = Fixture::one("cache hit rate low");
    f.sample("cache.hit_rate", 0.5);
    f.after(5 * MINUTE, "cache.hit_rate", 0.5);
    let mut failed = observation("orders", f.now());
    failed.reachability = Reachability::Refused {
        message: "refused".into(),
    };
    f.state.latest = Some(failed);
    f.clock.advance(10 * MINUTE);
    // The last good value was high… but it is old: nothing changes until fresh data.
    f.state.last_good.as_mut().unwrap().samples[0].value = 0.99;
    assert!(f.evaluator.evaluate(&f.state, f.now()).is_empty());
    assert!(f.firing());
}

#[test]
fn queue_fill_ratio_fires_after_a_minute_over_80_percent_and_resolves_when_drained() {
    let mut f = Fixture::one("queue backpressure");
    let queue = |depth: f64| {
        move |o: &mut Observation| {
            o.samples.push(Sample {
                series: "queue.depth".into(),
                value: depth,
            });
            o.samples.push(Sample {
                series: "queue.capacity".into(),
                value: 1000.0,
            });
        }
    };
    assert!(f.observe(queue(500.0)).is_empty());
    assert_eq!(
        Fixture::phases(&f.observe(queue(850.0))),
        vec![AlertPhase::Pending]
    );
    f.clock.advance(59 * SECOND);
    assert!(f.observe(queue(900.0)).is_empty());
    f.clock.advance(SECOND);
    let fired = f.observe(queue(950.0));
    assert_eq!(Fixture::phases(&fired), vec![AlertPhase::Firing]);
    assert_eq!(fired[0].value, Some(0.95));
    assert_eq!(fired[0].key.subject, "queue.depth/queue.capacity");
    assert_eq!(fired[0].severity, Severity::High);
    // 75 %: under the threshold but above recovery (70 %): still firing.
    f.clock.advance(MINUTE);
    assert!(f.observe(queue(750.0)).is_empty());
    f.clock.advance(5 * MINUTE);
    assert!(f.observe(queue(750.0)).is_empty());
    f.clock.advance(SECOND);
    assert!(f.observe(queue(100.0)).is_empty());
    f.clock.advance(MINUTE);
    assert_eq!(
        Fixture::phases(&f.observe(queue(100.0))),
        vec![AlertPhase::Resolved]
    );
    // No capacity reported: no value, nothing changes.
    f.clock.advance(SECOND);
    assert!(f.sample("queue.depth", 990.0).is_empty());
}

#[test]
fn a_breaker_held_open_fires_at_ten_minutes_one_alert_per_breaker() {
    let mut f = Fixture::one("breaker open");
    let breakers = |a: BreakerState, b: BreakerState| {
        move |o: &mut Observation| {
            o.breakers.push(breaker("exchange_api", a));
            o.breakers.push(breaker("ledger", b));
        }
    };
    use BreakerState::{Closed, HalfOpen, Open};
    assert!(f.observe(breakers(Closed, Closed)).is_empty());
    let pending = f.observe(breakers(Open, Closed));
    assert_eq!(Fixture::phases(&pending), vec![AlertPhase::Pending]);
    assert_eq!(pending[0].key.subject, "exchange_api");
    assert_eq!(pending[0].state.as_deref(), Some("open"));
    // Probing in half-open does not reset the ten minutes.
    for i in 1..120 {
        f.clock.advance(5 * SECOND);
        let state = if i % 12 == 0 { HalfOpen } else { Open };
        assert!(f.observe(breakers(state, Closed)).is_empty(), "at {i}");
    }
    f.clock.advance(5 * SECOND);
    let fired = f.observe(breakers(Open, Closed));
    assert_eq!(Fixture::phases(&fired), vec![AlertPhase::Firing]);
    assert_eq!(fired[0].at - start(), chrono::Duration::minutes(10));
    assert_eq!(fired[0].severity, Severity::High);
    // Closing resolves after keep_firing (1m).
    f.clock.advance(SECOND);
    assert!(f.observe(breakers(Closed, Closed)).is_empty());
    f.clock.advance(MINUTE);
    let resolved = f.observe(breakers(Closed, Closed));
    assert_eq!(Fixture::phases(&resolved), vec![AlertPhase::Resolved]);
    assert_eq!(resolved[0].key.subject, "exchange_api");
}

#[test]
fn a_breaker_that_disappears_resolves() {
    let rule = config_rule(
        SelectSpec {
            breaker_state: Some(Target::Named("ledger".into())),
            ..SelectSpec::default()
        },
        "state is open",
        None,
        "0s",
        "0s",
    );
    let mut f = Fixture::new(vec![rule]);
    let fired = f.observe(|o| {
        o.breakers.push(breaker("exchange_api", BreakerState::Open));
        o.breakers.push(breaker("ledger", BreakerState::Open));
    });
    assert_eq!(fired.len(), 1, "only the named breaker");
    let gone = f.observe(|o| o.breakers.push(breaker("exchange_api", BreakerState::Open)));
    assert_eq!(Fixture::phases(&gone), vec![AlertPhase::Resolved]);
}

/// A healthy Redis, the dependency beside the one a test is about.
fn redis_ok() -> Dependency {
    Dependency {
        name: "redis".into(),
        status: HealthStatus::Ok,
        latency_ms: Some(1.5),
        slow: false,
        error: None,
    }
}

#[test]
fn health_and_dependencies_are_watched() {
    let mut rules = default_rules();
    rules.retain(|r| {
        ["health degraded", "health down", "dependency slow"].contains(&r.name.as_str())
    });
    let mut f = Fixture::new(rules);
    let health = |status: HealthStatus, postgres_ms: f64| {
        move |o: &mut Observation| {
            o.health = Some(Health {
                status,
                version: None,
                uptime_seconds: None,
                dependencies: vec![
                    Dependency {
                        name: "postgres".into(),
                        status: HealthStatus::Degraded,
                        latency_ms: Some(postgres_ms),
                        slow: postgres_ms > 200.0,
                        error: None,
                    },
                    redis_ok(),
                ],
            });
        }
    };
    let first = f.observe(health(HealthStatus::Degraded, 250.0));
    assert_eq!(first.len(), 2);
    f.clock.advance(30 * SECOND);
    let down = f.observe(health(HealthStatus::Down, 250.0));
    // Degraded ends (pending, quietly); down begins.
    assert_eq!(
        down.iter()
            .map(|e| (e.key.rule.as_str(), e.phase))
            .collect::<Vec<_>>(),
        vec![
            ("health degraded", AlertPhase::Resolved),
            ("health down", AlertPhase::Pending)
        ]
    );
    f.clock.advance(30 * SECOND);
    let fired = f.observe(health(HealthStatus::Down, 250.0));
    assert_eq!(fired.len(), 1);
    assert_eq!(
        (fired[0].key.rule.as_str(), fired[0].phase),
        ("health down", AlertPhase::Firing)
    );
    assert_eq!(fired[0].severity, Severity::Critical);
    f.clock.advance(60 * SECOND);
    let slow = f.observe(health(HealthStatus::Down, 250.0));
    assert_eq!(slow.len(), 1);
    assert_eq!(
        slow[0].key,
        AlertKey::new("dependency slow", "orders", "postgres")
    );
    assert_eq!(slow[0].phase, AlertPhase::Firing);
    assert_eq!(slow[0].value, Some(250.0));
    assert_eq!(slow[0].state.as_deref(), Some("degraded, slow"));
}

/// A dependency reported down gets its own alert, named after it, although the service
/// itself only reads degraded.
#[test]
fn a_dependency_reported_down_fires_an_alert_naming_it() {
    let mut f = Fixture::one("dependency down");
    let kafka_down = |o: &mut Observation| {
        o.health = Some(Health {
            status: HealthStatus::Degraded,
            version: None,
            uptime_seconds: None,
            dependencies: vec![
                Dependency {
                    name: "kafka".into(),
                    status: HealthStatus::Down,
                    latency_ms: None,
                    slow: false,
                    error: Some("connection refused".into()),
                },
                redis_ok(),
            ],
        });
    };
    let pending = f.observe(kafka_down);
    assert_eq!(Fixture::phases(&pending), vec![AlertPhase::Pending]);
    f.clock.advance(30 * SECOND);
    let fired = f.observe(kafka_down);
    assert_eq!(fired.len(), 1);
    assert_eq!(
        fired[0].key,
        AlertKey::new("dependency down", "orders", "kafka")
    );
    assert_eq!(fired[0].phase, AlertPhase::Firing);
    assert_eq!(fired[0].state.as_deref(), Some("down"));
    assert_eq!(fired[0].severity, Severity::High);
    f.clock.advance(30 * SECOND);
    let back = f.observe(|o| {
        kafka_down(o);
        if let Some(h) = o.health.as_mut() {
            h.dependencies[0].status = HealthStatus::Ok;
            h.dependencies[0].error = None;
        }
    });
    assert_eq!(Fixture::phases(&back), vec![AlertPhase::Resolved]);
}

#[test]
fn stream_states_are_watched_without_a_fresh_poll() {
    let rule = config_rule(
        SelectSpec {
            stream_state: Some(Target::All),
            ..SelectSpec::default()
        },
        "state is channel_full, backing_off",
        Some("state is live"),
        "30s",
        "0s",
    );
    let mut f = Fixture::new(vec![rule]);
    let mut stream = StreamStatus::new("/ws/alerts", f.now());
    stream.state = StreamState::ChannelFull;
    f.state.streams.push(stream);
    assert_eq!(Fixture::phases(&f.tick()), vec![AlertPhase::Pending]);
    f.clock.advance(10 * SECOND);
    f.state.streams[0].state = StreamState::Connecting;
    assert!(f.tick().is_empty(), "connecting is neither: held");
    f.clock.advance(20 * SECOND);
    f.state.streams[0].state = StreamState::BackingOff;
    let fired = f.tick();
    assert_eq!(Fixture::phases(&fired), vec![AlertPhase::Firing]);
    assert_eq!(fired[0].key.subject, "/ws/alerts");
    f.state.streams[0].state = StreamState::Live;
    assert_eq!(Fixture::phases(&f.tick()), vec![AlertPhase::Resolved]);
}

#[test]
fn redis_reconnections_count_the_increase_over_an_hour() {
    let mut f = Fixture::one("redis reconnections");
    let series = REDIS_RECONNECTIONS_SERIES;
    assert!(f.sample(series, 100.0).is_empty());
    assert!(f.after(10 * MINUTE, series, 105.0).is_empty());
    // The counter restarts (service restarted) and climbs: 5 + 3 + 3 = 11 > 10.
    assert!(f.after(10 * MINUTE, series, 3.0).is_empty());
    let fired = f.after(10 * MINUTE, series, 6.0);
    assert_eq!(Fixture::phases(&fired), vec![AlertPhase::Firing]);
    assert_eq!(fired[0].value, Some(11.0));
    // An hour later the early reconnections have left the window: it resolves.
    f.clock.advance(31 * MINUTE);
    let resolved = f.tick();
    assert_eq!(Fixture::phases(&resolved), vec![AlertPhase::Resolved]);
    // Left in the window: 105 → 3 (a reset, counted as 3) and 3 → 6.
    assert_eq!(resolved[0].value, Some(6.0));
}

#[test]
fn rules_select_services_by_name_and_tags() {
    let cpu_high = || {
        default_rules()
            .into_iter()
            .find(|r| r.name == "cpu high")
            .expect("a default cpu rule")
    };
    let mut only_billing = cpu_high();
    only_billing.selector.services = ServiceSelector::service("billing");
    let mut staging = cpu_high();
    staging.name = "cpu high staging".into();
    staging.selector.services.tags = vec!["staging".into()];
    let mut prod = cpu_high();
    prod.name = "cpu high prod".into();
    prod.for_duration = Duration::ZERO;
    prod.selector.services.tags = vec!["prod".into()];
    let mut f = Fixture::new(vec![only_billing, staging, prod]);
    let events = f.sample("system.cpu_percent", 95.0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].key.rule, "cpu high prod");
}

#[test]
fn declared_thresholds_are_imported_as_the_services_own_rules() {
    let mut f = Fixture::new(default_rules());
    let thresholds = vec![
        ServiceThreshold {
            metric: "cpu_percent".into(),
            operator: ">".into(),
            value: 80.0,
            severity: "high".into(),
        },
        ServiceThreshold {
            metric: "disk_percent".into(),
            operator: ">".into(),
            value: 50.0,
            severity: "medium".into(),
        },
    ];
    let declared = thresholds.clone();
    f.observe(move |o| o.thresholds = declared);
    let own: Vec<_> = f
        .evaluator
        .rules()
        .iter()
        .filter(|r| {
            r.origin
                == RuleOrigin::Service {
                    service: "orders".into(),
                }
        })
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(own, vec!["cpu_percent > 80", "disk_percent > 50"]);
    // Disk at 60 %: the service's own rule fires at once; the default (85 %, 1m) stands aside.
    let fired = f.sample("system.disk_percent", 60.0);
    assert_eq!(
        fired
            .iter()
            .map(|e| (e.key.rule.as_str(), e.phase, e.severity))
            .collect::<Vec<_>>(),
        vec![("disk_percent > 50", AlertPhase::Firing, Severity::Warning)]
    );
    f.clock.advance(2 * MINUTE);
    assert!(
        f.sample("system.disk_percent", 99.0).is_empty(),
        "no default `disk high` twice"
    );
    // A round without thresholds keeps them; a changed list replaces them, and the
    // alert of a removed threshold resolves quietly.
    let defaults = default_rules().len();
    assert_eq!(f.evaluator.rules().len(), defaults + 2);
    let changed = vec![thresholds[0].clone()];
    let events = f.observe(move |o| {
        o.thresholds = changed;
        o.samples.push(Sample {
            series: "system.disk_percent".into(),
            value: 99.0,
        });
    });
    assert_eq!(f.evaluator.rules().len(), defaults + 1);
    assert_eq!(events[0].key.rule, "disk_percent > 50");
    assert_eq!(events[0].phase, AlertPhase::Resolved);
    assert!(!events[0].notify);
    // The default `disk high` is back for this service.
    assert_eq!(events[1].key.rule, "disk high");
    assert_eq!(events[1].phase, AlertPhase::Pending);
}

#[test]
fn set_rules_keeps_the_state_of_rules_that_stay() {
    let mut f = Fixture::new(default_rules());
    f.sample("system.cpu_percent", 95.0);
    f.after(MINUTE, "system.cpu_percent", 95.0);
    f.sample("cache.hit_rate", 0.1);
    let mut edited = default_rules();
    edited.retain(|r| r.name != "cache hit rate low");
    let cpu = edited.iter_mut().find(|r| r.name == "cpu high").unwrap();
    cpu.severity = Severity::Critical;
    let events = f.evaluator.set_rules(edited, f.now());
    assert_eq!(Fixture::phases(&events), vec![AlertPhase::Resolved]);
    assert_eq!(events[0].key.rule, "cache hit rate low");
    let active = f.evaluator.active(f.now());
    assert_eq!(active.len(), 1);
    assert_eq!(
        (active[0].key.rule.as_str(), active[0].severity),
        ("cpu high", Severity::Critical)
    );
    assert_eq!(f.evaluator.worst_firing(), Some(Severity::Critical));
}

#[test]
fn active_alerts_list_the_worst_first() {
    let mut f = Fixture::new(default_rules());
    f.observe(|o| {
        o.samples.push(Sample {
            series: "system.memory_percent".into(),
            value: 95.0,
        });
        o.samples.push(Sample {
            series: "cache.hit_rate".into(),
            value: 0.2,
        });
    });
    f.clock.advance(MINUTE);
    f.observe(|o| {
        o.samples.push(Sample {
            series: "system.memory_percent".into(),
            value: 95.0,
        });
        o.samples.push(Sample {
            series: "cache.hit_rate".into(),
            value: 0.2,
        });
    });
    let active = f.evaluator.active(f.now());
    let listed: Vec<_> = active
        .iter()
        .map(|a| (a.key.rule.as_str(), a.phase, a.since))
        .collect();
    assert_eq!(
        listed,
        vec![
            (
                "memory high",
                AlertPhase::Firing,
                start() + chrono::Duration::minutes(1)
            ),
            ("cache hit rate low", AlertPhase::Pending, start()),
        ]
    );
    let json = serde_json::to_value(&active[0]).unwrap();
    assert_eq!(json["rule"], "memory high");
    assert_eq!(json["service"], "orders");
    assert_eq!(json["severity"], "critical");
    assert_eq!(json["phase"], "firing");
}

/// "cpu high" on orders, fired `ago` before now, acknowledged by ana or not.
fn carried_cpu_alert(now: DateTime<Utc>, ago: Duration, acknowledged: bool) -> CarriedAlert {
    let fired_at = now - chrono::Duration::from_std(ago).unwrap();
    CarriedAlert {
        key: AlertKey::new("cpu high", "orders", "system.cpu_percent"),
        phase: AlertPhase::Firing,
        since: fired_at,
        acknowledged: acknowledged.then(|| Acknowledgement {
            by: "ana".into(),
            comment: Some("on it".into()),
            at: fired_at + chrono::Duration::minutes(1),
        }),
    }
}

#[test]
fn an_alert_firing_before_a_restart_goes_on_acknowledged_without_paging_again() {
    let mut f = Fixture::one("cpu high");
    let alert = carried_cpu_alert(f.now(), 20 * MINUTE, true);
    let fired_at = alert.since;
    f.evaluator.carry_over(alert, f.now());

    // Listed at once, before any reading: firing since then, acknowledged, handled.
    let active = f.evaluator.active(f.now());
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].phase, AlertPhase::Firing);
    assert_eq!(active[0].since, fired_at);
    let ack = active[0].acknowledged.as_ref().expect("acknowledged");
    assert_eq!(
        (ack.by.as_str(), ack.comment.as_deref()),
        ("ana", Some("on it"))
    );
    assert_eq!(f.evaluator.worst_unhandled(f.now()), None);

    // Still hot: the same episode goes on, with no second firing and no page.
    assert!(f.sample("system.cpu_percent", 92.0).is_empty());
    assert!(f.after(5 * SECOND, "system.cpu_percent", 88.0).is_empty());
    assert_eq!(f.evaluator.active(f.now())[0].since, fired_at);

    // It recovers: resolved once recovery has held for keep_firing, quietly (handled).
    assert!(f.after(5 * SECOND, "system.cpu_percent", 50.0).is_empty());
    let resolved = f.after(MINUTE, "system.cpu_percent", 50.0);
    assert_eq!(Fixture::phases(&resolved), [AlertPhase::Resolved]);
    assert!(!resolved[0].notify);
    assert!(f.evaluator.active(f.now()).is_empty());
}

#[test]
fn an_unacknowledged_alert_carried_over_stays_unhandled_and_its_resolution_is_announced() {
    let mut f = Fixture::one("cpu high");
    f.evaluator
        .carry_over(carried_cpu_alert(f.now(), 5 * MINUTE, false), f.now());
    assert_eq!(f.evaluator.worst_unhandled(f.now()), Some(Severity::High));
    // Announced before the restart: not again while it goes on.
    assert!(f.sample("system.cpu_percent", 95.0).is_empty());
    assert!(f.tick().is_empty());
    // Its end is news to whoever was paged.
    assert!(f.after(5 * SECOND, "system.cpu_percent", 40.0).is_empty());
    let resolved = f.after(MINUTE, "system.cpu_percent", 40.0);
    assert_eq!(Fixture::phases(&resolved), [AlertPhase::Resolved]);
    assert!(resolved[0].notify);
}

#[test]
fn an_alert_carried_over_whose_rule_is_gone_is_not_listed_and_the_rule_starts_clean() {
    let mut f = Fixture::one("cpu high");
    let mut gone = carried_cpu_alert(f.now(), MINUTE, true);
    gone.key.rule = "removed rule".into();
    f.evaluator.carry_over(gone, f.now());
    assert!(f.evaluator.active(f.now()).is_empty());
    // The surviving rule starts from nothing: pending, then firing after its `for`.
    assert_eq!(
        Fixture::phases(&f.sample("system.cpu_percent", 95.0)),
        [AlertPhase::Pending]
    );
    let firing = f.after(MINUTE, "system.cpu_percent", 95.0);
    assert_eq!(Fixture::phases(&firing), [AlertPhase::Firing]);
    assert!(firing[0].notify);
}

#[test]
fn a_pending_alert_carried_over_fires_once_its_for_has_passed_since_it_began() {
    // "cpu high" holds for a minute before firing; it had been pending 40 s at the stop.
    let mut f = Fixture::one("cpu high");
    let mut alert = carried_cpu_alert(f.now(), 40 * SECOND, false);
    alert.phase = AlertPhase::Pending;
    let began = alert.since;
    f.evaluator.carry_over(alert, f.now());
    let active = f.evaluator.active(f.now());
    assert_eq!(
        (active[0].phase, active[0].since),
        (AlertPhase::Pending, began)
    );

    // Still hot: no second pending; twenty seconds on, the minute is up and it fires.
    assert!(f.sample("system.cpu_percent", 93.0).is_empty());
    let firing = f.after(20 * SECOND, "system.cpu_percent", 93.0);
    assert_eq!(Fixture::phases(&firing), [AlertPhase::Firing]);
    assert!(firing[0].notify);
}
