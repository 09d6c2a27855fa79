//! The team's engines that cannot run here, against recorded answers: Thanos Querier
//! (warnings on a partial response, its `dedup` and `partial_response` parameters) and
//! Mimir/Cortex (the `/prometheus` prefix, the `X-Scope-OrgID` tenant, refusing a
//! request without one) are not packaged for Debian, so a loopback server answers what
//! they answer, recorded from their documented shapes. The same server serves the
//! faults a real engine is hard to make give on demand: an execution error on one query,
//! an answer over the cap, a service that stops being reported.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use switchyard_core::actions::{ActionRequest, RefusalCode, VerifyOptions};
use switchyard_core::charts::Theme;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::EngineActions;
use switchyard_core::config::{Config, EngineConfig};
use switchyard_core::console::{Console, ConsoleOptions, Watch};
use switchyard_core::dashboard::{self, Canvas, ChartRequest, RangeRequest};
use switchyard_core::engine::EngineHandle;
use switchyard_core::engines::api::EngineApi;
use switchyard_core::engines::history::EngineHistory;
use switchyard_core::engines::refresh_once;
use switchyard_core::model::ActionKind;
use switchyard_core::model::{BreakerState, HealthStatus, ServiceState};
use switchyard_core::secrets::HeaderSource;
use switchyard_core::store::Store;
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

use crate::support::{events_of, wait_for};

/// One request as the engine received it: its parameters and its tenant header.
type Request = (BTreeMap<String, String>, Option<String>);
/// The services `up` reports, each with its instances' `up` values.
type Services = Arc<Mutex<Vec<(String, Vec<(String, f64)>)>>>;

/// What the recorded engine answers, changeable while it runs.
#[derive(Clone, Default)]
struct Recorded {
    /// Every request's parameters and tenant header, in order.
    seen: Arc<Mutex<Vec<Request>>>,
    /// Services `up` reports, each with its instances' `up` values.
    services: Services,
    /// Warnings every answer carries (Thanos partial response).
    warnings: Vec<String>,
    /// A tenant the engine insists on (Mimir), or none.
    tenant: Option<String>,
    /// Answer the failure-rate query with a 422 `execution` error.
    failing_rates: bool,
    /// Pad every answer to this many bytes.
    padding: usize,
    /// Break off the answer to the second look at breaker states midway, as a
    /// Prometheus killed while answering does.
    breaking_second_look: bool,
}

fn vector(result: Vec<Value>, warnings: &[String]) -> Value {
    let mut answer =
        json!({"status": "success", "data": {"resultType": "vector", "result": result}});
    if !warnings.is_empty() {
        answer["warnings"] = json!(warnings);
    }
    answer
}

async fn answer(
    State(recorded): State<Recorded>,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let tenant = headers
        .get("x-scope-orgid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    recorded
        .seen
        .lock()
        .unwrap()
        .push((params.clone(), tenant.clone()));
    if recorded.tenant.is_some() && tenant != recorded.tenant {
        // Mimir's answer without a tenant.
        return (StatusCode::UNAUTHORIZED, "no org id\n").into_response();
    }
    let query = params.get("query").cloned().unwrap_or_default();
    let time = 1_764_000_000.0;
    let services = recorded.services.lock().unwrap().clone();
    let result: Vec<Value> = if query.starts_with("up{") {
        services
            .iter()
            .flat_map(|(job, instances)| {
                instances.iter().map(move |(instance, up)| {
                    json!({"metric": {"__name__": "up", "job": job, "instance": instance}, "value": [time, format!("{up}")]})
                })
            })
            .collect()
    } else if query.starts_with("resilience4j_circuitbreaker_state{")
        && query.contains("state=\"closed\"")
    {
        // Every breaker's `closed` series: 0 where the instance is down (its breaker open).
        services
            .iter()
            .flat_map(|(job, instances)| {
                instances.iter().map(move |(instance, up)| {
                    let closed = if *up > 0.0 { "1" } else { "0" };
                    json!({"metric": {"job": job, "instance": instance, "name": "exchange_api", "state": "closed"}, "value": [time, closed]})
                })
            })
            .collect()
    } else if query.starts_with("resilience4j_circuitbreaker_state{") && query.ends_with("== 1") {
        if recorded.breaking_second_look {
            let broken: [Result<&'static str, std::io::Error>; 2] = [
                Ok("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["),
                Err(std::io::Error::other("killed")),
            ];
            return axum::body::Body::from_stream(futures::stream::iter(broken)).into_response();
        }
        // The second look: the state in force of the breakers not closed.
        services
            .iter()
            .flat_map(|(job, instances)| {
                instances.iter().filter(|(_, up)| *up == 0.0).map(move |(instance, _)| {
                    json!({"metric": {"job": job, "instance": instance, "name": "exchange_api", "state": "open"}, "value": [time, "1"]})
                })
            })
            .collect()
    } else if query.starts_with("resilience4j_circuitbreaker_failure_rate") {
        if recorded.failing_rates {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({"status": "error", "errorType": "execution", "error": "query processing would load too many samples into memory in query execution"})),
            )
                .into_response();
        }
        Vec::new()
    } else if query.starts_with("sum by") && query.contains("cache_gets_total") {
        services
            .iter()
            .map(|(job, instances)| {
                json!({"metric": {"job": job, "instance": instances[0].0}, "value": [time, "NaN"]})
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut body = vector(result, &recorded.warnings);
    if recorded.padding > 0 {
        body["padding"] = json!("x".repeat(recorded.padding));
    }
    axum::Json(body).into_response()
}

/// `query_range`: one series at 0.9 on every step from `start` to `end`.
async fn answer_range(
    State(recorded): State<Recorded>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    recorded.seen.lock().unwrap().push((params.clone(), None));
    let number = |key: &str| {
        params
            .get(key)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let (start, end, step) = (number("start"), number("end"), number("step").max(1.0));
    let values: Vec<Value> = (0..)
        .map(|k| start + f64::from(k) * step)
        .take_while(|t| *t <= end)
        .map(|t| json!([t, "0.9"]))
        .collect();
    let mut answer = json!({"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"job": "orders"}, "values": values}
    ]}});
    if !recorded.warnings.is_empty() {
        answer["warnings"] = json!(recorded.warnings);
    }
    axum::Json(answer).into_response()
}

/// Serves `recorded` on loopback under `prefix`; returns the engine's URL.
async fn serve(recorded: Recorded, prefix: &str) -> String {
    let app = Router::new()
        .route(&format!("{prefix}/api/v1/query"), get(answer))
        .route(&format!("{prefix}/api/v1/query_range"), get(answer_range))
        .with_state(recorded);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}{prefix}")
}

fn fleet_of(services: &[(&str, &[(&str, f64)])]) -> Services {
    Arc::new(Mutex::new(
        services
            .iter()
            .map(|(job, instances)| {
                (
                    job.to_string(),
                    instances
                        .iter()
                        .map(|(i, up)| (i.to_string(), *up))
                        .collect(),
                )
            })
            .collect(),
    ))
}

#[tokio::test]
async fn thanos_partial_responses_are_shown_and_its_parameters_sent() {
    // Recorded from Thanos Querier: a 200 whose `warnings` say a store was missing.
    let recorded = Recorded {
        services: fleet_of(&[("orders", &[("10.0.0.5:8080", 1.0), ("10.0.0.6:8080", 0.0)])]),
        warnings: vec!["receive-1: rpc error: code = Unavailable desc = connection refused".into()],
        ..Recorded::default()
    };
    let url = serve(recorded.clone(), "").await;
    let mut engine = EngineConfig::new("thanos", &url);
    engine.dedup = Some(true);
    engine.partial_response = Some(true);
    let api = EngineApi::new(reqwest::Client::new(), &engine);
    let refreshed = refresh_once(&api, &engine, chrono::Utc::now(), None).await;

    assert!(refreshed.status.ok, "{:?}", refreshed.status);
    assert_eq!(
        refreshed.status.warnings, recorded.warnings,
        "warnings are kept, once"
    );
    let services = refreshed.services.unwrap();
    let orders = &services[0];
    assert_eq!(orders.view.warnings, recorded.warnings);
    assert_eq!(
        orders.view.summary.as_deref(),
        Some("1 of 2 instances down")
    );
    let health = orders.observation.health.as_ref().unwrap().status;
    assert_eq!(health, HealthStatus::Degraded);
    let db = &orders.observation.breakers[0];
    assert_eq!(db.state, BreakerState::Open);
    assert_eq!(db.reason.as_deref(), Some("open on 1 of 2 instances"));
    // A NaN hit rate (no gets in the window) is no value, not a zero.
    assert!(orders
        .observation
        .samples
        .iter()
        .all(|s| s.series != "cache.hit_rate"));

    let seen = recorded.seen.lock().unwrap().clone();
    // Seven for the whole fleet, and one more for the services with a breaker not closed.
    assert_eq!(seen.len(), 8, "{seen:?}");
    assert!(seen[7].0["query"].contains("job=~\"orders\""), "{seen:?}");
    for (params, _) in &seen {
        assert_eq!(params.get("dedup").map(String::as_str), Some("true"));
        assert_eq!(
            params.get("partial_response").map(String::as_str),
            Some("true")
        );
        assert!(params.contains_key("time"));
    }
}

#[tokio::test]
async fn mimir_is_read_under_its_prefix_with_the_tenant_header() {
    // Recorded from Mimir: the API under /prometheus, 401 "no org id" without a tenant.
    let recorded = Recorded {
        services: fleet_of(&[("Payments API ✓ (eu)", &[("pod-7", 1.0)])]),
        tenant: Some("payments".into()),
        ..Recorded::default()
    };
    let url = serve(recorded.clone(), "/prometheus").await;
    let mut engine = EngineConfig::new("mimir", &url);
    let api = EngineApi::new(reqwest::Client::new(), &engine);
    let refused = refresh_once(&api, &engine, chrono::Utc::now(), None).await;
    let message = refused.status.message.unwrap();
    assert!(message.starts_with("engine mimir: "), "{message}");
    assert!(
        message.contains("refused the credentials (HTTP 401)"),
        "{message}"
    );

    engine.headers = vec![(
        "X-Scope-OrgID".into(),
        HeaderSource::parse("X-Scope-OrgID", "payments").unwrap(),
    )];
    let api = EngineApi::new(reqwest::Client::new(), &engine);
    let refreshed = refresh_once(&api, &engine, chrono::Utc::now(), None).await;
    assert!(refreshed.status.ok, "{:?}", refreshed.status);
    let services = refreshed.services.unwrap();
    // Not a name anyone would configure, shown as the engine says it.
    assert_eq!(services[0].observation.service, "Payments API ✓ (eu)");
    assert_eq!(services[0].view.instances[0].name, "pod-7");
    let tenants: Vec<Option<String>> = recorded
        .seen
        .lock()
        .unwrap()
        .iter()
        .skip(7)
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(tenants, vec![Some("payments".to_string()); 7]);
}

#[tokio::test]
async fn an_execution_error_on_one_query_is_shown_and_a_huge_answer_capped() {
    let recorded = Recorded {
        services: fleet_of(&[("orders", &[("a:1", 1.0)])]),
        failing_rates: true,
        ..Recorded::default()
    };
    let url = serve(recorded, "").await;
    let engine = EngineConfig::new("prod", &url);
    let api = EngineApi::new(reqwest::Client::new(), &engine);
    let refreshed = refresh_once(&api, &engine, chrono::Utc::now(), None).await;
    assert!(!refreshed.status.ok);
    let message = refreshed.status.message.unwrap();
    assert!(
        message.contains(
            "failure rates: HTTP 422 execution: query processing would load too many samples"
        ),
        "{message}"
    );
    // `up` answered: the services are there, the missing part named on each.
    let services = refreshed.services.unwrap();
    let problem = &services[0].observation.problems[0];
    assert_eq!(problem.endpoint, "engine prod: failure rates");
    assert_eq!(problem.reachability.kind(), "http_error");

    let huge = Recorded {
        services: fleet_of(&[("orders", &[("a:1", 1.0)])]),
        padding: 64 * 1024,
        ..Recorded::default()
    };
    let url = serve(huge, "").await;
    let mut engine = EngineConfig::new("prod", &url);
    engine.max_body_bytes = 16 * 1024;
    let api = EngineApi::new(reqwest::Client::new(), &engine);
    let refreshed = refresh_once(&api, &engine, chrono::Utc::now(), None).await;
    let message = refreshed.status.message.unwrap();
    assert!(message.contains("over the 16 KiB cap"), "{message}");
}

#[tokio::test]
async fn an_engine_that_breaks_off_an_answer_fails_the_refresh_whole() {
    // The first looks answer; the second look at the open breaker is cut off midway.
    // Reading the rest would show the open breaker as unknown: the refresh fails instead,
    // so the services keep their last values, stale.
    let recorded = Recorded {
        services: fleet_of(&[("orders", &[("a:1", 0.0)])]),
        breaking_second_look: true,
        ..Recorded::default()
    };
    let url = serve(recorded, "").await;
    let engine = EngineConfig::new("prod", &url);
    let api = EngineApi::new(reqwest::Client::new(), &engine);
    let last_good = chrono::Utc::now() - chrono::Duration::seconds(5);
    let refreshed = refresh_once(&api, &engine, chrono::Utc::now(), Some(last_good)).await;
    assert!(
        refreshed.services.is_err(),
        "no service read from a broken refresh"
    );
    assert!(!refreshed.status.ok);
    assert_eq!(refreshed.status.last_good, Some(last_good));
    let message = refreshed.status.message.unwrap();
    assert!(message.starts_with("engine prod: "), "{message}");
    assert!(message.contains("broke off"), "{message}");
}

#[tokio::test]
async fn a_service_the_engine_stops_reporting_goes_stale_not_down() {
    let recorded = Recorded {
        services: fleet_of(&[("orders", &[("a:1", 1.0)]), ("payments", &[("b:1", 1.0)])]),
        ..Recorded::default()
    };
    let url = serve(recorded.clone(), "").await;
    let mut engine = EngineConfig::new("prod", &url);
    engine.refresh = Duration::from_millis(200);
    engine.timeout = Duration::from_millis(150);
    let mut config = Config::history_only();
    config.engines = vec![engine];
    let console = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = events_of(&console);
    wait_for(&mut events, "payments", "reported", |s| s.latest.is_some()).await;

    recorded
        .services
        .lock()
        .unwrap()
        .retain(|(job, _)| job == "orders");
    let gone = wait_for(&mut events, "payments", "stale", |s| {
        s.engine.as_ref().is_some_and(|v| v.stale.is_some())
    })
    .await;
    let stale = gone.engine.unwrap().stale.unwrap();
    assert_eq!(stale.reason, "no longer reported by engine prod");
    let health = gone.latest.unwrap().health.unwrap().status;
    assert_eq!(health, HealthStatus::Ok, "stale keeps the last values");
    let orders = console.feed().state("orders").unwrap();
    assert!(orders.engine.as_ref().unwrap().stale.is_none());

    // Reported again: fresh again.
    *recorded.services.lock().unwrap() =
        fleet_of(&[("orders", &[("a:1", 1.0)]), ("payments", &[("b:1", 1.0)])])
            .lock()
            .unwrap()
            .clone();
    wait_for(&mut events, "payments", "fresh again", |s| {
        s.engine.as_ref().is_some_and(|v| v.stale.is_none())
    })
    .await;
    console.shutdown().await;
}

#[tokio::test]
async fn a_chart_reaching_past_the_local_history_reads_the_engine() {
    // Recorded from Thanos: a range answer with a partial-response warning.
    let recorded = Recorded {
        warnings: vec!["store-eu: no StoreAPIs matched for this query".into()],
        ..Recorded::default()
    };
    let url = serve(recorded.clone(), "").await;
    let engine = EngineConfig::new("prod", &url);
    let history = EngineHistory::new(reqwest::Client::new(), &engine);
    let folder = tempfile::tempdir().unwrap();
    // An empty history: this console saw nothing of those 30 days.
    let store = Store::open(&folder.path().join("h.db")).await.unwrap();
    let state: ServiceState = serde_json::from_value(json!({
        "name": "orders", "profile": "engine", "base_url": url, "tags": [],
        "poll_interval_ms": 15000.0, "consecutive_failures": 0,
        "engine": {"engine": "prod", "instances": []}
    }))
    .unwrap();
    let request = ChartRequest {
        service: "orders".into(),
        series: "cache.hit_rate".into(),
        range: RangeRequest {
            minutes: 30 * 24 * 60,
            until_ms: None,
        },
        canvas: Canvas {
            width: 1000,
            height: 300,
            theme: Theme::Dark,
            utc_offset_minutes: 0,
        },
        per_instance: false,
    };
    let view = dashboard::series_chart_reaching(
        &store,
        chrono::Utc::now(),
        Some(&state),
        &request,
        Vec::new(),
        Some(&history),
    )
    .await
    .unwrap();
    assert_eq!(
        view.resolution,
        "engine prod · warning: store-eu: no StoreAPIs matched for this query"
    );
    // 30 days over 1,000 pixels: a 2,592 s step, the ends aligned to it.
    assert!(
        (1001..=1002).contains(&view.points),
        "{} points",
        view.points
    );
    assert_eq!(view.last_value, Some(0.9));
    let seen = recorded.seen.lock().unwrap().clone();
    let (params, _) = &seen[0];
    assert_eq!(params["step"], "2592");
    for end in ["start", "end"] {
        let t: f64 = params[end].parse().unwrap();
        assert_eq!(t % 2592.0, 0.0, "{end} = {t} is not aligned");
    }
    assert!(
        params["query"]
            .starts_with("sum(rate(cache_gets_total{job=\"orders\", result=\"hit\"}[2592s]))"),
        "{}",
        params["query"]
    );
    store.close().await;
}

/// A console reading `orders` from a recorded engine that names these fleet services as
/// its instances (each down with exchange_api open), with `actions` to reach them.
async fn acting_console(fleet: &Fleet) -> (Console, tempfile::TempDir) {
    let instances: Vec<String> = fleet
        .services()
        .iter()
        .map(|s| s.base_url.trim_start_matches("http://").to_string())
        .collect();
    let named: Vec<(&str, f64)> = instances.iter().map(|i| (i.as_str(), 0.0)).collect();
    let recorded = Recorded {
        services: fleet_of(&[("orders", &named)]),
        ..Recorded::default()
    };
    let url = serve(recorded, "").await;
    let mut acting = EngineConfig::new("prod", &url);
    acting.refresh = Duration::from_millis(300);
    acting.timeout = Duration::from_millis(250);
    acting.actions = Some(EngineActions {
        profile: switchyard_core::profiles::Profile::BreakerRegistry,
        base_url: "http://{instance}".into(),
    });
    let folder = tempfile::tempdir().unwrap();
    let mut config = Config::history_only();
    config.engines = vec![acting];
    let console = Console::start(
        config,
        ConsoleOptions {
            database: Some(folder.path().join("history.db")),
            clock: Arc::new(SystemClock),
            watch: Watch::All,
            maintenance: false,
        },
    )
    .await;
    console
        .first_read("orders", Duration::from_secs(10))
        .await
        .expect("the engine reports orders");
    (console, folder)
}

fn reset_orders() -> ActionRequest {
    ActionRequest {
        service: "orders".into(),
        kind: ActionKind::ResetBreaker,
        target: Some("exchange_api".into()),
        reason: "exchange back (INC-1)".into(),
        override_checks: false,
        instance: None,
    }
}

/// What a fleet service received as actions, as text.
async fn received_by(base_url: &str) -> String {
    let state: Value = reqwest::get(format!("{base_url}/_fleet/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state["actions"].to_string()
}

#[tokio::test]
async fn an_action_goes_to_the_instance_the_engine_names_through_plan_and_audit() {
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(Profile::BreakerRegistry, "orders-7")],
    })
    .await
    .unwrap();
    let instance = fleet.services()[0]
        .base_url
        .trim_start_matches("http://")
        .to_string();
    // The engine says the instance is down with exchange_api open.
    let (console, _folder) = acting_console(&fleet).await;
    let request = reset_orders();
    let plan = console
        .plan_action(&request)
        .expect("planned for the instance");
    assert_eq!(plan.place, instance);
    assert_eq!(plan.path, "/api/circuit-breakers/exchange_api/reset");
    let outcome = console
        .run_plan(
            &plan,
            VerifyOptions {
                deadline: Duration::from_millis(500),
                every: Duration::from_millis(100),
            },
        )
        .await
        .expect("sent");
    assert_eq!(outcome.http_status, Some(200), "{}", outcome.message);
    assert!(outcome.audit_id.is_some(), "audited");
    let received = received_by(&format!("http://{instance}")).await;
    assert!(received.contains("exchange_api/reset"), "{received}");
    assert!(
        received.contains("INC-1"),
        "the reason went along: {received}"
    );
    console.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_breaker_open_on_several_of_an_engines_instances_gets_a_request_each() {
    let fleet = Fleet::start(FleetSpec {
        services: ["orders-1", "orders-2"]
            .iter()
            .map(|n| ServiceSpec::quiet(Profile::BreakerRegistry, *n))
            .collect(),
    })
    .await
    .unwrap();
    let (console, _folder) = acting_console(&fleet).await;
    let plan = console.plan_action(&reset_orders()).expect("a batch");
    assert_eq!(plan.place, "2 of 2 instances");
    assert_eq!(plan.instances.len(), 2);
    let outcome = console
        .run_plan(
            &plan,
            VerifyOptions {
                deadline: Duration::from_millis(500),
                every: Duration::from_millis(100),
            },
        )
        .await
        .expect("sent");
    assert_eq!(outcome.instances.len(), 2, "{}", outcome.message);
    for (one, service) in outcome.instances.iter().zip(fleet.services()) {
        assert_eq!(one.http_status, Some(200), "{}", one.message);
        assert!(one.audit_id.is_some(), "each audited");
        let received = received_by(&service.base_url).await;
        assert_eq!(
            received.matches("exchange_api/reset").count(),
            1,
            "{received}"
        );
    }
    console.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn an_engine_without_actions_leaves_its_services_read_only() {
    let recorded = Recorded {
        services: fleet_of(&[("orders", &[("a:1", 0.0)])]),
        ..Recorded::default()
    };
    let url = serve(recorded, "").await;
    let mut engine = EngineConfig::new("prod", &url);
    engine.refresh = Duration::from_millis(300);
    engine.timeout = Duration::from_millis(250);
    let mut config = Config::history_only();
    config.engines = vec![engine];
    let console = Console::start(
        config,
        ConsoleOptions {
            database: None,
            clock: Arc::new(SystemClock),
            watch: Watch::All,
            maintenance: false,
        },
    )
    .await;
    console
        .first_read("orders", Duration::from_secs(10))
        .await
        .unwrap();
    let refusal = console
        .plan_action(&ActionRequest {
            service: "orders".into(),
            kind: ActionKind::ResetBreaker,
            target: Some("exchange_api".into()),
            reason: "try".into(),
            override_checks: false,
            instance: None,
        })
        .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::ActionsNotAllowed);
    assert!(
        refusal.message.contains("read from engine prod"),
        "{}",
        refusal.message
    );
    console.shutdown().await;
}
