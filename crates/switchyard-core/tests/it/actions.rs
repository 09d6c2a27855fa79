//! Breaker resets and cache clears against real services: the simulated fleet for
//! `breaker-registry` and `single-breaker`, a small local server for `spring-actuator`
//! (the fleet does not serve it). Each test checks what the service received (exactly one
//! request, with the reason), what the audit log holds, and what verification saw.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use switchyard_core::actions::{
    self, ActionOutcome, ActionPlan, ActionRequest, OutcomeStatus, RefusalCode, Verification,
    VerifyOptions,
};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{Config, ServiceConfig};
use switchyard_core::engine::EngineHandle;
use switchyard_core::model::ServiceState;
use switchyard_core::model::{ActionKind, BreakerState, Observation};
use switchyard_core::profiles::Profile;
use switchyard_core::sources::http::build_client;
use switchyard_core::sources::poller::ServicePoller;
use switchyard_core::store::{ActionRecord, Store, StoreWriter, TimeRange};
use switchyard_fleet::{Fleet, FleetSpec, Profile as SimProfile, ServiceSpec};
use tempfile::TempDir;

use crate::support::{base_url, set};

/// Short deadlines: a healthy verification takes one or two re-reads.
const QUICK: VerifyOptions = VerifyOptions {
    deadline: Duration::from_secs(5),
    every: Duration::from_millis(100),
};
const SHORT: VerifyOptions = VerifyOptions {
    deadline: Duration::from_millis(1200),
    every: Duration::from_millis(200),
};

/// A fleet, its configuration (1 s timeout), and a history database with its writer.
struct Bench {
    fleet: Fleet,
    config: Config,
    /// Deleted on drop; `None` when the database lives in a folder the caller owns.
    _dir: Option<TempDir>,
    store: Store,
    writer: StoreWriter,
    client: reqwest::Client,
    /// Polls the fleet, as the console's engine does: verification watches it.
    engine: EngineHandle,
}

impl Bench {
    async fn start(services: &[(SimProfile, &str)]) -> Bench {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("history.db");
        let mut bench = Bench::start_with_db(services, &path).await;
        bench._dir = Some(dir);
        bench
    }

    async fn start_with_db(services: &[(SimProfile, &str)], db: &std::path::Path) -> Bench {
        let fleet = Fleet::start(FleetSpec {
            services: services
                .iter()
                .map(|(profile, name)| ServiceSpec::quiet(*profile, *name))
                .collect(),
        })
        .await
        .expect("fleet starts");
        let config = Config::parse(&fleet.config_toml("2s", "1s")).expect("config parses");
        let store = Store::open(db).await.expect("store opens");
        let writer = store.start_writer();
        let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
        Bench {
            fleet,
            config,
            _dir: None,
            store,
            writer,
            client: build_client(),
            engine,
        }
    }

    fn service(&self, name: &str) -> ServiceConfig {
        self.config
            .services
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .expect("configured")
    }

    /// What the engine would know: one real poll of the service.
    async fn current(&self, name: &str) -> ServiceState {
        let mut poller = ServicePoller::new(self.service(name));
        let (observation, _) = poller.poll_round(&self.client, &SystemClock).await;
        state_of(observation)
    }

    async fn execute(&self, plan: &ActionPlan) -> ActionOutcome {
        actions::execute(
            plan,
            &self.client,
            &SystemClock,
            Some(&self.writer),
            "oncall-test",
        )
        .await
    }

    async fn verify(&self, plan: &ActionPlan, outcome: &mut ActionOutcome, options: VerifyOptions) {
        actions::verify(plan, outcome, &self.engine, Some(&self.writer), options).await;
    }

    /// The write requests the fleet service received.
    async fn received(&self, name: &str) -> Vec<Value> {
        let state: Value = self
            .client
            .get(format!("{}/_fleet/state", base_url(&self.fleet, name)))
            .send()
            .await
            .expect("state answers")
            .json()
            .await
            .expect("state is JSON");
        state["actions"].as_array().cloned().unwrap_or_default()
    }

    /// The audit rows of a service, once everything queued is committed.
    async fn audit(&self, name: &str) -> Vec<ActionRecord> {
        self.writer.flush().await.expect("writer runs");
        self.store
            .actions_between(Some(name), TimeRange::all())
            .await
            .expect("audit query")
    }
}

/// The engine's state of a service whose last good observation is `observation`.
fn state_of(observation: Observation) -> ServiceState {
    serde_json::from_value(json!({
        "name": observation.service, "profile": observation.profile,
        "base_url": "", "tags": [], "poll_interval_ms": 2000.0, "consecutive_failures": 0,
        "last_good": observation,
    }))
    .expect("a service state")
}

fn ask(service: &str, kind: ActionKind, target: Option<&str>, reason: &str) -> ActionRequest {
    ActionRequest {
        service: service.into(),
        kind,
        target: target.map(str::to_string),
        reason: reason.into(),
        override_checks: false,
        instance: None,
    }
}

fn planned(
    config: &ServiceConfig,
    request: &ActionRequest,
    current: Option<&ServiceState>,
) -> ActionPlan {
    actions::plan(config, request, current)
        .unwrap_or_else(|refusal| panic!("refused: {} ({:?})", refusal.message, refusal.code))
}

#[tokio::test]
async fn registry_reset_is_sent_once_with_the_reason_audited_and_verified_closed() {
    let bench = Bench::start(&[(SimProfile::BreakerRegistry, "trading-api")]).await;
    set(
        &bench.fleet,
        "trading-api",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let current = bench.current("trading-api").await;
    let reason = "exchange back after maintenance (INC-4711)";
    let plan = planned(
        &bench.service("trading-api"),
        &ask(
            "trading-api",
            ActionKind::ResetBreaker,
            Some("exchange_api"),
            reason,
        ),
        Some(&current),
    );
    assert_eq!(
        plan.breaker.as_ref().map(|b| b.state),
        Some(BreakerState::Open)
    );
    assert!(
        plan.description.starts_with("POST 127.0.0.1:"),
        "{}",
        plan.description
    );
    assert!(plan
        .description
        .contains("/api/circuit-breakers/exchange_api/reset"));

    let mut outcome = bench.execute(&plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Done, "{}", outcome.message);
    assert_eq!(outcome.http_status, Some(200));
    assert_eq!(outcome.message, "exchange_api is now CLOSED");
    bench.verify(&plan, &mut outcome, QUICK).await;
    assert!(
        matches!(
            outcome.verification,
            Some(Verification::Verified {
                state: BreakerState::Closed,
                ..
            })
        ),
        "{:?}",
        outcome.verification
    );

    let received = bench.received("trading-api").await;
    assert_eq!(received.len(), 1, "exactly one request: {received:?}");
    assert_eq!(received[0]["method"], "POST");
    assert_eq!(
        received[0]["path"],
        "/api/circuit-breakers/exchange_api/reset"
    );
    assert_eq!(received[0]["reason"], reason);

    let rows = bench.audit("trading-api").await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.operator, "oncall-test");
    assert_eq!(row.action, "reset_breaker");
    assert_eq!(row.target.as_deref(), Some("exchange_api"));
    assert_eq!(row.reason.as_deref(), Some(reason));
    assert!(!row.override_checks);
    assert_eq!(row.http_status, Some(200));
    assert_eq!(
        row.message.as_deref(),
        Some("done: exchange_api is now CLOSED")
    );
    assert!(row.duration_ms.is_some_and(|ms| ms >= 0.0));
    assert!(row.outcome_at_ms.is_some_and(|at| at >= row.at_ms));
    assert_eq!(row.verified_state.as_deref(), Some("closed"));
    bench.fleet.shutdown().await;
}

#[tokio::test]
async fn registry_cache_clear_and_pattern_invalidation() {
    let bench = Bench::start(&[(SimProfile::BreakerRegistry, "trading-api")]).await;
    let config = bench.service("trading-api");
    let plan = planned(
        &config,
        &ask("trading-api", ActionKind::ClearCache, None, "stale prices"),
        None,
    );
    let mut outcome = bench.execute(&plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Done, "{}", outcome.message);
    assert!(
        outcome.message.ends_with("keys removed"),
        "{}",
        outcome.message
    );
    bench.verify(&plan, &mut outcome, QUICK).await;
    assert!(matches!(
        outcome.verification,
        Some(Verification::NotChecked { .. })
    ));

    let plan = planned(
        &config,
        &ask(
            "trading-api",
            ActionKind::InvalidateCachePattern,
            Some("market_data:*"),
            "one feed was poisoned",
        ),
        None,
    );
    assert_eq!(plan.body.as_deref(), Some(r#"{"pattern":"market_data:*"}"#));
    let outcome = bench.execute(&plan).await;
    assert_eq!(outcome.status, OutcomeStatus::Done, "{}", outcome.message);
    assert!(
        outcome.message.ends_with("entries invalidated"),
        "{}",
        outcome.message
    );

    let received = bench.received("trading-api").await;
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0]["path"], "/api/cache/clear");
    assert_eq!(received[0]["reason"], "stale prices");
    assert_eq!(received[1]["path"], "/api/cache/invalidate/pattern");
    assert_eq!(received[1]["reason"], "one feed was poisoned");

    let rows = bench.audit("trading-api").await;
    let actions: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.target.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [
            ("clear_cache", None),
            ("invalidate_cache_pattern", Some("market_data:*"))
        ]
    );
    assert!(rows.iter().all(|r| r.http_status == Some(200)));
    bench.fleet.shutdown().await;
}

#[tokio::test]
async fn single_breaker_409_is_a_refusal_and_the_override_step_resets_it_with_the_reason() {
    let bench = Bench::start(&[(SimProfile::SingleBreaker, "trading-bot")]).await;
    let config = bench.service("trading-bot");
    // The console has not seen the breaker yet: the service's guard decides.
    let reason = "drawdown reviewed with risk; resume";
    let first = planned(
        &config,
        &ask("trading-bot", ActionKind::ResetBreaker, None, reason),
        None,
    );
    assert_eq!(first.path, "/api/circuit-breaker/reset");
    let mut refused = bench.execute(&first).await;
    assert_eq!(
        refused.status,
        OutcomeStatus::Refused,
        "{}",
        refused.message
    );
    assert_eq!(refused.http_status, Some(409));
    assert!(refused.override_available);
    assert!(
        refused.message.contains("circuit breaker not active"),
        "{}",
        refused.message
    );
    bench.verify(&first, &mut refused, QUICK).await;
    assert!(matches!(
        refused.verification,
        Some(Verification::NotChecked { .. })
    ));

    // Seen inactive, a plain reset is refused before sending; the override goes through.
    let current = bench.current("trading-bot").await;
    let refusal = actions::plan(
        &config,
        &ask("trading-bot", ActionKind::ResetBreaker, None, reason),
        Some(&current),
    )
    .map(|p| p.description)
    .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::AlreadyInState);
    assert!(refusal.overridable);
    let mut again = ask("trading-bot", ActionKind::ResetBreaker, None, reason);
    again.override_checks = true;
    let second = planned(&config, &again, Some(&current));
    assert!(second
        .path
        .contains("override=true&reason=drawdown%20reviewed"));
    let mut outcome = bench.execute(&second).await;
    assert_eq!(outcome.status, OutcomeStatus::Done, "{}", outcome.message);
    assert_eq!(outcome.message, "circuit breaker reset");
    bench.verify(&second, &mut outcome, QUICK).await;
    assert!(
        matches!(outcome.verification, Some(Verification::Verified { .. })),
        "{:?}",
        outcome.verification
    );

    let received = bench.received("trading-bot").await;
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0]["query"], Value::Null);
    assert_eq!(received[0]["reason"], reason);
    let query = received[1]["query"].as_str().unwrap_or_default();
    assert!(query.starts_with("override=true&reason="), "{query}");
    assert_eq!(received[1]["reason"], reason);
    // The service wrote the reason from the query into its own audit trail.
    let history: Value = bench
        .client
        .get(format!(
            "{}/api/circuit-breaker/history",
            base_url(&bench.fleet, "trading-bot")
        ))
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("JSON");
    let last = history["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["reason"], reason);
    assert_eq!(last["override"], true);

    let rows = bench.audit("trading-bot").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].http_status, Some(409));
    assert!(rows[0]
        .message
        .as_deref()
        .is_some_and(|m| m.starts_with("refused: ")));
    assert!(!rows[0].override_checks);
    assert_eq!(rows[1].http_status, Some(200));
    assert!(rows[1].override_checks);
    assert_eq!(rows[1].target.as_deref(), Some("circuit_breaker"));
    assert_eq!(rows[1].verified_state.as_deref(), Some("closed"));
    bench.fleet.shutdown().await;
}

#[tokio::test]
async fn unauthorized_server_errors_and_timeouts_are_audited_and_sent_once() {
    let bench = Bench::start(&[(SimProfile::BreakerRegistry, "trading-api")]).await;
    let config = bench.service("trading-api");
    let endpoint = "/api/circuit-breakers/exchange_api/reset";
    set(
        &bench.fleet,
        "trading-api",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let mut seen = Vec::new();
    for (fault, status, code) in [
        ("unauthorized", OutcomeStatus::Failed, Some(401)),
        ("http_500", OutcomeStatus::Failed, Some(500)),
        ("hang", OutcomeStatus::Unknown, None),
    ] {
        set(
            &bench.fleet,
            "trading-api",
            json!({"fault": fault, "endpoint": endpoint}),
        )
        .await;
        let reason = format!("trying through {fault}");
        let plan = planned(
            &config,
            &ask(
                "trading-api",
                ActionKind::ResetBreaker,
                Some("exchange_api"),
                &reason,
            ),
            None,
        );
        let mut outcome = bench.execute(&plan).await;
        assert_eq!(outcome.status, status, "{fault}: {}", outcome.message);
        assert_eq!(outcome.http_status, code, "{fault}");
        bench.verify(&plan, &mut outcome, SHORT).await;
        seen.push((fault, outcome));
    }
    let (_, unauthorized) = &seen[0];
    assert!(
        unauthorized.message.contains("refused the credentials"),
        "{}",
        unauthorized.message
    );
    let (_, hang) = &seen[2];
    assert!(
        hang.message.contains("may or may not have happened"),
        "{}",
        hang.message
    );
    assert!(hang.duration_ms >= 900.0, "{}", hang.duration_ms);
    // An unknown outcome is checked by re-reading: the hung reset never ran.
    assert!(
        matches!(
            &hang.verification,
            Some(Verification::NotVerified {
                state: Some(BreakerState::Open),
                ..
            })
        ),
        "{:?}",
        hang.verification
    );

    let received = bench.received("trading-api").await;
    assert_eq!(received.len(), 3, "one request per attempt, never retried");
    for ((fault, _), request) in seen.iter().zip(&received) {
        assert_eq!(request["path"], endpoint);
        assert_eq!(request["reason"], format!("trying through {fault}"));
    }
    let rows = bench.audit("trading-api").await;
    let statuses: Vec<Option<i64>> = rows.iter().map(|r| r.http_status).collect();
    assert_eq!(statuses, [Some(401), Some(500), None]);
    assert!(rows.iter().all(|r| r.outcome_at_ms.is_some()));
    assert!(rows[2]
        .message
        .as_deref()
        .is_some_and(|m| m.starts_with("outcome unknown: ")));
    assert!(rows[2]
        .verified_state
        .as_deref()
        .is_some_and(|v| v.starts_with("not verified: open after")));
    bench.fleet.shutdown().await;
}

#[tokio::test]
async fn a_reset_the_service_ignores_is_not_verified() {
    // Against the project's fleet, in each contract whose resets it can ignore.
    for (profile, service, breaker) in [
        (SimProfile::BreakerRegistry, "trading-api", "exchange_api"),
        (SimProfile::SpringActuator, "payments-jvm", "backendA"),
    ] {
        let bench = Bench::start(&[(profile, service)]).await;
        set(
            &bench.fleet,
            service,
            json!({"breakers": {breaker: {"state": "OPEN"}}, "ignore_resets": true}),
        )
        .await;
        let plan = planned(
            &bench.service(service),
            &ask(service, ActionKind::ResetBreaker, Some(breaker), "try it"),
            None,
        );
        let mut outcome = bench.execute(&plan).await;
        assert_eq!(
            outcome.status,
            OutcomeStatus::Done,
            "{service}: {}",
            outcome.message
        );
        bench.verify(&plan, &mut outcome, SHORT).await;
        let verification = outcome.verification.clone().expect("verified");
        match &verification {
            Verification::NotVerified {
                state,
                after_ms,
                message,
            } => {
                assert_eq!(*state, Some(BreakerState::Open), "{service}");
                assert!(*after_ms >= 1000.0, "{after_ms}");
                assert!(message.contains("still open after"), "{message}");
            }
            other => panic!("{service}: expected not verified, got {other:?}"),
        }
        assert!(verification
            .line()
            .starts_with(&format!("not verified: {breaker} is still open")));
        let rows = bench.audit(service).await;
        assert!(
            rows[0]
                .verified_state
                .as_deref()
                .is_some_and(|v| v.starts_with("not verified: open after")),
            "{service}: {rows:?}"
        );
        // The one request reached the service, with the reason.
        let received = bench.received(service).await;
        assert_eq!(received.len(), 1, "{service}: {received:?}");
        assert_eq!(received[0]["reason"], "try it");
        bench.fleet.shutdown().await;
    }
}

#[tokio::test]
async fn refusals_happen_before_any_request() {
    let mut bench = Bench::start(&[
        (SimProfile::BreakerRegistry, "trading-api"),
        (SimProfile::EmergencyControls, "wallet-api"),
    ])
    .await;
    let refusal = actions::plan(
        &bench.service("wallet-api"),
        &ask("wallet-api", ActionKind::ResetBreaker, Some("swap"), "why"),
        None,
    )
    .map(|p| p.description)
    .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::ReadOnly);
    assert!(refusal
        .message
        .contains("read-only: the service has no reset endpoint"));

    for service in &mut bench.config.services {
        service.allow_actions = false;
    }
    let refusal = actions::plan(
        &bench.service("trading-api"),
        &ask(
            "trading-api",
            ActionKind::ResetBreaker,
            Some("exchange_api"),
            "why",
        ),
        None,
    )
    .map(|p| p.description)
    .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::ActionsNotAllowed);
    assert!(refusal.message.contains("allow_actions = false"));

    assert!(bench.received("trading-api").await.is_empty());
    assert!(bench.received("wallet-api").await.is_empty());
    assert!(bench.audit("trading-api").await.is_empty());
    bench.fleet.shutdown().await;
}

mod spring {
    //! `spring-actuator` (docs/contracts.md) from a local server that keeps its breakers'
    //! states and records what it was asked.

    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{delete, get, post};
    use axum::{Json, Router};

    use super::*;

    #[derive(Default)]
    pub struct Actuator {
        pub breakers: Mutex<BTreeMap<String, String>>,
        /// `(method, path, reason)` of every write.
        pub writes: Mutex<Vec<(String, String, Option<String>)>>,
    }

    type Shared = State<Arc<Actuator>>;

    fn reason(headers: &HeaderMap) -> Option<String> {
        headers
            .get("x-switchyard-reason")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    fn note(actuator: &Actuator, method: &str, path: String, headers: &HeaderMap) {
        if let Ok(mut writes) = actuator.writes.lock() {
            writes.push((method.into(), path, reason(headers)));
        }
    }

    async fn health() -> Json<Value> {
        Json(json!({"status": "UP"}))
    }

    async fn breakers(State(actuator): Shared) -> Json<Value> {
        let breakers = actuator
            .breakers
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default();
        let document: serde_json::Map<String, Value> = breakers
            .into_iter()
            .map(|(name, state)| {
                let fields = json!({"failureRate": "-1.0%", "slowCallRate": "-1.0%",
                    "bufferedCalls": 0, "failedCalls": 0, "notPermittedCalls": 0, "state": state});
                (name, fields)
            })
            .collect();
        Json(json!({ "circuitBreakers": document }))
    }

    async fn events() -> Json<Value> {
        Json(json!({"circuitBreakerEvents": []}))
    }

    async fn update(
        State(actuator): Shared,
        Path(name): Path<String>,
        headers: HeaderMap,
        Json(body): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        note(
            &actuator,
            "POST",
            format!("/actuator/circuitbreakers/{name}"),
            &headers,
        );
        let state = match body["updateState"].as_str() {
            Some("CLOSE") => "CLOSED",
            Some("FORCE_OPEN") => "FORCED_OPEN",
            Some("DISABLE") => "DISABLED",
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"message": "bad updateState"})),
                )
            }
        };
        if let Ok(mut breakers) = actuator.breakers.lock() {
            breakers.insert(name.clone(), state.into());
        }
        (
            StatusCode::OK,
            Json(json!({"circuitBreakerName": name, "currentState": state,
                        "message": format!("{name} state has been changed successfully")})),
        )
    }

    async fn evict_all(State(actuator): Shared, headers: HeaderMap) -> StatusCode {
        note(&actuator, "DELETE", "/actuator/caches".into(), &headers);
        StatusCode::NO_CONTENT
    }

    async fn evict(
        State(actuator): Shared,
        Path(name): Path<String>,
        headers: HeaderMap,
    ) -> StatusCode {
        note(
            &actuator,
            "DELETE",
            format!("/actuator/caches/{name}"),
            &headers,
        );
        StatusCode::NO_CONTENT
    }

    /// Serves an actuator with `backendA` open; answers its base URL.
    pub async fn start(actuator: Arc<Actuator>) -> String {
        if let Ok(mut breakers) = actuator.breakers.lock() {
            breakers.insert("backendA".into(), "OPEN".into());
        }
        let app = Router::new()
            .route("/actuator/health", get(health))
            .route("/actuator/circuitbreakers", get(breakers))
            .route("/actuator/circuitbreakers/{name}", post(update))
            .route("/actuator/circuitbreakerevents", get(events))
            .route("/actuator/caches", delete(evict_all))
            .route("/actuator/caches/{name}", delete(evict))
            .with_state(actuator);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{address}")
    }

    #[tokio::test]
    async fn close_force_open_disable_and_cache_eviction() {
        let actuator = Arc::new(Actuator::default());
        let base = start(actuator.clone()).await;
        let mut config = ServiceConfig::new("payments-jvm", &base, Some(Profile::SpringActuator));
        config.allow_actions = true;
        config.poll_interval = Duration::from_secs(1);
        let client = build_client();
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("history.db"))
            .await
            .expect("store");
        let writer = store.start_writer();
        let mut fleet = Config::history_only();
        fleet.services.push(config.clone());
        let engine = EngineHandle::start(&fleet, Arc::new(SystemClock), None);

        for (kind, expect, message) in [
            (ActionKind::ResetBreaker, BreakerState::Closed, "CLOSE"),
            (
                ActionKind::ForceOpenBreaker,
                BreakerState::ForcedOpen,
                "FORCE_OPEN",
            ),
            (
                ActionKind::DisableBreaker,
                BreakerState::Disabled,
                "DISABLE",
            ),
        ] {
            let plan = planned(
                &config,
                &ask(
                    "payments-jvm",
                    kind,
                    Some("backendA"),
                    &format!("testing {message}"),
                ),
                None,
            );
            let mut outcome =
                actions::execute(&plan, &client, &SystemClock, Some(&writer), "oncall-test").await;
            assert_eq!(outcome.status, OutcomeStatus::Done, "{}", outcome.message);
            assert!(
                outcome.message.contains("changed successfully"),
                "{}",
                outcome.message
            );
            actions::verify(&plan, &mut outcome, &engine, Some(&writer), QUICK).await;
            assert!(
                matches!(outcome.verification, Some(Verification::Verified { state, .. }) if state == expect),
                "{kind:?}: {:?}",
                outcome.verification
            );
        }
        for target in [None, Some("users")] {
            let plan = planned(
                &config,
                &ask(
                    "payments-jvm",
                    ActionKind::ClearCache,
                    target,
                    "stale users",
                ),
                None,
            );
            let outcome =
                actions::execute(&plan, &client, &SystemClock, Some(&writer), "oncall-test").await;
            assert_eq!(outcome.status, OutcomeStatus::Done, "{}", outcome.message);
            assert_eq!(outcome.http_status, Some(204));
        }

        let writes = actuator
            .writes
            .lock()
            .map(|w| w.clone())
            .unwrap_or_default();
        let paths: Vec<(&str, &str)> = writes
            .iter()
            .map(|(m, p, _)| (m.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                ("POST", "/actuator/circuitbreakers/backendA"),
                ("POST", "/actuator/circuitbreakers/backendA"),
                ("POST", "/actuator/circuitbreakers/backendA"),
                ("DELETE", "/actuator/caches"),
                ("DELETE", "/actuator/caches/users"),
            ]
        );
        assert_eq!(writes[0].2.as_deref(), Some("testing CLOSE"));
        writer.flush().await.expect("flush");
        let rows = store
            .actions_between(Some("payments-jvm"), TimeRange::all())
            .await
            .expect("audit");
        let verified: Vec<Option<&str>> =
            rows.iter().map(|r| r.verified_state.as_deref()).collect();
        assert_eq!(
            verified,
            [
                Some("closed"),
                Some("forced_open"),
                Some("disabled"),
                None,
                None
            ]
        );
        writer.finish().await;
        store.close().await;
    }
}

mod canary {
    //! A write endpoint's token, used for real, must not reach the audit rows, the
    //! database files or the logs. The actions run in a child process of this test
    //! binary with its own global tracing subscriber at TRACE, writing to stderr: a
    //! binary has one global subscriber, and a scoped one misses events whose callsites
    //! other tests' threads registered first. The parent reads everything the child
    //! wrote and every file of its database folder.

    use std::process::Command;

    use switchyard_core::secrets::{HeaderSource, SecretRef};

    use super::*;

    /// Set in the child: the folder for its database.
    const CHILD_DIR: &str = "SWITCHYARD_CANARY_DIR";
    /// Set in the child: the environment variable holding the token.
    const CHILD_VARIABLE: &str = "SWITCHYARD_CANARY_VARIABLE";

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn the_write_token_never_reaches_the_database_or_the_logs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let token = format!("canary-{}-{nanos:09}", std::process::id());
        let variable = "SWITCHYARD_CANARY_TOKEN";
        let output = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "actions::canary::child_process_runs_actions_with_the_token",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_VARIABLE, variable)
            .env(variable, &token)
            .env("NO_COLOR", "1")
            .output()
            .expect("the child runs");
        let logs = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
        assert!(
            output.status.success(),
            "the child failed: {}",
            String::from_utf8_lossy(&logs)
        );
        assert!(
            contains(&logs, b"1 passed"),
            "the child ran the actions: {}",
            String::from_utf8_lossy(&logs)
        );
        assert!(
            contains(&logs, b"action finished"),
            "the child's logs were captured"
        );
        assert!(
            !contains(&logs, token.as_bytes()),
            "the token is in the logs"
        );
        let mut files = 0;
        for path in files_under(dir.path()) {
            let bytes = std::fs::read(&path).expect("read");
            files += 1;
            assert!(
                !contains(&bytes, token.as_bytes()),
                "the token is in {}",
                path.display()
            );
        }
        assert!(files >= 1, "the child wrote its database");
    }

    /// The child's half: does nothing unless started by the test above.
    #[tokio::test]
    async fn child_process_runs_actions_with_the_token() {
        let (Some(dir), Some(variable)) = (
            std::env::var_os(CHILD_DIR),
            std::env::var(CHILD_VARIABLE).ok(),
        ) else {
            return;
        };
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(std::io::stderr)
            .try_init()
            .expect("the child's only subscriber");
        let token = std::env::var(&variable).expect("the token is set");

        let db = std::path::Path::new(&dir).join("history.db");
        let mut bench =
            Bench::start_with_db(&[(SimProfile::BreakerRegistry, "trading-api")], &db).await;
        for service in &mut bench.config.services {
            service.headers.push((
                "Authorization".into(),
                HeaderSource::Secret(SecretRef::Env(variable.clone())),
            ));
        }
        set(
            &bench.fleet,
            "trading-api",
            json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
        )
        .await;
        let config = bench.service("trading-api");
        for (fault, reason, status) in [
            ("none", "with the token", OutcomeStatus::Done),
            ("unauthorized", "token refused", OutcomeStatus::Failed),
        ] {
            set(
                &bench.fleet,
                "trading-api",
                json!({"fault": fault, "endpoint": "/api/circuit-breakers/exchange_api/reset"}),
            )
            .await;
            let plan = planned(
                &config,
                &ask(
                    "trading-api",
                    ActionKind::ResetBreaker,
                    Some("exchange_api"),
                    reason,
                ),
                None,
            );
            let serialised = serde_json::to_string(&plan).expect("plan serialises");
            assert!(!serialised.contains(&token), "the plan carries the token");
            let mut outcome = bench.execute(&plan).await;
            // Sent (with the token), not refused for a missing secret.
            assert_eq!(outcome.status, status, "{}", outcome.message);
            bench.verify(&plan, &mut outcome, SHORT).await;
            let serialised = serde_json::to_string(&outcome).expect("outcome serialises");
            assert!(
                !serialised.contains(&token),
                "the outcome carries the token"
            );
            assert!(!format!("{plan:?}{outcome:?}").contains(&token));
            // Print what the UI would receive, so the parent searches it too.
            println!("{serialised}");
        }
        let rows = bench.audit("trading-api").await;
        assert_eq!(rows.len(), 2);
        assert!(
            !format!("{rows:?}").contains(&token),
            "an audit row has the token"
        );
        assert_eq!(bench.received("trading-api").await.len(), 2);
        let Bench {
            fleet,
            store,
            writer,
            ..
        } = bench;
        writer.finish().await;
        store.close().await;
        fleet.shutdown().await;
    }

    /// Every file under `dir`, in subfolders too (the database, its WAL, anything moved aside).
    fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
        files
    }
}

/// The window's audit log is pushed, not polled: the console tells its subscribers when
/// an action's row is written and again when its verification is recorded, and a read
/// of the history at that moment shows what the notice announced.
#[tokio::test]
async fn the_console_announces_each_audit_row_once_it_is_in_the_history() {
    use switchyard_core::console::{Console, ConsoleOptions, Watch};

    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(
            SimProfile::BreakerRegistry,
            "trading-api",
        )],
    })
    .await
    .expect("fleet starts");
    set(
        &fleet,
        "trading-api",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::parse(&fleet.config_toml("2s", "1s")).expect("config parses");
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
    let mut log = console.action_log();
    console
        .first_read("trading-api", Duration::from_secs(10))
        .await
        .expect("the service is read");
    let request = ask(
        "trading-api",
        ActionKind::ResetBreaker,
        Some("exchange_api"),
        "exchange back (INC-4712)",
    );
    let store = console.store().expect("history open");
    let rows = || store.actions_between(Some("trading-api"), TimeRange::all());
    // The log is read while the action runs, as the window does.
    let watch_log = async {
        let written = tokio::time::timeout(Duration::from_secs(5), log.recv())
            .await
            .expect("a notice for the row")
            .expect("the log is open");
        let at_written = rows().await.expect("audit query");
        let verified = tokio::time::timeout(Duration::from_secs(10), log.recv())
            .await
            .expect("a notice for the verification")
            .expect("the log is open");
        let at_verified = rows().await.expect("audit query");
        (written, at_written, verified, at_verified)
    };
    let (outcome, (written, at_written, verified, at_verified)) =
        tokio::join!(console.run_action(&request, QUICK), watch_log);
    let outcome = outcome.expect("the reset is sent");

    assert_eq!(written.service, "trading-api");
    assert_eq!(Some(written.audit_id), outcome.audit_id);
    assert_eq!(at_written.len(), 1);
    assert_eq!(at_written[0].http_status, Some(200));
    assert_eq!(verified.audit_id, written.audit_id);
    assert_eq!(at_verified[0].verified_state.as_deref(), Some("closed"));

    console.shutdown().await;
    fleet.shutdown().await;
}

/// The console's exactly-once guard, exercised from outside the window (whose dialog
/// stops a second click before it reaches Rust): two requests for the same reset while
/// the service is slow to answer the first. One request reaches the service; the other
/// is refused as in flight, before anything is sent or audited.
#[tokio::test]
async fn a_second_request_for_the_same_action_in_flight_is_refused() {
    use switchyard_core::actions::RefusalCode;
    use switchyard_core::console::{Console, ConsoleOptions, Watch};

    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(
            SimProfile::BreakerRegistry,
            "trading-api",
        )],
    })
    .await
    .expect("fleet starts");
    set(
        &fleet,
        "trading-api",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    let reset_path = "/api/circuit-breakers/exchange_api/reset";
    set(
        &fleet,
        "trading-api",
        json!({"fault": "slow", "delay_ms": 1500, "endpoint": reset_path}),
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::parse(&fleet.config_toml("2s", "3s")).expect("config parses");
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
    console
        .first_read("trading-api", Duration::from_secs(10))
        .await
        .expect("the service is read");
    let request = ask(
        "trading-api",
        ActionKind::ResetBreaker,
        Some("exchange_api"),
        "exchange back (INC-4713)",
    );
    let (first, second) = tokio::join!(
        console.run_action(&request, QUICK),
        console.run_action(&request, QUICK)
    );
    let (sent, refused) = match (first, second) {
        (Ok(sent), Err(refused)) | (Err(refused), Ok(sent)) => (sent, refused),
        (first, second) => panic!("one must be sent and one refused: {first:?} / {second:?}"),
    };
    assert_eq!(refused.code, RefusalCode::InFlight, "{refused:?}");
    assert_eq!(sent.http_status, Some(200), "{sent:?}");

    let state: Value = reqwest::get(format!("{}/_fleet/state", base_url(&fleet, "trading-api")))
        .await
        .expect("state answers")
        .json()
        .await
        .expect("json");
    let resets = state["actions"]
        .as_array()
        .map_or(0, |actions| actions.len());
    assert_eq!(
        resets, 1,
        "one request at the service: {}",
        state["actions"]
    );
    let store = console.store().expect("history open");
    let rows = store
        .actions_between(Some("trading-api"), TimeRange::all())
        .await
        .expect("audit query");
    assert_eq!(rows.len(), 1, "one audit row: {rows:?}");

    console.shutdown().await;
    fleet.shutdown().await;
}
