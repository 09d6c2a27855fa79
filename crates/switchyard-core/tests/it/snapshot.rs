//! Incident snapshots against a real SQLite file written through the store's writer at
//! known times around the window's edges: the JSON validates against its schema and
//! round-trips, the timeline holds exactly the window's events, a canary secret
//! appears nowhere, and headless Chromium (network off) draws the HTML's charts.

use std::collections::BTreeSet;
use std::io::Read;

use chrono::{DateTime, Duration, Utc};
use switchyard_core::config::Config;
use switchyard_core::model::{
    BreakerState, Dependency, Health, HealthStatus, Transition, TransitionSource,
};
use switchyard_core::secrets::HeaderSource;
use switchyard_core::snapshot::{
    self, EventKind, Redactor, Snapshot, SnapshotRequest, JSON_SCHEMA, REDACTED,
};
use switchyard_core::store::{
    ActionIntent, ActionOutcome, AlertAcknowledgement, AlertEvent, AlertState, SilenceRemoved,
    SilenceSet, StreamStateChange,
};

use crate::store_support::{at, observation, TestDb};

/// A secret that must never leave the console.
const CANARY: &str = "canary-5e1f0c2a9b77";
/// The password in a base URL, and the configured resolved secret.
const URL_PASSWORD: &str = "urlpass-81c4d";
const RESOLVED: &str = "resolved-secret-3f9a";
/// Credentials a service echoed in an error, known to no configuration: only the
/// authorization schemes can find them, in any case (RFC 9110: schemes are
/// case-insensitive).
const ECHOED: [(&str, &str); 4] = [
    ("Basic", "YWRtaW46YmFzaWMtY2FuYXJ5"),
    ("bearer", "lower-bearer-77aa"),
    ("BASIC", "upper-basic-1b2c"),
    ("BeArEr", "mixed-bearer-9c1d"),
];

const WINDOW_MS: i64 = 600_000;

fn since() -> DateTime<Utc> {
    at(0)
}
fn until() -> DateTime<Utc> {
    at(WINDOW_MS)
}

fn config() -> Config {
    let mut config = Config::parse(
        r#"
[[service]]
name = "orders"
base_url = "http://127.0.0.1:9/?tenant=acme"
profile = "health-contract"
tags = ["prod"]
headers = { "X-Internal-Key" = "env:SWITCHYARD_SNAPSHOT_TEST_KEY" }

[[service]]
name = "payments"
base_url = "http://127.0.0.1:10"
profile = "health-contract"
"#,
    )
    .expect("the test config parses");
    // As the other tests hand secrets over: a literal where the file has a reference.
    for service in &mut config.services {
        if service.name == "orders" {
            // The file refuses credentials in a URL; a config built by hand may have them.
            service.base_url = format!("http://admin:{URL_PASSWORD}@127.0.0.1:9/?tenant=acme");
            service.headers.push((
                "Authorization".to_string(),
                HeaderSource::Literal(CANARY.to_string()),
            ));
        }
    }
    config
}

fn transition(breaker: &str, from: BreakerState, to: BreakerState, ms: i64) -> Transition {
    Transition {
        breaker: breaker.to_string(),
        from: Some(from),
        to,
        at: at(ms),
        source: TransitionSource::Poll,
        reason: Some(format!("failures with Bearer {CANARY}")),
    }
}

fn alert(rule: &str, service: &str, state: AlertState, ms: i64) -> AlertEvent {
    AlertEvent {
        rule: rule.to_string(),
        service: service.to_string(),
        severity: "critical".to_string(),
        state,
        value: Some(0.4),
        at: at(ms),
        subject: Some("cache.hit_rate".to_string()),
        detail: Some(format!("seen via http://admin:{URL_PASSWORD}@127.0.0.1:9/")),
        silenced_until: None,
    }
}

/// The store of a small incident; returns the texts of the events inside the window,
/// in order, as (ms, kind).
async fn incident(db: &TestDb) -> Vec<(i64, EventKind)> {
    let writer = db.store.start_writer();
    let handle = writer.handle();
    // Observations every 10 s from a minute before to a minute after the window.
    for i in -6..=66i64 {
        let ms = i * 10_000;
        for service in ["orders", "payments"] {
            let depth = (i.rem_euclid(20)) as f64 * 5.0;
            handle.record(observation(
                service,
                at(ms),
                &[
                    ("queue.depth", depth),
                    ("queue.capacity", 100.0),
                    ("cache.hit_rate", 0.9 - (i.rem_euclid(7)) as f64 * 0.05),
                ],
            ));
        }
    }
    let mut inside = Vec::new();
    // Just outside, both edges: none of these may show.
    handle.record_transitions(
        "orders",
        "health-contract",
        vec![transition(
            "db",
            BreakerState::Closed,
            BreakerState::HalfOpen,
            -1,
        )],
    );
    handle.record_alert(alert("outside-before", "orders", AlertState::Firing, -1));
    handle.record_stream_state(StreamStateChange {
        service: "orders".into(),
        stream: "/ws/events".into(),
        at: at(WINDOW_MS + 1),
        state: "stale".into(),
        detail: None,
    });
    handle.record_transitions(
        "payments",
        "health-contract",
        vec![transition(
            "psp",
            BreakerState::Closed,
            BreakerState::Open,
            WINDOW_MS + 1,
        )],
    );

    // Inside, the edges included.
    handle.record_stream_state(StreamStateChange {
        service: "orders".into(),
        stream: "/ws/events".into(),
        at: at(0),
        state: "connected".into(),
        detail: Some(format!("token={CANARY}")),
    });
    inside.push((0, EventKind::Stream));
    handle.record_transitions(
        "orders",
        "health-contract",
        vec![transition(
            "db",
            BreakerState::HalfOpen,
            BreakerState::Open,
            60_000,
        )],
    );
    inside.push((60_000, EventKind::Transition));
    handle.record_alert(alert("cache-cold", "orders", AlertState::Firing, 120_000));
    inside.push((120_000, EventKind::Alert));
    handle.acknowledge_alert(AlertAcknowledgement {
        rule: "cache-cold".into(),
        service: "orders".into(),
        subject: Some("cache.hit_rate".into()),
        by: "alice".into(),
        at: at(180_000),
        comment: Some(format!("looking; key {CANARY}")),
    });
    inside.push((180_000, EventKind::Acknowledgement));
    handle.record_silence(SilenceSet {
        id: 1,
        rule: Some("cache-cold".into()),
        service: Some("orders".into()),
        until: at(900_000),
        reason: "known".into(),
        by: "alice".into(),
        at: at(200_000),
    });
    inside.push((200_000, EventKind::Silence));
    let action = handle
        .action_started(ActionIntent {
            at: at(250_000),
            operator: "alice".into(),
            service: "orders".into(),
            target: Some("db".into()),
            action: "reset_breaker".into(),
            reason: Some(format!("rotated {CANARY}")),
            override_checks: false,
            instance: None,
        })
        .await
        .expect("the writer runs");
    handle.action_finished(
        action,
        ActionOutcome {
            at: at(251_000),
            http_status: Some(200),
            message: Some("reset".into()),
            duration_ms: 40.0,
            verified_state: Some("closed".into()),
        },
    );
    inside.push((250_000, EventKind::Action));
    handle.record_transitions(
        "orders",
        "health-contract",
        vec![transition(
            "db",
            BreakerState::Open,
            BreakerState::Closed,
            252_000,
        )],
    );
    inside.push((252_000, EventKind::Transition));
    handle.record_silence_removed(SilenceRemoved {
        id: 1,
        by: "bob".into(),
        at: at(300_000),
    });
    inside.push((300_000, EventKind::SilenceRemoved));
    handle.record_alert(alert("cache-cold", "orders", AlertState::Resolved, 400_000));
    inside.push((400_000, EventKind::Alert));
    handle.record_transitions(
        "payments",
        "health-contract",
        vec![transition(
            "psp",
            BreakerState::Closed,
            BreakerState::HalfOpen,
            WINDOW_MS,
        )],
    );
    inside.push((WINDOW_MS, EventKind::Transition));
    writer.finish().await;
    inside
}

async fn gathered(db: &TestDb, config: &Config) -> Snapshot {
    let mut redactor = Redactor::from_config(Some(config));
    redactor.add_secret(RESOLVED);
    snapshot::gather_with(
        &db.store,
        Some(config),
        &SnapshotRequest {
            since: since(),
            until: until(),
            services: None,
        },
        at(WINDOW_MS + 5_000),
        &redactor,
        &|_| {},
    )
    .await
    .expect("the snapshot gathers")
}

#[tokio::test]
async fn json_validates_against_its_schema_and_round_trips() {
    let db = TestDb::new().await;
    incident(&db).await;
    let snapshot = gathered(&db, &config()).await;
    let json = snapshot::render_json(&snapshot).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], 1);

    let schema: serde_json::Value = serde_json::from_str(JSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");

    // Deserialise and serialise again: the same document.
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snapshot);
    assert_eq!(snapshot::render_json(&back).unwrap(), json);

    // The schema has teeth: a document without its version is refused.
    let mut broken = value.clone();
    broken.as_object_mut().unwrap().remove("schema_version");
    assert!(!validator.is_valid(&broken));

    // Both services are charted, with the queue's capacity drawn as a threshold.
    assert_eq!(snapshot.services.len(), 2);
    let orders = &snapshot.services[0];
    assert_eq!(orders.name, "orders");
    let depth = orders
        .charts
        .iter()
        .find(|c| c.series == "queue.depth")
        .expect("queue.depth is charted");
    assert!(depth.svg.starts_with("<svg"));
    assert!(depth.thresholds.iter().any(|t| t.label == "capacity"));
    let last = orders
        .last_observation
        .as_ref()
        .expect("a last observation");
    assert_eq!(last.observed_at, until());
    assert!(last.values.iter().any(|v| v.series == "queue.depth"));
    assert_eq!(snapshot.summary.alerts_fired, 1);
    assert_eq!(snapshot.summary.alerts_acknowledged, 1);
    assert_eq!(snapshot.summary.actions_taken, 1);
    let db_breaker = orders.breakers.iter().find(|b| b.name == "db").unwrap();
    let states: Vec<&str> = db_breaker
        .intervals
        .iter()
        .map(|i| i.state.as_str())
        .collect();
    assert_eq!(states, ["half_open", "open", "closed"]);
    let worst = &snapshot.summary.worst[0];
    assert_eq!(worst.breaker.as_deref(), Some("open"));
    assert_eq!(worst.alert_severity.as_deref(), Some("critical"));
}

/// What an incident review asks first: which dependency was down and what it said. The
/// last observation carries the version and every dependency's status, latency and
/// error, in the JSON (valid against the schema) and in the HTML.
#[tokio::test]
async fn the_last_observation_carries_the_version_and_each_dependency() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    let handle = writer.handle();
    for (i, kafka_error) in [
        (1, None),
        (2, Some("broker kafka-2:9092 refused the connection")),
    ] {
        let mut o = observation("orders", at(i * 60_000), &[("queue.depth", 10.0)]);
        o.health = Some(Health {
            status: HealthStatus::Degraded,
            version: Some(format!("2.4.{i}")),
            uptime_seconds: Some(3600.0),
            dependencies: vec![
                Dependency {
                    name: "kafka".into(),
                    status: if kafka_error.is_some() {
                        HealthStatus::Down
                    } else {
                        HealthStatus::Ok
                    },
                    latency_ms: None,
                    slow: false,
                    error: kafka_error.map(str::to_string),
                },
                Dependency {
                    name: "postgres".into(),
                    status: HealthStatus::Degraded,
                    latency_ms: Some(250.5),
                    slow: true,
                    error: None,
                },
            ],
        });
        handle.record(o);
    }
    writer.finish().await;
    let snapshot = gathered(&db, &config()).await;
    let json = snapshot::render_json(&snapshot).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let schema: serde_json::Value = serde_json::from_str(JSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is valid");
    assert!(validator.is_valid(&value), "{json}");

    let orders = value["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "orders")
        .expect("orders");
    let last = &orders["last_observation"];
    assert_eq!(last["status"], "degraded");
    assert_eq!(last["version"], "2.4.2");
    assert_eq!(
        last["dependencies"],
        serde_json::json!([
            { "name": "kafka", "status": "down", "latency_ms": null, "slow": false,
              "error": "broker kafka-2:9092 refused the connection" },
            { "name": "postgres", "status": "degraded", "latency_ms": 250.5, "slow": true,
              "error": null },
        ])
    );

    let html = snapshot::render_html(&snapshot);
    for shown in [
        "2.4.2",
        "kafka",
        "broker kafka-2:9092 refused the connection",
        "postgres",
        "250.5 ms",
    ] {
        assert!(html.contains(shown), "{shown} is in the HTML");
    }
}

#[tokio::test]
async fn timeline_holds_every_event_in_the_window_and_nothing_outside() {
    let db = TestDb::new().await;
    let expected = incident(&db).await;
    let snapshot = gathered(&db, &config()).await;
    let seen: Vec<(i64, EventKind)> = snapshot
        .timeline
        .iter()
        .map(|e| (e.at.timestamp_millis() - since().timestamp_millis(), e.kind))
        .collect();
    assert_eq!(seen, expected);
    assert!(snapshot.timeline.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(!snapshot
        .timeline
        .iter()
        .any(|e| e.text.contains("outside-before")));

    // One service only: the other's events go.
    let only = snapshot::gather(
        &db.store,
        None,
        &SnapshotRequest {
            since: since(),
            until: until(),
            services: Some(vec!["payments".into()]),
        },
        until(),
    )
    .await
    .unwrap();
    assert_eq!(only.timeline.len(), 1);
    assert_eq!(only.services.len(), 1);

    // The default window starts 15 minutes before the first firing alert.
    let request = SnapshotRequest::default_window(&db.store, at(WINDOW_MS), None)
        .await
        .unwrap();
    assert_eq!(request.since, at(-1) - Duration::minutes(15));
}

/// Every entry of a zip, by name, as bytes.
fn unzip(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().to_string(), bytes)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_canary_secret_appears_nowhere() {
    let db = TestDb::new().await;
    incident(&db).await;
    // The resolved secret also sits in the history, where only the redactor can catch it.
    let writer = db.store.start_writer();
    writer.handle().record_alert(AlertEvent {
        detail: Some(format!("upstream said {RESOLVED}")),
        silenced_until: None,
        ..alert("resolved-leak", "payments", AlertState::Pending, 500_000)
    });
    let echoed: Vec<String> = ECHOED
        .iter()
        .map(|(scheme, token)| format!("authorization: {scheme} {token}"))
        .collect();
    writer.handle().record_alert(AlertEvent {
        detail: Some(format!("upstream echoed {}", echoed.join("; "))),
        silenced_until: None,
        ..alert(
            "echoed-credentials",
            "payments",
            AlertState::Pending,
            510_000,
        )
    });
    writer.finish().await;
    let config = config();
    let snapshot = gathered(&db, &config).await;
    let html = snapshot::render_html(&snapshot);
    let json = snapshot::render_json(&snapshot).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("incident.zip");
    let report = snapshot::write_zip(&snapshot, &zip_path).unwrap();

    let secrets = [CANARY, URL_PASSWORD, RESOLVED, "tenant=acme"]
        .into_iter()
        .chain(ECHOED.iter().map(|(_, token)| *token));
    for secret in secrets {
        assert!(!html.contains(secret), "{secret} in the HTML");
        assert!(!json.contains(secret), "{secret} in the JSON");
        for (name, bytes) in unzip(&zip_path) {
            assert!(!contains(&bytes, secret), "{secret} in {name} of the zip");
        }
    }
    assert!(json.contains(REDACTED));
    // The configuration shows references, not values.
    let orders = &snapshot.config.as_ref().unwrap().services[0];
    let key = orders
        .headers
        .iter()
        .find(|h| h.name == "X-Internal-Key")
        .unwrap();
    assert_eq!(key.value, "env:SWITCHYARD_SNAPSHOT_TEST_KEY");
    assert!(html.contains("env:SWITCHYARD_SNAPSHOT_TEST_KEY"));

    // The zip holds the page, the data and a PNG per chart (fonts permitting).
    let names: BTreeSet<String> = unzip(&zip_path).into_iter().map(|(n, _)| n).collect();
    assert!(names.contains("snapshot.html") && names.contains("snapshot.json"));
    let charts: usize = snapshot.services.iter().map(|s| s.charts.len()).sum();
    if report.pngs_skipped.is_none() {
        assert_eq!(report.pngs, charts + 1, "every chart and the breaker bands");
        assert!(names.contains("charts/orders/queue.depth.png"));
        let (_, png) = unzip(&zip_path)
            .into_iter()
            .find(|(n, _)| n == "charts/orders/queue.depth.png")
            .unwrap();
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), (960, 260));
        assert!(distinct_colours(&pixmap) > 8);
    }
}

#[test]
fn html_escapes_what_it_shows() {
    let mut snapshot: Snapshot = serde_json::from_value(serde_json::json!({
        "schema_version": 1,
        "generated_at": "2026-11-23T10:00:00Z",
        "generator": "switchyard test",
        "window": { "since": "2026-11-23T09:00:00Z", "until": "2026-11-23T10:00:00Z" },
        "summary": {
            "window": { "since": "2026-11-23T09:00:00Z", "until": "2026-11-23T10:00:00Z" },
            "services": ["<b>x</b>"], "worst": [], "alerts_fired": 0, "alerts_acknowledged": 0,
            "actions_taken": 0, "actions_failed": 0, "events": 1
        },
        "timeline": [{
            "at": "2026-11-23T09:30:00Z", "kind": "alert", "service": "<b>x</b>",
            "subject": null, "state": "firing", "text": "<script>alert(1)</script>",
            "by": null, "severity": "info"
        }],
        "services": [], "breaker_timeline_svg": null, "config": null
    }))
    .unwrap();
    snapshot.generator = "\"><img src=x onerror=alert(1)>".into();
    let html = snapshot::render_html(&snapshot);
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<b>x</b>"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

fn distinct_colours(pixmap: &resvg::tiny_skia::Pixmap) -> usize {
    pixmap
        .data()
        .chunks_exact(4)
        .map(|p| (p[0], p[1], p[2]))
        .collect::<BTreeSet<_>>()
        .len()
}

/// Headless Chromium opens the HTML with its network off and draws the charts: the
/// screenshot is far from blank. One screenshot is kept in `docs/snapshot.png`.
#[tokio::test]
async fn chromium_renders_the_charts_with_the_network_off() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        panic!("no chromium: run scripts/install-system-deps.sh");
    };
    let db = TestDb::new().await;
    incident(&db).await;
    let snapshot = gathered(&db, &config()).await;
    let dir = tempfile::tempdir().unwrap();
    let html_path = dir.path().join("incident.html");
    std::fs::write(&html_path, snapshot::render_html(&snapshot)).unwrap();
    let png = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let output = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            // No network at all: any request would fail instead of loading.
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", html_path.display()))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("chromium finishes in time")
        .expect("chromium runs");
    assert!(
        png.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pixmap = resvg::tiny_skia::Pixmap::load_png(&png).expect("a PNG");
    assert_eq!(pixmap.width(), 1280);
    // Text alone gives a few dozen colours; the charts' lines, shading and bands many more.
    let colours = distinct_colours(&pixmap);
    assert!(
        colours > 200,
        "only {colours} colours: the page looks blank"
    );
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/snapshot.png");
    if let Some(parent) = docs.parent() {
        std::fs::create_dir_all(parent).expect("docs/ exists");
    }
    std::fs::copy(&png, &docs).expect("the screenshot is kept in docs/");
}
