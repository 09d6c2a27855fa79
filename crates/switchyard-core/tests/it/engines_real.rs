//! The team's engines as a source, against the real engines: a Prometheus and a
//! VictoriaMetrics (Debian's packages, started on loopback by the fleet's harness)
//! scrape `breaker-registry` services of the simulated fleet, and a console whose only
//! configuration is the `[[engine]]` reads them. A breaker tripped at the fleet shows
//! open through the engine within two refreshes of the engine having scraped it; an
//! engine that goes away marks its services stale (not down) and names itself; an error
//! answer is shown with the engine's `errorType`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{Config, EngineConfig};
use switchyard_core::engine::EngineHandle;
use switchyard_core::model::{BreakerState, EngineStatus, ServiceState};
use switchyard_fleet::engines_on_loopback::{LoopbackEngine, ScrapeJob, ScrapeSetup};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

use crate::support::{base_url, events_of, set, Events};

/// Both engines take their first scrape about 5 s after start; a loaded machine more.
const FIRST_SCRAPE: Duration = Duration::from_secs(60);

async fn registry_fleet(names: &[&str]) -> Fleet {
    Fleet::start(FleetSpec {
        services: names
            .iter()
            .map(|name| ServiceSpec::quiet(Profile::BreakerRegistry, *name))
            .collect(),
    })
    .await
    .expect("fleet starts")
}

/// One scrape job per service, its `job` label the service's name.
fn scrape_setup(fleet: &Fleet) -> ScrapeSetup {
    ScrapeSetup {
        interval: Duration::from_millis(500),
        jobs: fleet
            .services()
            .iter()
            .map(|s| ScrapeJob {
                job: s.name.clone(),
                targets: vec![s.base_url.trim_start_matches("http://").to_string()],
                metrics_path: "/metrics".into(),
            })
            .collect(),
        rules: None,
        alertmanager: None,
    }
}

fn console_on(engine: EngineConfig) -> EngineHandle {
    let mut config = Config::history_only();
    config.engines = vec![engine];
    EngineHandle::start(&config, Arc::new(SystemClock), None)
}

fn engine_config(name: &str, url: &str) -> EngineConfig {
    let mut engine = EngineConfig::new(name, url);
    engine.refresh = Duration::from_millis(1000);
    engine.timeout = Duration::from_millis(800);
    engine
}

fn breaker(state: &ServiceState, name: &str) -> Option<BreakerState> {
    state.breaker(name).map(|b| b.state)
}

/// Waits, up to `patience`, for a state of `service` that satisfies `predicate`,
/// counting the engine rounds (fresh observations) seen on the way.
async fn watch_rounds(
    events: &mut Events,
    service: &str,
    patience: Duration,
    what: &str,
    predicate: impl Fn(&ServiceState) -> bool,
) -> (ServiceState, usize) {
    let mut rounds = 0;
    let mut last_seen = None;
    let mut last_state = None;
    let found = tokio::time::timeout(patience, async {
        loop {
            let delta = events.fleet.next().await.expect("engine running");
            if let Some(state) = delta.services.iter().find(|s| s.name == service) {
                last_state = Some(state.clone());
                let at = state.latest.as_ref().map(|o| o.observed_at);
                if at.is_some() && at != last_seen {
                    rounds += 1;
                    last_seen = at;
                }
                if predicate(state) {
                    return (**state).clone();
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!("{service} never showed {what} within {patience:?}; last seen: {last_state:#?}")
    });
    (found, rounds)
}

/// Asks the engine directly until `promql` has a series: the engine has scraped it.
async fn await_scraped(engine: &LoopbackEngine, promql: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let answer: serde_json::Value = client
            .get(format!("{}/api/v1/query", engine.url()))
            .query(&[("query", promql)])
            .send()
            .await
            .expect("engine answers")
            .json()
            .await
            .expect("json");
        if answer["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            return;
        }
        assert!(
            started.elapsed() < FIRST_SCRAPE,
            "{:?} never had {promql}: {answer}\n{}",
            engine.kind(),
            engine.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A breaker tripped at the fleet reads as open through `engine`, within two
/// refreshes of the engine holding the new state; the other service is untouched.
async fn trip_shows_through(
    fleet: &Fleet,
    engine: &LoopbackEngine,
    name: &str,
    tripped: &str,
) -> (EngineHandle, Events) {
    let console = console_on(engine_config(name, engine.url()));
    let mut events = events_of(&console);
    await_scraped(engine, "up == 1").await;
    // Services come from the engine alone: nothing is configured.
    let (orders, _) = watch_rounds(&mut events, "orders", FIRST_SCRAPE, "its breakers", |s| {
        breaker(s, tripped) == Some(BreakerState::Closed)
    })
    .await;
    let view = orders.engine.as_ref().expect("marked with its engine");
    assert_eq!(view.engine, name);
    assert_eq!(view.instances.len(), 1);
    assert_eq!(
        view.instances[0].name,
        base_url(fleet, "orders").trim_start_matches("http://")
    );
    assert_eq!(orders.profile, "engine");
    assert_eq!(
        orders
            .latest
            .as_ref()
            .and_then(|o| o.health.as_ref())
            .map(|h| h.status.as_str()),
        Some("ok")
    );

    set(
        fleet,
        "orders",
        json!({"breakers": {tripped: {"state": "OPEN"}}}),
    )
    .await;
    await_scraped(
        engine,
        &format!("resilience4j_circuitbreaker_state{{job=\"orders\",name=\"{tripped}\",state=\"open\"}} == 1"),
    )
    .await;
    let (open, rounds) = watch_rounds(
        &mut events,
        "orders",
        Duration::from_secs(20),
        "the tripped breaker open",
        |s| breaker(s, tripped) == Some(BreakerState::Open),
    )
    .await;
    assert!(rounds <= 2, "{name}: open only after {rounds} refreshes");
    let latest = open.latest.as_ref().unwrap();
    assert!(
        latest
            .transitions
            .iter()
            .any(|t| t.breaker == tripped && t.to == BreakerState::Open),
        "the engine's round makes the transition like a poll: {:?}",
        latest.transitions
    );
    let payments = console
        .feed()
        .state("payments")
        .expect("the other service is discovered too");
    assert_eq!(breaker(&payments, tripped), Some(BreakerState::Closed));
    (console, events)
}

fn status_of(console: &EngineHandle, name: &str) -> EngineStatus {
    console
        .engine_status()
        .borrow()
        .iter()
        .find(|s| s.engine == name)
        .cloned()
        .expect("a status per configured engine")
}

#[tokio::test]
async fn a_breaker_tripped_at_the_fleet_shows_open_through_prometheus_and_victoria_metrics() {
    let fleet = registry_fleet(&["orders", "payments"]).await;
    let setup = scrape_setup(&fleet);
    let (prometheus, victoria) = tokio::join!(
        LoopbackEngine::prometheus(&setup),
        LoopbackEngine::victoria_metrics(Some(&setup)),
    );
    let (prometheus, victoria) = (prometheus.unwrap(), victoria.unwrap());
    let ((from_prometheus, mut prometheus_events), (from_victoria, _)) = tokio::join!(
        trip_shows_through(&fleet, &prometheus, "prom", "exchange_api"),
        trip_shows_through(&fleet, &victoria, "vm", "database"),
    );
    let status = status_of(&from_prometheus, "prom");
    assert!(status.ok, "{status:?}");
    assert_eq!(status.services, 2);
    assert!(
        status.queries <= 10,
        "{} queries per refresh",
        status.queries
    );

    // The engine goes away: its services keep their values, stale, and it names itself.
    drop(prometheus);
    let (stale, _) = watch_rounds(
        &mut prometheus_events,
        "orders",
        Duration::from_secs(20),
        "stale",
        |s| s.engine.as_ref().is_some_and(|v| v.stale.is_some()),
    )
    .await;
    let reason = &stale
        .engine
        .as_ref()
        .unwrap()
        .stale
        .as_ref()
        .unwrap()
        .reason;
    assert!(reason.starts_with("engine prom: "), "{reason}");
    assert_eq!(
        breaker(&stale, "exchange_api"),
        Some(BreakerState::Open),
        "last values kept"
    );
    assert_eq!(
        stale
            .latest
            .as_ref()
            .and_then(|o| o.health.as_ref())
            .map(|h| h.status.as_str()),
        Some("ok"),
        "stale, not down"
    );
    let status = status_of(&from_prometheus, "prom");
    assert!(!status.ok);
    assert!(
        status
            .message
            .as_deref()
            .unwrap_or("")
            .contains("engine prom"),
        "{status:?}"
    );
    assert!(status.last_good.is_some());
    from_prometheus.shutdown().await;
    from_victoria.shutdown().await;
}

#[tokio::test]
async fn an_error_answer_is_shown_with_its_error_type() {
    let fleet = registry_fleet(&["orders"]).await;
    let prometheus = LoopbackEngine::prometheus(&scrape_setup(&fleet))
        .await
        .unwrap();
    let mut engine = engine_config("prom", prometheus.url());
    // A well-formed matcher whose regular expression the engine refuses.
    engine.selector = Some("job=~\"(\"".into());
    let console = console_on(engine);
    let mut statuses = console.engine_status();
    let status = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            statuses.changed().await.expect("engine running");
            let status = statuses.borrow().first().cloned().unwrap();
            if !status.ok {
                return status;
            }
        }
    })
    .await
    .expect("a failed refresh");
    let message = status.message.unwrap();
    assert!(
        message.starts_with("engine prom: HTTP 400 bad_data: "),
        "{message}"
    );
    console.shutdown().await;
}
