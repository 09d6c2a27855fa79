//! Alerts against the real fleet, judged on an injected clock.
//!
//! The engine's pollers, its one-second alert tick and the fleet all run in real time;
//! only the *judgement* of time is the engine's [`ManualClock`]: observations are
//! stamped with it and every evaluation uses its `now`. A test drives a condition
//! through the fleet's control API, waits (on engine events, never on sleeps) until the
//! engine has seen it, then advances the clock past a `for` or `keep_firing` and waits
//! for the event that must follow. Waiting for "an update stamped at or after the
//! advanced time" proves the engine has evaluated at that time, so a following
//! `alerts()` answer shows what the evaluator decided then.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use switchyard_core::alerts::{
    ActiveAlert, AlertEvent, AlertKey, AlertPhase, ManualClock, RuleOrigin, SilenceTarget,
};
use switchyard_core::clock::Clock;
use switchyard_core::config::Config;
use switchyard_core::engine::{AlertRequestError, AlertSetup};
use switchyard_core::engine::{EngineEvent, EngineHandle};
use switchyard_core::operator::operator;
use switchyard_core::secrets::{HeaderSource, SecretRef};
use switchyard_core::store::{AlertRecord, Store, TimeRange};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};
use tokio::sync::broadcast;

use crate::support::{events_of, set, Events, PATIENCE};

fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// One quiet service of `profile`, polled every 200 ms, with the fleet's internal key
/// handed over directly (as `seed_profiles` does) rather than through the environment.
async fn fleet_of(profile: Profile, name: &str) -> (Fleet, Config) {
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(profile, name)],
    })
    .await
    .expect("fleet starts");
    let mut config = Config::parse(&fleet.config_toml("200ms", "150ms")).unwrap();
    let reference = HeaderSource::Secret(SecretRef::Env(switchyard_fleet::INTERNAL_KEY_ENV.into()));
    for service in &mut config.services {
        for (_, source) in &mut service.headers {
            if *source == reference {
                *source = HeaderSource::Literal(fleet.internal_key().to_string());
            }
        }
    }
    (fleet, config)
}

/// Waits for an alert event matching `predicate`.
pub(crate) async fn wait_event(
    events: &mut Events,
    what: &str,
    predicate: impl Fn(&AlertEvent) -> bool,
) -> AlertEvent {
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            match events.alerts.recv().await {
                Ok(EngineEvent::AlertsChanged { events, .. }) => {
                    if let Some(event) = events.into_iter().find(|e| predicate(e)) {
                        return event;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("engine stopped: {what}"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("never saw {what} within {PATIENCE:?}"))
}

/// Stops the engine, with every event written, and reads back the rows of `rule` on
/// `service`, oldest first.
async fn stop_and_read_alerts(
    engine: EngineHandle,
    store: &Store,
    service: &str,
    rule: &str,
) -> Vec<AlertRecord> {
    let stats = engine.shutdown().await.expect("a writer");
    assert_eq!(stats.events_lost, 0);
    let mut rows = store
        .alerts_between(Some(service), TimeRange::all())
        .await
        .unwrap();
    rows.retain(|r| r.rule == rule);
    rows
}

/// Waits for a published active list matching `predicate`.
async fn wait_active(
    events: &mut Events,
    what: &str,
    predicate: impl Fn(&[ActiveAlert]) -> bool,
) -> Vec<ActiveAlert> {
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            match events.alerts.recv().await {
                Ok(EngineEvent::AlertsChanged { active, .. }) if predicate(&active) => {
                    return active
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("engine stopped: {what}"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("never saw {what} within {PATIENCE:?}"))
}

/// Waits until the engine has applied (and so evaluated) an observation of `service`
/// stamped at or after `at`, and satisfying `predicate`.
async fn wait_observed(
    events: &mut Events,
    service: &str,
    at: DateTime<Utc>,
    predicate: impl Fn(&switchyard_core::model::ServiceState) -> bool,
) {
    crate::support::wait_for(events, service, "a fresh observation", |s| {
        s.latest
            .as_ref()
            .is_some_and(|o| o.observed_at >= at && o.is_reachable())
            && predicate(s)
    })
    .await;
}

fn is(rule: &str, phase: AlertPhase) -> impl Fn(&AlertEvent) -> bool + '_ {
    move |e| e.key.rule == rule && e.phase == phase
}

fn find<'a>(active: &'a [ActiveAlert], rule: &str) -> Option<&'a ActiveAlert> {
    active.iter().find(|a| a.key.rule == rule)
}

#[tokio::test]
async fn queue_depth_over_80_percent_fires_after_its_for_then_drains_and_resolves() {
    const RULE: &str = "queue backpressure";
    let (fleet, config) = fleet_of(Profile::HealthLevels, "events").await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.db")).await.unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let engine = EngineHandle::start(&config, clock.clone(), Some(store.start_writer()));
    let mut events = events_of(&engine);

    set(
        &fleet,
        "events",
        json!({"queue": {"depth": 900, "capacity": 1000}}),
    )
    .await;
    let pending = wait_event(
        &mut events,
        "backpressure pending",
        is(RULE, AlertPhase::Pending),
    )
    .await;
    assert_eq!(pending.key.service, "events");
    assert_eq!(pending.key.subject, "queue.depth/queue.capacity");
    assert_eq!(pending.value, Some(0.9));
    assert!(!pending.notify, "pending never notifies");

    // One second short of the rule's minute: still pending.
    let almost = clock.advance(Duration::from_secs(59));
    wait_observed(&mut events, "events", almost, |_| true).await;
    let active = engine.alerts().await.active;
    let alert = find(&active, RULE).expect("still active");
    assert_eq!(alert.phase, AlertPhase::Pending);
    assert_eq!(alert.since, start_time());

    // The minute is up: it fires, and says so.
    let fired_at = clock.advance(Duration::from_secs(1));
    let firing = wait_event(
        &mut events,
        "backpressure firing",
        is(RULE, AlertPhase::Firing),
    )
    .await;
    assert!(firing.at >= fired_at);
    assert!(firing.notify);
    assert_eq!(
        engine.alerts().await.worst,
        Some(switchyard_core::alerts::Severity::High)
    );

    // Drained below the recovery threshold (< 0.7): resolving, held for keep_firing.
    set(&fleet, "events", json!({"queue": {"depth": 100}})).await;
    wait_active(&mut events, "backpressure resolving", |active| {
        find(active, RULE).is_some_and(|a| a.resolving)
    })
    .await;
    clock.advance(Duration::from_secs(61));
    let resolved = wait_event(
        &mut events,
        "backpressure resolved",
        is(RULE, AlertPhase::Resolved),
    )
    .await;
    assert!(
        resolved.notify,
        "a resolution that was announced firing notifies"
    );
    assert!(resolved.value.is_some_and(|v| v < 0.7), "{resolved:?}");
    let state = engine.alerts().await;
    assert!(find(&state.active, RULE).is_none());
    assert!(state.recent.iter().any(|e| e.key.rule == RULE));

    let rows = stop_and_read_alerts(engine, &store, "events", RULE).await;
    let ours: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.state.as_str(), r.subject.as_deref()))
        .collect();
    let subject = Some("queue.depth/queue.capacity");
    assert_eq!(
        ours,
        [
            ("pending", subject),
            ("firing", subject),
            ("resolved", subject)
        ]
    );
    let firing_row = rows
        .iter()
        .find(|r| r.rule == RULE && r.state == "firing")
        .unwrap();
    assert_eq!(firing_row.at_ms, firing.at.timestamp_millis());
    assert_eq!(firing_row.severity, "high");
    store.close().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_breaker_held_open_fires_at_ten_minutes_on_the_injected_clock() {
    const RULE: &str = "breaker open";
    let (fleet, config) = fleet_of(Profile::BreakerRegistry, "registry").await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let engine = EngineHandle::start(&config, clock.clone(), None);
    let mut events = events_of(&engine);

    set(
        &fleet,
        "registry",
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await;
    let pending = wait_event(&mut events, "breaker pending", |e| {
        is(RULE, AlertPhase::Pending)(e) && e.key.subject == "exchange_api"
    })
    .await;
    assert_eq!(pending.state.as_deref(), Some("open"));
    let opened = pending.at;

    let almost = clock.advance(Duration::from_secs(10 * 60 - 1));
    wait_observed(&mut events, "registry", almost, |_| true).await;
    let key = AlertKey::new(RULE, "registry", "exchange_api");
    let active = engine.alerts().await.active;
    let alert = active.iter().find(|a| a.key == key).expect("still pending");
    assert_eq!(alert.phase, AlertPhase::Pending);

    clock.advance(Duration::from_secs(1));
    let firing = wait_event(&mut events, "breaker firing", |e| {
        is(RULE, AlertPhase::Firing)(e) && e.key == key
    })
    .await;
    assert_eq!(firing.at - opened, chrono::Duration::minutes(10));
    assert!(firing.notify);
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_breaker_registry_thresholds_become_its_own_rules() {
    let (fleet, config) = fleet_of(Profile::BreakerRegistry, "registry").await;
    let clock = Arc::new(ManualClock::new(start_time()));
    let engine = EngineHandle::start(&config, clock.clone(), None);
    let mut events = events_of(&engine);

    crate::support::wait_for(&mut events, "registry", "declared thresholds", |s| {
        s.last_good
            .as_ref()
            .is_some_and(|o| !o.thresholds.is_empty())
    })
    .await;
    let rules = engine.alert_rules().await;
    let imported: Vec<&str> = rules
        .iter()
        .filter(|r| {
            r.origin
                == RuleOrigin::Service {
                    service: "registry".into(),
                }
        })
        .map(|r| r.spec.name.as_str())
        .collect();
    assert!(imported.contains(&"cpu_percent > 80"), "{imported:?}");
    let cpu = rules
        .iter()
        .find(|r| r.spec.name == "cpu_percent > 80")
        .unwrap();
    assert_eq!(cpu.spec.select.service.as_deref(), Some("registry"));
    assert_eq!(
        cpu.spec.select.series.as_deref(),
        Some("system.cpu_percent")
    );
    // The chart of that series draws the service's own line.
    let lines = engine
        .chart_thresholds("registry", "system.cpu_percent")
        .await;
    assert!(lines
        .iter()
        .any(|l| l.label == "cpu_percent > 80" && l.value == 80.0));

    // The service's own rule fires at once (its own `for` is none); the default
    // "cpu high" stands aside on a series the service judges itself.
    set(&fleet, "registry", json!({"system": {"cpu_percent": 91.0}})).await;
    let firing = wait_event(&mut events, "the imported rule firing", |e| {
        e.key.rule == "cpu_percent > 80" && e.phase == AlertPhase::Firing
    })
    .await;
    assert_eq!(firing.key.service, "registry");
    assert_eq!(firing.value, Some(91.0));
    assert_eq!(firing.severity, switchyard_core::alerts::Severity::High);
    let active = engine.alerts().await.active;
    assert!(find(&active, "cpu high").is_none(), "{active:?}");
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn acknowledgements_silences_and_saved_rules_survive_in_the_store() {
    const RULE: &str = "cpu_percent > 80";
    let (fleet, config) = fleet_of(Profile::BreakerRegistry, "registry").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let store = Store::open(&path).await.unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let engine = EngineHandle::start(&config, clock.clone(), Some(store.start_writer()));
    let mut events = events_of(&engine);
    let me = operator(None);

    set(&fleet, "registry", json!({"system": {"cpu_percent": 91.0}})).await;
    let firing = wait_event(&mut events, "cpu firing", is(RULE, AlertPhase::Firing)).await;

    // Acknowledge with a comment: shown on the active alert, written on its row.
    let ack = engine
        .acknowledge(firing.key.clone(), &me, "  looking at the batch job  ")
        .await
        .unwrap();
    assert_eq!(ack.comment.as_deref(), Some("looking at the batch job"));
    let active = wait_active(&mut events, "acknowledged", |active| {
        find(active, RULE).is_some_and(|a| a.acknowledged.is_some())
    })
    .await;
    assert_eq!(
        find(&active, RULE)
            .unwrap()
            .acknowledged
            .as_ref()
            .unwrap()
            .by,
        me
    );
    let unknown = AlertKey::new("no such rule", "registry", "x");
    assert!(matches!(
        engine.acknowledge(unknown, &me, "").await,
        Err(AlertRequestError::Refused(_))
    ));

    // Two silences; one removed again. Bad requests are refused as values.
    let until = start_time() + chrono::Duration::hours(1);
    let kept = engine
        .silence(
            SilenceTarget::service("registry"),
            until,
            "deploy window",
            &me,
        )
        .await
        .unwrap();
    let removed = engine
        .silence(SilenceTarget::rule("disk high"), until, "noisy disk", &me)
        .await
        .unwrap();
    assert!(removed.id > kept.id);
    engine.unsilence(removed.id, &me).await.unwrap();
    assert!(matches!(
        engine.unsilence(removed.id, &me).await,
        Err(AlertRequestError::NoSuchSilence(_))
    ));
    assert!(engine
        .silence(SilenceTarget::default(), until, "why", &me)
        .await
        .is_err());
    assert!(engine
        .silence(
            SilenceTarget::service("registry"),
            start_time(),
            "past",
            &me
        )
        .await
        .is_err());
    let state = engine.alerts().await;
    assert_eq!(state.silences.len(), 1);
    assert!(find(&state.active, RULE).unwrap().silenced);

    // A rule edit: a bad one is refused with its field, a good one saved.
    let mut specs: Vec<_> = engine
        .alert_rules()
        .await
        .into_iter()
        .filter(|r| !matches!(r.origin, RuleOrigin::Service { .. }))
        .map(|r| r.spec)
        .collect();
    let disk = specs.iter_mut().find(|s| s.name == "disk high").unwrap();
    disk.for_duration = Some("whenever".into());
    match engine.set_alert_rules(specs.clone(), &me).await {
        Err(AlertRequestError::InvalidRules(rejected)) => {
            assert_eq!(rejected.errors.len(), 1);
            assert_eq!(rejected.errors[0].rule, "disk high");
        }
        other => panic!("a bad rule was accepted: {other:?}"),
    }
    let disk = specs.iter_mut().find(|s| s.name == "disk high").unwrap();
    disk.for_duration = Some("5m".into());
    let views = engine.set_alert_rules(specs, &me).await.unwrap();
    let disk = views.iter().find(|v| v.spec.name == "disk high").unwrap();
    assert_eq!(disk.origin, RuleOrigin::Config);
    assert!(
        views.iter().any(|v| v.spec.name == RULE),
        "imported rules stay"
    );
    let exported = engine.export_alert_rules().await.unwrap();
    assert!(exported.contains("for = \"5m\""), "{exported}");
    assert!(
        !exported.contains(RULE),
        "imported rules are the service's, not exported"
    );

    // In the store.
    let rows = stop_and_read_alerts(engine, &store, "registry", RULE).await;
    let row = rows.iter().find(|r| r.state == "firing").unwrap();
    assert_eq!(row.subject.as_deref(), Some("system.cpu_percent"));
    assert_eq!(row.acknowledged_by.as_deref(), Some(me.as_str()));
    assert_eq!(row.ack_comment.as_deref(), Some("looking at the batch job"));
    let silences = store.silences_between(TimeRange::all()).await.unwrap();
    assert_eq!(silences.len(), 2);
    let gone = silences
        .iter()
        .find(|s| s.id as u64 == removed.id.0)
        .unwrap();
    assert_eq!(gone.removed_by.as_deref(), Some(me.as_str()));
    store.close().await;

    // And back: a new start restores the silence (same number), the saved rules, and
    // numbers new silences after every stored one.
    let store = Store::open(&path).await.unwrap();
    let setup = AlertSetup::load(&store, &config, clock.now())
        .await
        .unwrap();
    assert_eq!(setup.silences.len(), 1);
    assert_eq!(setup.silences[0].id, kept.id);
    assert_eq!(setup.silences[0].reason, "deploy window");
    assert_eq!(
        setup.rules_saved.as_ref().map(|s| s.by.as_str()),
        Some(me.as_str())
    );
    let disk = setup.rules.iter().find(|r| r.name == "disk high").unwrap();
    assert_eq!(disk.for_duration, Duration::from_secs(300));
    // The alert still firing at the stop comes back as that episode, acknowledged.
    assert_eq!(setup.carried.len(), 1, "{:?}", setup.carried);
    assert_eq!(setup.carried[0].key, firing.key);
    assert_eq!(setup.carried[0].phase, AlertPhase::Firing);
    assert_eq!(setup.carried[0].since, firing.at);
    assert_eq!(
        setup.carried[0]
            .acknowledged
            .as_ref()
            .and_then(|a| a.comment.as_deref()),
        Some("looking at the batch job")
    );
    let engine =
        EngineHandle::start_with_alerts(&config, clock.clone(), Some(store.start_writer()), setup);
    let mut events = events_of(&engine);
    let state = engine.alerts().await;
    assert_eq!(state.silences.len(), 1);
    assert_eq!(state.silences[0].id, kept.id);
    let next = engine
        .silence(SilenceTarget::rule("stale"), until, "testing", &me)
        .await
        .unwrap();
    assert!(next.id > removed.id, "{next:?} reuses a stored number");

    // Its rule is the service's own, so it is back once the service is read again (the
    // CPU still at 91): firing since the first start, acknowledged, not fired anew.
    let active = wait_active(&mut events, "the carried alert listed", |active| {
        find(active, RULE).is_some()
    })
    .await;
    let carried = find(&active, RULE).unwrap();
    assert_eq!(carried.phase, AlertPhase::Firing);
    assert_eq!(carried.since, firing.at);
    assert_eq!(
        carried.acknowledged.as_ref().map(|a| a.by.as_str()),
        Some(me.as_str())
    );
    // It ends as one episode: cooled down, it resolves once, and the history holds a
    // single firing for it.
    set(&fleet, "registry", json!({"system": {"cpu_percent": 20.0}})).await;
    wait_active(&mut events, "the carried alert resolving", |active| {
        find(active, RULE).is_some_and(|a| a.resolving)
    })
    .await;
    clock.advance(Duration::from_secs(61));
    let resolved = wait_event(&mut events, "resolved", is(RULE, AlertPhase::Resolved)).await;
    assert!(!resolved.notify, "an acknowledged alert resolves quietly");
    let rows = stop_and_read_alerts(engine, &store, "registry", RULE).await;
    let states: Vec<&str> = rows.iter().map(|r| r.state.as_str()).collect();
    assert_eq!(states, ["firing", "resolved"]);
    assert!(store.open_alerts().await.unwrap().is_empty());
    store.close().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn without_observations_the_tick_alone_moves_alerts_on() {
    // Staleness: nothing answers, so only the tick (at the clock's time) can tell.
    let port = crate::support::closed_port();
    let config = Config::parse(&format!(
        "[[service]]\nname = \"gone\"\nbase_url = \"http://127.0.0.1:{port}\"\nprofile = \"health-contract\"\npoll_interval = \"1s\"\n"
    ))
    .unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let engine = EngineHandle::start(&config, clock.clone(), None);
    let mut events = events_of(&engine);
    // The first (refused) observation: the evaluator has met the service at the start
    // time, so staleness counts from there.
    crate::support::wait_for(&mut events, "gone", "refused", |s| {
        s.latest.as_ref().is_some_and(|o| !o.is_reachable())
    })
    .await;
    assert!(engine.alerts().await.active.is_empty());
    clock.advance(Duration::from_secs(3));
    let stale = wait_event(&mut events, "stale firing", is("stale", AlertPhase::Firing)).await;
    assert_eq!(stale.key.service, "gone");
    assert!(stale.value.is_some_and(|v| v >= 3.0), "{stale:?}");
    engine.shutdown().await;
}
