//! A service of several instances against real loopback replicas (three breaker-registry
//! services of the fleet behind one configured name) and a real DNS server (dnsmasq):
//! divergent breakers combine into "open on 1 of 3", every instance is shown with its
//! own state, one dead instance does not hold the others back, instances added to DNS
//! appear within a refresh and removed ones are marked gone (not down), and a name that
//! does not resolve says so on its service alone.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::json;
use switchyard_core::charts::Theme;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::dashboard::{self, Canvas, ChartRequest, RangeRequest};
use switchyard_core::engine::EngineHandle;
use switchyard_core::model::{BreakerState, HealthStatus, ServiceState};
use switchyard_core::snapshot;
use switchyard_core::store::Store;
use switchyard_fleet::dns_on_loopback::{LoopbackDns, SrvRecord};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

use crate::support::{base_url, closed_port, events_of, set, wait_for};

const REPLICAS: [&str; 3] = ["replica-1", "replica-2", "replica-3"];

async fn replicas() -> Fleet {
    Fleet::start(FleetSpec {
        services: REPLICAS
            .iter()
            .map(|name| ServiceSpec::quiet(Profile::BreakerRegistry, *name))
            .collect(),
    })
    .await
    .expect("fleet starts")
}

/// `host:port` of a fleet service, as its instance is named.
fn id_of(fleet: &Fleet, name: &str) -> String {
    base_url(fleet, name)
        .trim_start_matches("http://")
        .to_string()
}

/// `registry`: the fleet's three replicas as one service polled every `poll` (timeout
/// `timeout`), with `more` (its streams, alert rules) after it.
fn registry_config(fleet: &Fleet, poll: &str, timeout: &str, more: &str) -> Config {
    let urls: Vec<String> = REPLICAS
        .iter()
        .map(|n| format!("\"{}\"", base_url(fleet, n)))
        .collect();
    Config::parse(&format!(
        "[[service]]\nname = \"registry\"\nprofile = \"breaker-registry\"\ninstances = [{}]\npoll_interval = \"{poll}\"\ntimeout = \"{timeout}\"\n{more}",
        urls.join(", ")
    ))
    .expect("config parses")
}

fn breaker_on(state: &ServiceState, instance: &str, breaker: &str) -> Option<BreakerState> {
    state
        .replicas
        .as_ref()?
        .instances
        .iter()
        .find(|i| i.id == instance)?
        .breaker(breaker)
}

/// The instances shown as present, as a set (the window orders them by name).
fn present(state: &ServiceState) -> BTreeSet<String> {
    state
        .replicas
        .iter()
        .flat_map(|r| &r.instances)
        .filter(|i| i.gone_since.is_none())
        .map(|i| i.id.clone())
        .collect()
}

#[tokio::test]
async fn divergent_breakers_combine_and_a_dead_instance_holds_nobody_back() {
    let fleet = replicas().await;
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let urls: Vec<String> = REPLICAS.iter().map(|n| base_url(&fleet, n)).collect();
    let config = Config::parse(&format!(
        r#"
        [[service]]
        name = "registry"
        profile = "breaker-registry"
        instances = ["{}", "{}", "{}"]
        poll_interval = "300ms"
        timeout = "200ms"

        [[service]]
        name = "registry-with-a-dead-replica"
        profile = "breaker-registry"
        instances = ["{}", "{dead}"]
        quorum = 1
        poll_interval = "300ms"
        timeout = "200ms"
        "#,
        urls[0], urls[1], urls[2], urls[0]
    ))
    .expect("config parses");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.db")).await.unwrap();
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    let mut events = events_of(&engine);

    set(
        &fleet,
        "replica-2",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let second = id_of(&fleet, "replica-2");
    let state = wait_for(
        &mut events,
        "registry",
        "exchange_api open on replica-2 only",
        |s| {
            breaker_on(s, &second, "exchange_api") == Some(BreakerState::Open)
                && REPLICAS.iter().filter(|n| **n != "replica-2").all(|n| {
                    breaker_on(s, &id_of(&fleet, n), "exchange_api") == Some(BreakerState::Closed)
                })
        },
    )
    .await;
    let registry = state.clone();
    let combined = state
        .last_good
        .as_ref()
        .and_then(|o| o.breakers.iter().find(|b| b.name == "exchange_api"))
        .expect("the service shows the combined breaker");
    assert_eq!(combined.state, BreakerState::Open);
    assert_eq!(combined.reason.as_deref(), Some("open on 1 of 3 instances"));
    let replicas = state.replicas.as_ref().unwrap();
    assert_eq!(replicas.discovery, "3 instances listed");
    assert_eq!(replicas.instances.len(), 3);
    assert!(replicas
        .instances
        .iter()
        .all(|i| i.health == HealthStatus::Ok));

    // One replica refuses every connection: the other answers on its own schedule, and
    // the service is degraded with a quorum of one, naming the dead instance.
    let dead_id = dead.trim_start_matches("http://").to_string();
    let state = wait_for(
        &mut events,
        "registry-with-a-dead-replica",
        "one of two down",
        |s| {
            s.replicas.as_ref().is_some_and(|r| {
                r.instances
                    .iter()
                    .any(|i| i.id == dead_id && i.health == HealthStatus::Down)
            })
        },
    )
    .await;
    let observation = state.latest.as_ref().unwrap();
    assert!(observation.is_reachable(), "{:?}", observation.reachability);
    assert_eq!(
        observation.health.as_ref().unwrap().status,
        HealthStatus::Degraded
    );
    assert_eq!(
        state.replicas.as_ref().unwrap().summary.as_deref(),
        Some("1 of 2 instances down")
    );
    assert!(
        observation
            .problems
            .iter()
            .any(|p| p.endpoint == dead_id && p.reachability.kind() == "refused"),
        "{:?}",
        observation.problems
    );
    // The live replica's polls kept coming at its own pace while the other failed.
    let live = id_of(&fleet, "replica-1");
    let first_seen = |s: &ServiceState| {
        s.replicas
            .as_ref()
            .and_then(|r| r.instances.iter().find(|i| i.id == live))
            .and_then(|i| i.observed_at)
    };
    let before = first_seen(&state).expect("the live replica was polled");
    let later = wait_for(
        &mut events,
        "registry-with-a-dead-replica",
        "a newer poll of the live replica",
        |s| first_seen(s).is_some_and(|at| at > before),
    )
    .await;
    let gap = first_seen(&later).unwrap() - before;
    assert!(
        gap < chrono::Duration::milliseconds(900),
        "the live replica waited {gap}"
    );

    // The history keeps the combination and each instance's own values.
    engine.shutdown().await;
    let series = store.series_names("registry").await.unwrap();
    for id in REPLICAS.iter().map(|n| id_of(&fleet, n)) {
        assert!(
            series.iter().any(|s| s.ends_with(&format!("@{id}"))),
            "no series of {id} in {series:?}"
        );
    }
    // A chart draws the combination, or one line per instance, named in a legend.
    let plain = series
        .iter()
        .find(|s| !s.contains('@'))
        .expect("a combined series")
        .clone();
    let chart = |per_instance| ChartRequest {
        service: "registry".into(),
        series: plain.clone(),
        range: RangeRequest {
            minutes: 5,
            until_ms: None,
        },
        canvas: Canvas {
            width: 600,
            height: 200,
            theme: Theme::Dark,
            utc_offset_minutes: 0,
        },
        per_instance,
    };
    let now = chrono::Utc::now();
    let one = dashboard::series_chart(&store, now, Some(&registry), &chart(false), Vec::new())
        .await
        .unwrap();
    let each = dashboard::series_chart(&store, now, Some(&registry), &chart(true), Vec::new())
        .await
        .unwrap();
    for id in REPLICAS.iter().map(|n| id_of(&fleet, n)) {
        assert!(each.svg.contains(&id), "{id} is not named on the chart");
        assert!(!one.svg.contains(&id), "the combination names no instance");
    }
    assert!(
        each.points >= 3 && one.points >= 1,
        "{} / {}",
        each.points,
        one.points
    );

    // The incident snapshot names the instances the window saw, in natural order.
    let request = snapshot::SnapshotRequest {
        since: now - chrono::Duration::minutes(5),
        until: now + chrono::Duration::seconds(1),
        services: Some(vec!["registry".into()]),
    };
    let taken = snapshot::gather(&store, Some(&config), &request, now)
        .await
        .unwrap();
    let mut expected: Vec<String> = REPLICAS.iter().map(|n| id_of(&fleet, n)).collect();
    expected.sort_by(|a, b| switchyard_core::model::natural_cmp(a, b));
    assert_eq!(taken.services[0].instances, expected);
    let html = snapshot::render_html(&taken);
    assert!(
        html.contains(&format!(
            "3 instances in the window: {}.",
            expected.join(", ")
        )),
        "the HTML names the instances"
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn instances_come_and_go_with_dns_and_an_unknown_name_says_so() {
    let fleet = replicas().await;
    let port = |name: &str| {
        id_of(&fleet, name)
            .rsplit_once(':')
            .unwrap()
            .1
            .parse::<u16>()
            .unwrap()
    };
    let srv = |names: &[&str]| -> Vec<SrvRecord> {
        names
            .iter()
            .map(|n| SrvRecord {
                name: "_http._tcp.registry.internal".into(),
                target: format!("{n}.internal"),
                port: port(n),
            })
            .collect()
    };
    let hosts: Vec<(String, [&str; 1])> = REPLICAS
        .iter()
        .map(|n| (format!("{n}.internal"), ["127.0.0.1"]))
        .collect();
    let hosts: Vec<(&str, &[&str])> = hosts.iter().map(|(n, a)| (n.as_str(), &a[..])).collect();
    let mut dns = LoopbackDns::start(&hosts, &srv(&REPLICAS[..2]))
        .await
        .expect("dnsmasq starts");
    let config = Config::parse(&format!(
        r#"
        [[service]]
        name = "registry"
        profile = "breaker-registry"
        discover = {{ dns = "_http._tcp.registry.internal", resolver = "{0}", refresh = "1s" }}
        poll_interval = "300ms"
        timeout = "200ms"

        [[service]]
        name = "nowhere"
        profile = "breaker-registry"
        discover = {{ dns = "nowhere.internal:8080", resolver = "{0}", refresh = "1s" }}
        poll_interval = "300ms"
        timeout = "200ms"
        "#,
        dns.address()
    ))
    .expect("config parses");
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = events_of(&engine);

    let first_two: BTreeSet<String> = REPLICAS[..2].iter().map(|n| id_of(&fleet, n)).collect();
    wait_for(
        &mut events,
        "registry",
        "the two SRV instances, polled",
        |s| present(s) == first_two && s.latest.as_ref().is_some_and(|o| o.is_reachable()),
    )
    .await;

    // A name that does not resolve: that service says so, by name; the other goes on.
    let nowhere = wait_for(&mut events, "nowhere", "a dns error", |s| {
        s.latest
            .as_ref()
            .is_some_and(|o| o.reachability.kind() == "dns")
    })
    .await;
    let message = nowhere
        .latest
        .unwrap()
        .reachability
        .message()
        .unwrap()
        .to_string();
    assert!(message.contains("nowhere.internal"), "{message}");
    assert_eq!(
        nowhere.replicas.unwrap().discovery_error.as_deref(),
        Some(message.as_str())
    );

    // A third replica is published: it appears within a refresh (1 s) and is polled.
    dns.set_srv(&srv(&REPLICAS))
        .await
        .expect("dnsmasq restarts");
    let all: BTreeSet<String> = REPLICAS.iter().map(|n| id_of(&fleet, n)).collect();
    let third = id_of(&fleet, REPLICAS[2]);
    wait_for(&mut events, "registry", "the third instance, polled", |s| {
        present(s) == all
            && s.replicas.as_ref().is_some_and(|r| {
                r.instances
                    .iter()
                    .any(|i| i.id == third && i.observed_at.is_some())
            })
    })
    .await;

    // The first is withdrawn: shown as gone, not down, and out of the combination.
    dns.set_srv(&srv(&REPLICAS[1..]))
        .await
        .expect("dnsmasq restarts");
    let first = id_of(&fleet, REPLICAS[0]);
    let state = wait_for(&mut events, "registry", "the first instance gone", |s| {
        s.replicas.as_ref().is_some_and(|r| {
            r.instances
                .iter()
                .any(|i| i.id == first && i.gone_since.is_some())
        })
    })
    .await;
    let gone = state.replicas.as_ref().unwrap();
    assert_eq!(gone.summary, None, "a gone instance is not a down one");
    assert_eq!(
        state
            .latest
            .as_ref()
            .unwrap()
            .health
            .as_ref()
            .unwrap()
            .status,
        HealthStatus::Ok
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

/// What a fleet service received as action requests.
async fn received(fleet: &Fleet, name: &str) -> Vec<serde_json::Value> {
    let state: serde_json::Value = reqwest::get(format!("{}/_fleet/state", base_url(fleet, name)))
        .await
        .expect("state answers")
        .json()
        .await
        .expect("json");
    state["actions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_reset_goes_to_each_open_instance_once_audited_and_verified_each() {
    use std::time::Duration;
    use switchyard_core::actions::{ActionRequest, OutcomeStatus, Verification, VerifyOptions};
    use switchyard_core::console::{Console, ConsoleOptions, Watch};
    use switchyard_core::model::ActionKind;
    use switchyard_core::store::TimeRange;

    let fleet = replicas().await;
    let config = registry_config(&fleet, "300ms", "200ms", "");
    let open = ["replica-1", "replica-3"];
    for name in open {
        set(
            &fleet,
            name,
            json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
        )
        .await;
    }
    // replica-3 says "done" and changes nothing: its verification must say so.
    set(
        &fleet,
        "replica-3",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}, "ignore_resets": true}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(
        config,
        ConsoleOptions {
            database: Some(dir.path().join("history.db")),
            clock: Arc::new(SystemClock),
            watch: Watch::All,
            maintenance: false,
        },
    )
    .await;
    let mut fleet_feed = console.engine().fleet();
    let ids: Vec<String> = REPLICAS.iter().map(|n| id_of(&fleet, n)).collect();
    tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            let shown = console.engine().feed().state("registry");
            let ready = shown.as_deref().is_some_and(|s| {
                open.iter().all(|n| {
                    breaker_on(s, &id_of(&fleet, n), "exchange_api") == Some(BreakerState::Open)
                }) && breaker_on(s, &ids[1], "exchange_api") == Some(BreakerState::Closed)
            });
            if ready {
                break;
            }
            fleet_feed.next().await.expect("engine runs");
        }
    })
    .await
    .expect("two of three open within 15 s");

    let request = ActionRequest {
        service: "registry".into(),
        kind: ActionKind::ResetBreaker,
        target: Some("exchange_api".into()),
        reason: "exchange back (INC-5120)".into(),
        override_checks: false,
        instance: None,
    };
    let plan = console.plan_action(&request).expect("a plan");
    let planned: BTreeSet<&str> = plan
        .instances
        .iter()
        .filter_map(|p| p.request.instance.as_deref())
        .collect();
    let open_ids: Vec<String> = open.iter().map(|n| id_of(&fleet, n)).collect();
    let expected: BTreeSet<&str> = open_ids.iter().map(String::as_str).collect();
    assert_eq!(planned, expected, "the open instances, and only those");
    assert_eq!(plan.place, "2 of 3 instances");
    assert!(
        plan.description.contains(&open_ids[0]),
        "{}",
        plan.description
    );

    let options = VerifyOptions {
        deadline: Duration::from_secs(3),
        every: Duration::from_millis(100),
    };
    // A subscriber to the action log: each row is announced once it is in the history.
    let _log = console.action_log();
    let outcome = console.run_plan(&plan, options).await.expect("sent");
    assert_eq!(
        outcome.status,
        OutcomeStatus::Partial,
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.starts_with("1 of 2 closed; "),
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.contains(&open_ids[1]),
        "{}",
        outcome.message
    );
    let by_instance = |id: &str| {
        outcome
            .instances
            .iter()
            .find(|o| o.request.instance.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no outcome for {id}"))
    };
    assert!(matches!(
        by_instance(&open_ids[0]).verification,
        Some(Verification::Verified {
            state: BreakerState::Closed,
            ..
        })
    ));
    assert!(matches!(
        by_instance(&open_ids[1]).verification,
        Some(Verification::NotVerified {
            state: Some(BreakerState::Open),
            ..
        })
    ));

    // One request at each open replica, none at the closed one.
    for (name, expected) in [("replica-1", 1), ("replica-2", 0), ("replica-3", 1)] {
        let got = received(&fleet, name).await;
        assert_eq!(got.len(), expected, "{name}: {got:?}");
        if expected == 1 {
            assert_eq!(got[0]["reason"], "exchange back (INC-5120)");
        }
    }
    // One audit row per instance, each with its verification.
    let store = console.store().expect("history open");
    let rows = store
        .actions_between(Some("registry"), TimeRange::all())
        .await
        .unwrap();
    let audited: Vec<(Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|r| (r.instance.as_deref(), r.verified_state.as_deref()))
        .collect();
    assert_eq!(audited.len(), 2, "{rows:?}");
    assert!(
        audited.contains(&(Some(open_ids[0].as_str()), Some("closed"))),
        "{audited:?}"
    );
    assert!(
        audited.iter().any(|(i, v)| *i == Some(open_ids[1].as_str())
            && v.is_some_and(|v| v.starts_with("not verified"))),
        "{audited:?}"
    );

    // Asking again: only replica-3 is still open, so only it is planned.
    let again = console.plan_action(&request).expect("a plan");
    let planned: Vec<&str> = again
        .instances
        .iter()
        .filter_map(|p| p.request.instance.as_deref())
        .collect();
    assert_eq!(planned, [open_ids[1].as_str()]);
    console.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_rule_per_instance_fires_on_the_instance_whose_breaker_opened() {
    use switchyard_core::alerts::AlertPhase;

    use crate::alerts_fleet::wait_event;

    let fleet = replicas().await;
    let config = registry_config(
        &fleet,
        "300ms",
        "200ms",
        r#"
        [[alert]]
        name = "instance breaker open"
        select = { service = "registry", breaker_state = true, per = "instance" }
        when = "state is open"
        severity = "high"
        "#,
    );
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = events_of(&engine);
    let second = id_of(&fleet, "replica-2");
    let on_second = format!("registry@{second}");

    set(
        &fleet,
        "replica-2",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let fired = wait_event(&mut events, "the per-instance alert firing", |e| {
        e.key.rule == "instance breaker open" && e.phase == AlertPhase::Firing
    })
    .await;
    assert_eq!(fired.key.service, on_second, "{fired:?}");
    assert_eq!(fired.key.subject, "exchange_api");

    // Closed again: the instance's alert resolves; no other instance ever had one.
    set(
        &fleet,
        "replica-2",
        json!({"breakers": {"exchange_api": {"state": "CLOSED"}}}),
    )
    .await;
    let resolved = wait_event(&mut events, "the per-instance alert resolving", |e| {
        e.key.rule == "instance breaker open" && e.phase == AlertPhase::Resolved
    })
    .await;
    assert_eq!(resolved.key.service, on_second);
    let state = engine.alerts().await;
    assert!(
        state
            .active
            .iter()
            .all(|a| a.key.rule != "instance breaker open"),
        "{:?}",
        state.active
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn each_instance_streams_and_a_streamed_breaker_changes_the_combination() {
    let fleet = replicas().await;
    // Polls far apart: only the streams can bring the change in time.
    let config = registry_config(
        &fleet,
        "60s",
        "2s",
        "[[service.stream]]\npath = \"/api/ws/breakers\"\nsubscribe = [\"breakers\"]\n",
    );
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = events_of(&engine);
    let ids: Vec<String> = REPLICAS.iter().map(|n| id_of(&fleet, n)).collect();
    let expected: BTreeSet<String> = ids
        .iter()
        .map(|id| format!("{id} /api/ws/breakers"))
        .collect();
    wait_for(
        &mut events,
        "registry",
        "every instance polled and streaming",
        |s| {
            let live: BTreeSet<String> = s
                .streams
                .iter()
                .filter(|st| st.state.as_str() == "live")
                .map(|st| st.path.clone())
                .collect();
            live == expected
                && present(s).len() == 3
                && s.last_good.is_some()
                && ids
                    .iter()
                    .all(|id| breaker_on(s, id, "exchange_api").is_some())
        },
    )
    .await;

    set(
        &fleet,
        "replica-3",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let state = wait_for(&mut events, "registry", "open on 1 of 3, by stream", |s| {
        s.last_good
            .as_ref()
            .and_then(|o| o.breakers.iter().find(|b| b.name == "exchange_api"))
            .is_some_and(|b| b.reason.as_deref() == Some("open on 1 of 3 instances"))
    })
    .await;
    assert_eq!(
        breaker_on(&state, &ids[2], "exchange_api"),
        Some(BreakerState::Open)
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}
