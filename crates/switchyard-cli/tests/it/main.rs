//! The real `switchyard-cli` binary against the real simulated fleet.

use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchyard_core::store::Store;
use switchyard_fleet::{Fleet, FleetSpec, Script, ServiceSpec};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard-cli"))
        .args(args)
        .env_remove("SWITCHYARD_CONFIG")
        .output()
        .expect("the CLI runs")
}

async fn one_service_fleet() -> Fleet {
    Fleet::start(FleetSpec {
        services: vec![ServiceSpec {
            name: "orders".into(),
            tags: vec![],
            script: Script::steady(),
        }],
    })
    .await
    .expect("fleet starts")
}

#[tokio::test]
async fn probe_prints_the_normalised_observation() {
    let fleet = one_service_fleet().await;
    let url = fleet.services()[0].base_url.clone();
    let output =
        tokio::task::spawn_blocking(move || cli(&["probe", &url, "--profile", "health-contract"]))
            .await
            .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["profile"], "health-contract");
    assert_eq!(json["reachability"]["kind"], "reachable");
    assert!(json["reachability"]["latency_ms"].as_f64().is_some());
    assert_eq!(json["health"]["status"], "ok");
    assert_eq!(json["health"]["version"], "1.0.0");
    let deps = json["health"]["dependencies"].as_array().unwrap();
    assert!(deps
        .iter()
        .any(|d| d["name"] == "postgres" && d["slow"] == false));
    assert!(json["samples"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["series"] == "metrics.orders_executed_total"));
    // Absent values are omitted, not null (CONTRACTS.md).
    assert!(json.get("breakers").is_none());
    fleet.shutdown().await;
}

#[test]
fn probe_of_a_closed_port_says_refused_and_fails() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = cli(&[
        "probe",
        &format!("http://127.0.0.1:{port}"),
        "--profile",
        "health-contract",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["reachability"]["kind"], "refused");
    assert!(json["reachability"]["message"]
        .as_str()
        .unwrap()
        .contains("connection refused"));
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let output = cli(&["probe", "http://127.0.0.1:1", "--profile", "nagios"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("known: health-contract"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[service]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:1\"\nprofile = \"health-contract\"\ntimeuot = \"1s\"\n").unwrap();
    let output = cli(&[
        "watch",
        "--config",
        bad.to_str().unwrap(),
        "--db",
        dir.path().join("h.db").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.toml:5"), "{stderr}");
    assert!(stderr.contains("did you mean `timeout`"), "{stderr}");
}

#[tokio::test]
async fn watch_collects_into_the_database() {
    let fleet = one_service_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fleet.toml");
    std::fs::write(&config, fleet.config_toml("200ms", "150ms")).unwrap();
    let db = dir.path().join("history.db");
    let (config_arg, db_arg) = (config.display().to_string(), db.display().to_string());
    let output = tokio::task::spawn_blocking(move || {
        cli(&[
            "watch",
            "--config",
            &config_arg,
            "--db",
            &db_arg,
            "--duration",
            "1500ms",
        ])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("observations written"), "{stderr}");

    let store = Store::open(&db).await.unwrap();
    let rows = store
        .health_history("orders", DateTime::<Utc>::MIN_UTC)
        .await
        .unwrap();
    // 1.5 s at a 200 ms interval (±10 % jitter) is about seven rounds; at least a few
    // must have landed, each reachable and ok.
    assert!(rows.len() >= 3, "only {} rows", rows.len());
    assert!(rows
        .iter()
        .all(|r| r.reachability == "reachable" && r.status.as_deref() == Some("ok")));
    store.close().await;
    fleet.shutdown().await;
}

#[test]
fn check_config_resolves_references_without_printing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        "[[service]]\nname = \"events\"\nbase_url = \"http://127.0.0.1:1\"\nprofile = \"health-levels\"\n\
         headers = { \"X-Internal-Key\" = \"env:SWITCHYARD_IT_EVENTS_KEY\" }\n",
    )
    .unwrap();
    let check = |value: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchyard-cli"));
        command.args(["check-config", file.to_str().unwrap()]);
        match value {
            Some(v) => command.env("SWITCHYARD_IT_EVENTS_KEY", v),
            None => command.env_remove("SWITCHYARD_IT_EVENTS_KEY"),
        };
        command.output().expect("the CLI runs")
    };

    let resolved = check(Some("canary-check-config-91"));
    let stdout = String::from_utf8_lossy(&resolved.stdout);
    assert_eq!(resolved.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("X-Internal-Key = env:SWITCHYARD_IT_EVENTS_KEY: resolves"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("canary") && !String::from_utf8_lossy(&resolved.stderr).contains("canary")
    );

    let missing = check(None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout)
        .contains("environment variable SWITCHYARD_IT_EVENTS_KEY is not set"));
}
