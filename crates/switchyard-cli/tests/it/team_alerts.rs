//! `alerts`, `ack` and `unack` against a real Alertmanager (Debian's package on
//! loopback): the team's alert is listed with its id, acknowledged as an `ACK!` silence
//! by the configured operator, listed as acknowledged, and taken back.

use serde_json::{json, Value};
use switchyard_fleet::engines_on_loopback::LoopbackEngine;

use super::cli;

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&args)
    })
    .await
    .unwrap()
}

fn explain(output: &std::process::Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn alerts_ack_and_unack_go_through_alertmanager() {
    let am = LoopbackEngine::alertmanager()
        .await
        .expect("alertmanager starts");
    let posted = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", am.url()))
        .json(&json!([{
            "labels": {"alertname": "QueueBackpressure", "job": "events", "instance": "10.1.2.3:9000", "severity": "high"},
            "annotations": {"summary": "events queue 92% full", "runbook_url": "https://runbooks.example/queue"},
        }]))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fleet.toml");
    std::fs::write(
        &config,
        format!(
            "operator = \"night-shift\"\n\n[[service]]\nname = \"events\"\nbase_url = \"http://127.0.0.1:{}\"\n\n[alertmanager]\nurl = \"{}\"\n",
            closed_port(),
            am.url()
        ),
    )
    .unwrap();
    let db = dir.path().join("history.db");
    let common = |command: &str| -> Vec<String> {
        vec![
            command.into(),
            "--config".into(),
            config.display().to_string(),
            "--db".into(),
            db.display().to_string(),
        ]
    };

    // Listed, unhandled: exit 1.
    let mut args = common("alerts");
    args.push("--json".into());
    let output = run(args.clone()).await;
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
    let listed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let alert = &listed["alerts"][0];
    assert_eq!(alert["source"], "alertmanager");
    assert_eq!(alert["name"], "QueueBackpressure");
    assert_eq!(alert["service"], "events");
    assert_eq!(alert["state"], "active");
    assert_eq!(alert["runbook_url"], "https://runbooks.example/queue");
    let id = alert["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("am:"), "{id}");

    // Acknowledged: an ACK! silence by the operator, on the stable labels.
    let mut ack = common("ack");
    ack.extend([
        id.clone(),
        "--comment".into(),
        "draining the queue".into(),
        "--for".into(),
        "30m".into(),
    ]);
    let output = run(ack).await;
    assert_eq!(output.status.code(), Some(0), "{}", explain(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("acknowledged in Alertmanager"));
    let silences: Value = reqwest::get(format!("{}/api/v2/silences", am.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(silences[0]["comment"], "ACK! draining the queue");
    assert_eq!(silences[0]["createdBy"], "night-shift");
    assert!(!silences[0]["matchers"].to_string().contains("instance"));

    // Now handled: exit 0, and the table says who took it.
    let output = run(common("alerts")).await;
    assert_eq!(output.status.code(), Some(0), "{}", explain(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains(&id) && table.contains("acknowledged by night-shift"),
        "{table}"
    );

    // Taken back: the silence expires.
    let mut unack = common("unack");
    unack.push(id.clone());
    let output = run(unack.clone()).await;
    assert_eq!(output.status.code(), Some(0), "{}", explain(&output));
    let silences: Value = reqwest::get(format!("{}/api/v2/silences", am.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(silences[0]["status"]["state"], "expired");

    // Again: nothing to take back, exit 1; an unknown alert, exit 1.
    let output = run(unack).await;
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not acknowledged"));
    let mut unknown = common("ack");
    unknown.extend(["am:0000".into(), "--comment".into(), "x".into()]);
    let output = run(unknown).await;
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("holds no alert"));
}

#[tokio::test]
async fn ack_without_an_alertmanager_is_a_configuration_error_and_help_has_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("fleet.toml");
    std::fs::write(
        &config,
        format!(
            "[[service]]\nname = \"events\"\nbase_url = \"http://127.0.0.1:{}\"\n",
            closed_port()
        ),
    )
    .unwrap();
    let db = dir.path().join("history.db");
    let output = run(vec![
        "ack".into(),
        "--config".into(),
        config.display().to_string(),
        "--db".into(),
        db.display().to_string(),
        "am:abc".into(),
        "--comment".into(),
        "x".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", explain(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("[alertmanager]"));
    for command in ["alerts", "ack", "unack"] {
        let output = run(vec![command.into(), "--help".into()]).await;
        assert_eq!(output.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Example:"),
            "{command}"
        );
    }
    // Missing the comment is a usage error.
    let output = run(vec!["ack".into(), "am:abc".into()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", explain(&output));
}

#[tokio::test]
async fn an_alert_of_switchyards_own_is_listed_from_the_history_and_acknowledged_there() {
    use switchyard_core::store::{AlertEvent, AlertState, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let store = Store::open(&db).await.unwrap();
    let writer = store.start_writer();
    writer.handle().record_alert(AlertEvent {
        rule: "cpu hot".into(),
        service: "orders".into(),
        severity: "high".into(),
        state: AlertState::Firing,
        value: Some(93.0),
        at: chrono::Utc::now(),
        subject: Some("system.cpu_percent".into()),
        detail: None,
        silenced_until: None,
    });
    writer.finish().await;
    store.close().await;
    let config = dir.path().join("fleet.toml");
    std::fs::write(
        &config,
        format!(
            "operator = \"night-shift\"\n\n[[service]]\nname = \"orders\"\nbase_url = \"http://127.0.0.1:{}\"\n",
            closed_port()
        ),
    )
    .unwrap();
    let common = |command: &str| -> Vec<String> {
        vec![
            command.into(),
            "--config".into(),
            config.display().to_string(),
            "--db".into(),
            db.display().to_string(),
        ]
    };
    let mut list = common("alerts");
    list.push("--json".into());
    let output = run(list.clone()).await;
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let alert = &listed["alerts"][0];
    assert_eq!(alert["id"], "orders/cpu hot/system.cpu_percent");
    assert_eq!(alert["source"], "switchyard");
    assert_eq!(alert["state"], "firing");

    let mut ack = common("ack");
    ack.extend([
        "orders/cpu hot/system.cpu_percent".into(),
        "--comment".into(),
        "restarting the pool".into(),
    ]);
    let output = run(ack).await;
    assert_eq!(output.status.code(), Some(0), "{}", explain(&output));
    let output = run(list).await;
    assert_eq!(output.status.code(), Some(0), "{}", explain(&output));
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed["alerts"][0]["acknowledged_by"], "night-shift");

    // Switchyard's own acknowledgement is not taken back from the command line.
    let mut unack = common("unack");
    unack.push("orders/cpu hot/system.cpu_percent".into());
    let output = run(unack).await;
    assert_eq!(output.status.code(), Some(1), "{}", explain(&output));
}
