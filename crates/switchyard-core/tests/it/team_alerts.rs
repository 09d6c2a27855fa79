//! The team's Alertmanager, for real: alerts posted to a real Alertmanager (Debian's
//! package, on loopback) appear in the console; an acknowledgement from one console is
//! an `ACK!` silence by its operator that a second console reads as acknowledged;
//! expiring it brings the alert back; renewal moves its end; a refused silence records
//! nothing; an Alertmanager that is down is named; and a real Prometheus rule on
//! `resilience4j_circuitbreaker_state` reaches Alertmanager and the console.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use switchyard_core::alertmanager::{AlertmanagerError, TeamAlerts, TeamStatus};
use switchyard_core::clock::{Clock, ManualClock, SystemClock};
use switchyard_core::config::Config;
use switchyard_core::console::{Console, ConsoleOptions, TeamRequestError, Watch};
use switchyard_core::store::{ActionRecord, TimeRange};
use switchyard_fleet::engines_on_loopback::{LoopbackEngine, ScrapeJob, ScrapeSetup};
use switchyard_fleet::StaticTargets;

use crate::support::closed_port;

/// Prometheus takes its first scrape about 5 s after start; a loaded machine gets more.
const PATIENCE: Duration = Duration::from_secs(40);

fn config(am_url: &str, operator: &str, extra: &str) -> Config {
    Config::parse(&format!(
        r#"
operator = "{operator}"

[[service]]
name = "orders"
base_url = "http://127.0.0.1:{port}"
profile = "health-contract"
poll_interval = "60s"

[alertmanager]
url = "{am_url}"
refresh = "1s"
{extra}
"#,
        port = closed_port()
    ))
    .expect("the test config parses")
}

async fn console(
    config: Config,
    dir: &tempfile::TempDir,
    watch: Watch,
    clock: Arc<dyn Clock>,
) -> Console {
    Console::start(
        config,
        ConsoleOptions {
            database: Some(dir.path().join("history.db")),
            clock,
            watch,
            maintenance: false,
        },
    )
    .await
}

/// Posts one firing alert to Alertmanager's API, as Prometheus would.
async fn post_alert(am: &LoopbackEngine, labels: Value, annotations: Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", am.url()))
        .json(&json!([{
            "labels": labels,
            "annotations": annotations,
            "startsAt": Utc::now().to_rfc3339(),
            "generatorURL": "http://prometheus.example/graph",
        }]))
        .send()
        .await
        .expect("alert posted");
    assert_eq!(answer.status(), 200, "{}", am.log());
}

async fn silences_in(am: &LoopbackEngine) -> Vec<Value> {
    reqwest::get(format!("{}/api/v2/silences", am.url()))
        .await
        .expect("silences answered")
        .json()
        .await
        .expect("json")
}

/// Waits on the console's subscription until `predicate` holds of the team's alerts.
async fn wait_for_team(
    console: &Console,
    what: &str,
    predicate: impl Fn(&TeamAlerts) -> bool,
) -> TeamAlerts {
    let mut view = console.team_alerts();
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            let current = view.borrow_and_update().clone();
            if predicate(&current) {
                return current;
            }
            view.changed().await.expect("console running");
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("the team's alerts never showed {what}: {:?}", view.borrow()))
}

async fn audit_rows(console: &Console) -> Vec<ActionRecord> {
    console
        .store()
        .expect("history open")
        .actions_between(None, TimeRange::all())
        .await
        .expect("audit log read")
}

fn breaker_alert() -> (Value, Value) {
    (
        json!({"alertname": "BreakerOpen", "job": "payments", "name": "ledger",
               "instance": "10.0.0.5:8080", "pod": "payments-7d9f", "severity": "critical"}),
        json!({"summary": "ledger breaker open", "description": "calls to the ledger fail fast",
               "runbook_url": "https://runbooks.example/breaker-open"}),
    )
}

#[tokio::test]
async fn an_acknowledgement_is_an_ack_silence_seen_by_a_second_console_and_expiring_it_brings_the_alert_back(
) {
    let am = LoopbackEngine::alertmanager()
        .await
        .expect("alertmanager starts");
    let (labels, annotations) = breaker_alert();
    post_alert(&am, labels, annotations).await;

    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ana = console(
        config(am.url(), "ana", ""),
        &dir_a,
        Watch::All,
        Arc::new(SystemClock),
    )
    .await;
    let bo = console(
        config(am.url(), "bo", ""),
        &dir_b,
        Watch::Nothing,
        Arc::new(SystemClock),
    )
    .await;

    // The refresh task publishes it, with what the panel shows.
    let view = wait_for_team(&ana, "the posted alert", |v| !v.alerts.is_empty()).await;
    assert_eq!(view.status, TeamStatus::Ok);
    let alert = &view.alerts[0];
    assert_eq!(alert.name, "BreakerOpen");
    assert_eq!(alert.summary.as_deref(), Some("ledger breaker open"));
    assert_eq!(
        alert.runbook_url.as_deref(),
        Some("https://runbooks.example/breaker-open")
    );
    assert_eq!(alert.labels["name"], "ledger");
    assert!(alert.unhandled(), "{alert:?}");
    let id = alert.id.clone();

    let done = ana
        .acknowledge_team_alert(&id, "looking at the ledger", None)
        .await
        .expect("acknowledged");

    // In Alertmanager: an ACK! silence by the operator, on the stable labels only.
    let silences = silences_in(&am).await;
    let silence = silences
        .iter()
        .find(|s| s["id"] == done.silence_id.as_str())
        .expect("the silence is in Alertmanager");
    assert_eq!(silence["comment"], "ACK! looking at the ledger");
    assert_eq!(silence["createdBy"], "ana");
    assert_eq!(silence["status"]["state"], "active");
    let mut names: Vec<&str> = silence["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["alertname", "job", "name"],
        "never pod or instance: {silence}"
    );

    // The audit row names the silence.
    let rows = audit_rows(&ana).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "alertmanager_ack");
    assert_eq!(rows[0].operator, "ana");
    assert_eq!(rows[0].service, "payments");
    assert!(
        rows[0]
            .message
            .as_deref()
            .unwrap()
            .contains(&done.silence_id),
        "{rows:?}"
    );

    // A second console on the same Alertmanager reads it as acknowledged by ana.
    let seen = bo.refresh_team_alerts().await;
    let alert = seen.alert(&id).expect("still held by Alertmanager");
    assert_eq!(alert.acknowledged_by.as_deref(), Some("ana"));
    assert_eq!(
        alert.silenced_by, None,
        "an acknowledgement is not a plain silence"
    );
    assert_eq!(alert.state, "suppressed");

    // bo takes it back: the silence expires and the alert calls for someone again.
    let expired = bo
        .unacknowledge_team_alert(&id)
        .await
        .expect("unacknowledged");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].silence_id, done.silence_id);
    let back = wait_for_team(&ana, "the alert unacknowledged", |v| {
        v.alert(&id).is_some_and(|a| a.unhandled())
    })
    .await;
    assert!(back.silences.is_empty(), "{:?}", back.silences);
    let silences = silences_in(&am).await;
    let silence = silences
        .iter()
        .find(|s| s["id"] == done.silence_id.as_str())
        .unwrap();
    assert_eq!(silence["status"]["state"], "expired");
    assert_eq!(audit_rows(&bo).await[0].action, "alertmanager_expire");

    // A plain silence with a reason reads as silenced, not acknowledged.
    let quiet = ana
        .silence_team_alert(
            &id,
            "ledger maintenance until 14:00",
            Duration::from_secs(1800),
        )
        .await
        .expect("silenced");
    let view = bo.refresh_team_alerts().await;
    let alert = view.alert(&id).unwrap();
    assert_eq!(alert.silenced_by.as_deref(), Some("ana"));
    assert_eq!(alert.acknowledged_by, None);
    ana.expire_team_silence(&quiet.silence_id)
        .await
        .expect("expired");
    let actions: Vec<String> = audit_rows(&ana)
        .await
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(
        actions,
        [
            "alertmanager_ack",
            "alertmanager_silence",
            "alertmanager_expire"
        ]
    );

    ana.shutdown().await;
    bo.shutdown().await;
}

#[tokio::test]
async fn an_acknowledgement_is_renewed_before_it_ends_while_the_alert_fires() {
    let am = LoopbackEngine::alertmanager()
        .await
        .expect("alertmanager starts");
    let (labels, annotations) = breaker_alert();
    post_alert(&am, labels, annotations).await;
    let dir = tempfile::tempdir().unwrap();
    // The console's clock decides when a renewal is due; Alertmanager keeps real time.
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let ana = console(
        config(am.url(), "ana", "ack_for = \"1m\""),
        &dir,
        Watch::Nothing,
        clock.clone(),
    )
    .await;
    let view = ana.refresh_team_alerts().await;
    let id = view.alerts[0].id.clone();
    let done = ana
        .acknowledge_team_alert(&id, "on it", None)
        .await
        .expect("acknowledged");

    // Not due yet: a minute's acknowledgement is renewed in its last 15 s.
    assert_eq!(ana.renew_team_acknowledgements().await, 0);
    clock.advance(Duration::from_secs(50));
    assert_eq!(ana.renew_team_acknowledgements().await, 1);

    let view = ana.refresh_team_alerts().await;
    let alert = view.alert(&id).unwrap();
    assert_eq!(alert.acknowledged_by.as_deref(), Some("ana"));
    let ack = alert.silences.iter().find(|s| s.acknowledgement).unwrap();
    let moved = ack.ends_at - done.ends_at;
    assert!(
        moved >= chrono::Duration::seconds(49) && moved <= chrono::Duration::seconds(51),
        "the end moved by {moved}"
    );
    assert_eq!(ack.comment, "ACK! on it");
    // Updated in place: the same silence, still the only active one.
    assert_eq!(ack.id, done.silence_id, "renewed with its id");
    let active = silences_in(&am)
        .await
        .into_iter()
        .filter(|s| s["status"]["state"] == "active")
        .count();
    assert_eq!(active, 1);
    ana.shutdown().await;
}

#[tokio::test]
async fn a_refused_silence_returns_alertmanagers_reason_and_records_nothing() {
    let am = LoopbackEngine::alertmanager()
        .await
        .expect("alertmanager starts");
    let (labels, annotations) = breaker_alert();
    post_alert(&am, labels, annotations).await;
    let dir = tempfile::tempdir().unwrap();
    // A clock two days behind: the silence would end in the past, which Alertmanager refuses.
    let clock = Arc::new(ManualClock::new(Utc::now() - chrono::Duration::days(2)));
    let ana = console(config(am.url(), "ana", ""), &dir, Watch::Nothing, clock).await;
    let id = ana.refresh_team_alerts().await.alerts[0].id.clone();

    let refused = ana
        .acknowledge_team_alert(&id, "on it", None)
        .await
        .expect_err("Alertmanager refuses a silence that ended");
    match &refused {
        TeamRequestError::Alertmanager(AlertmanagerError::Refused { status, reason }) => {
            assert_eq!(*status, 400, "{refused}");
            assert!(reason.contains("past"), "Alertmanager's reason: {reason}");
        }
        other => panic!("not a refusal: {other:?}"),
    }
    assert!(silences_in(&am).await.is_empty());
    assert!(audit_rows(&ana).await.is_empty());
    let view = ana.refresh_team_alerts().await;
    assert_eq!(view.alert(&id).unwrap().acknowledged_by, None);

    // An alert Alertmanager does not hold is refused before anything is sent.
    assert!(matches!(
        ana.acknowledge_team_alert("0000000000000000", "x", None)
            .await,
        Err(TeamRequestError::UnknownAlert(_))
    ));
    ana.shutdown().await;
}

#[tokio::test]
async fn an_alertmanager_that_is_down_is_named_and_nothing_is_recorded() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let dir = tempfile::tempdir().unwrap();
    let ana = console(
        config(&url, "ana", ""),
        &dir,
        Watch::All,
        Arc::new(SystemClock),
    )
    .await;
    let view = wait_for_team(&ana, "a failing status", |v| {
        matches!(v.status, TeamStatus::Failing { .. })
    })
    .await;
    let TeamStatus::Failing { message } = &view.status else {
        unreachable!()
    };
    assert!(
        message.contains("cannot be reached") && message.contains("127.0.0.1"),
        "{message}"
    );
    let error = ana
        .acknowledge_team_alert("abc", "x", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, TeamRequestError::Alertmanager(e) if e.is_unreachable()),
        "{error:?}"
    );
    assert!(audit_rows(&ana).await.is_empty());
    ana.shutdown().await;
}

#[tokio::test]
async fn a_prometheus_rule_on_the_breaker_state_reaches_alertmanager_and_the_console() {
    let targets = StaticTargets::start(
        1,
        b"# TYPE resilience4j_circuitbreaker_state gauge\nresilience4j_circuitbreaker_state{name=\"x\",state=\"open\"} 1\nresilience4j_circuitbreaker_state{name=\"x\",state=\"closed\"} 0\n".to_vec(),
    )
    .await
    .expect("targets start");
    let am = LoopbackEngine::alertmanager()
        .await
        .expect("alertmanager starts");
    let rules = "groups:\n  - name: breakers\n    rules:\n      - alert: CircuitBreakerOpen\n        expr: resilience4j_circuitbreaker_state{state=\"open\"} == 1\n        for: 0s\n        labels:\n          severity: high\n        annotations:\n          summary: 'breaker {{ $labels.name }} open on {{ $labels.job }}'\n          runbook_url: https://runbooks.example/breaker\n";
    let prometheus = LoopbackEngine::prometheus(&ScrapeSetup {
        interval: Duration::from_millis(500),
        jobs: vec![ScrapeJob {
            job: "checkout".into(),
            targets: targets.addresses.iter().map(|a| a.to_string()).collect(),
            metrics_path: "/metrics".into(),
        }],
        rules: Some(rules.into()),
        alertmanager: Some(am.url().to_string()),
    })
    .await
    .expect("prometheus starts");

    let dir = tempfile::tempdir().unwrap();
    let ana = console(
        config(am.url(), "ana", ""),
        &dir,
        Watch::All,
        Arc::new(SystemClock),
    )
    .await;
    let view = tokio::time::timeout(
        PATIENCE,
        wait_for_team(&ana, "the rule's alert", |v| {
            v.alerts.iter().any(|a| a.name == "CircuitBreakerOpen")
        }),
    )
    .await
    .unwrap_or_else(|_| panic!("no alert; prometheus log: {}", prometheus.log()));
    let alert = view
        .alerts
        .iter()
        .find(|a| a.name == "CircuitBreakerOpen")
        .unwrap();
    assert_eq!(alert.labels["job"], "checkout");
    assert_eq!(alert.labels["name"], "x");
    assert_eq!(alert.summary.as_deref(), Some("breaker x open on checkout"));
    assert_eq!(alert.severity, switchyard_core::alerts::Severity::High);
    assert!(alert.generator_url.is_some());
    // Acknowledged on alertname, job and name: not on the instance Prometheus added.
    let done = ana
        .acknowledge_team_alert(&alert.id, "breaker x", None)
        .await
        .unwrap();
    let silence = silences_in(&am)
        .await
        .into_iter()
        .find(|s| s["id"] == done.silence_id.as_str())
        .unwrap();
    assert!(
        !silence["matchers"].to_string().contains("instance"),
        "{silence}"
    );
    ana.shutdown().await;
}

/// The client's refusals: a real Alertmanager's validation error (no matchers), and a
/// gateway in front of it answering 401, 415, 503, an oversized list and silence.
#[tokio::test]
async fn refusals_are_typed_and_carry_the_reason() {
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::Router;
    use switchyard_core::alertmanager::{AlertmanagerClient, PostableSilence};
    use switchyard_core::config::AlertmanagerConfig;

    let am = LoopbackEngine::alertmanager()
        .await
        .expect("alertmanager starts");
    let client =
        AlertmanagerClient::new(&AlertmanagerConfig::new(am.url()), reqwest::Client::new());
    let now = Utc::now();
    let empty = PostableSilence {
        id: None,
        matchers: Vec::new(),
        starts_at: now,
        ends_at: now + chrono::Duration::hours(1),
        created_by: "ana".into(),
        comment: "x".into(),
    };
    match client.post_silence(&empty).await {
        Err(AlertmanagerError::Refused { status, reason }) => {
            assert!(status == 400 || status == 422, "{status}: {reason}");
            assert!(reason.contains("matchers"), "{reason}");
        }
        other => panic!("not refused: {other:?}"),
    }

    // A gateway in front of Alertmanager, as teams run it.
    let asked = Arc::new(tokio::sync::Notify::new());
    let slow_asked = asked.clone();
    let app = Router::new()
        .route(
            "/401/api/v2/silences",
            post(|| async { (StatusCode::UNAUTHORIZED, "missing bearer token") }),
        )
        .route(
            "/415/api/v2/silences",
            post(|| async {
                (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    r#"{"code":415,"message":"unsupported media type \"text/plain\", only [application/json] are allowed"}"#,
                )
            }),
        )
        .route(
            "/503/api/v2/alerts",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "") }),
        )
        .route(
            "/big/api/v2/alerts",
            get(|| async { "[".to_string() + &"{},".repeat(200_000) + "{}]" }),
        )
        .route(
            "/slow/api/v2/alerts",
            get(move || async move {
                asked.notify_one();
                tokio::time::sleep(Duration::from_secs(30)).await;
                "[]"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let at = |path: &str| {
        let mut config = AlertmanagerConfig::new(&format!("{base}/{path}"));
        config.max_body_bytes = 64 << 10;
        config.timeout = Duration::from_millis(300);
        AlertmanagerClient::new(&config, reqwest::Client::new())
    };
    let mut one = empty.clone();
    one.matchers = vec![switchyard_core::alertmanager::Matcher::equal(
        "alertname",
        "X",
    )];
    assert_eq!(
        at("401").post_silence(&one).await,
        Err(AlertmanagerError::Refused {
            status: 401,
            reason: "missing bearer token".into()
        })
    );
    assert_eq!(
        at("415").post_silence(&one).await,
        Err(AlertmanagerError::Refused {
            status: 415,
            reason: "unsupported media type \"text/plain\", only [application/json] are allowed"
                .into()
        })
    );
    assert_eq!(
        at("503").alerts().await,
        Err(AlertmanagerError::Refused {
            status: 503,
            reason: "service unavailable".into()
        })
    );
    assert!(matches!(
        at("big").alerts().await,
        Err(AlertmanagerError::TooLarge { .. })
    ));
    let slow = at("slow").alerts().await.unwrap_err();
    assert!(
        slow.is_unreachable() && slow.to_string().contains("no answer within 300ms"),
        "{slow}"
    );

    // A console's shutdown does not wait for a slow Alertmanager's answer.
    slow_asked.notified().await; // the permit the request above left
    let dir = tempfile::tempdir().unwrap();
    let console = console(
        config(&format!("{base}/slow"), "ana", "timeout = \"20s\""),
        &dir,
        Watch::All,
        Arc::new(SystemClock),
    )
    .await;
    slow_asked.notified().await;
    let started = std::time::Instant::now();
    console.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown waited {:?} for the refresh",
        started.elapsed()
    );
}
