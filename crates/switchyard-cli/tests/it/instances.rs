//! `fleet` and `reset` on a service of several instances: three breaker-registry
//! replicas of the simulated fleet behind one configured name. `fleet --json` shows each
//! instance and the combined breaker ("open on 1 of 3 instances"); `reset` sends one
//! request to each open instance, or to the one `--instance` names.

use serde_json::{json, Value};
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

use crate::cli;
use crate::fleet_engines::{fleet_json, service};

async fn set(url: &str, body: Value) {
    let response = reqwest::Client::new()
        .post(format!("{url}/_fleet/set"))
        .json(&body)
        .send()
        .await
        .expect("control answers");
    assert!(response.status().is_success());
}

async fn resets_received(url: &str) -> usize {
    let state: Value = reqwest::get(format!("{url}/_fleet/state"))
        .await
        .expect("state answers")
        .json()
        .await
        .expect("json");
    state["actions"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn fleet_shows_instances_and_reset_reaches_each_open_one() {
    let fleet = Fleet::start(FleetSpec {
        services: ["r1", "r2", "r3"]
            .iter()
            .map(|n| ServiceSpec::quiet(Profile::BreakerRegistry, *n))
            .collect(),
    })
    .await
    .expect("fleet starts");
    let urls: Vec<String> = fleet
        .services()
        .iter()
        .map(|s| s.base_url.clone())
        .collect();
    let folder = tempfile::tempdir().unwrap();
    let config = folder.path().join("fleet.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = \"{}\"\n\n[[service]]\nname = \"registry\"\nprofile = \"breaker-registry\"\ninstances = [\"{}\", \"{}\", \"{}\"]\n",
            folder.path().join("history.db").display(),
            urls[0],
            urls[1],
            urls[2]
        ),
    )
    .unwrap();
    let open = json!({"breakers": {"exchange_api": {"state": "OPEN"}}});
    set(&urls[1], open.clone()).await;

    let (code, report) = fleet_json(&config).await;
    assert_eq!(code, Some(1), "a breaker is open: {report:#}");
    let registry = service(&report, "registry");
    let instances = registry["instances"].as_array().expect("instances listed");
    assert_eq!(instances.len(), 3, "{registry:#}");
    let second = urls[1].trim_start_matches("http://");
    let shown = instances
        .iter()
        .find(|i| i["name"] == second)
        .expect("the second replica");
    assert!(
        shown["breakers"]
            .as_array()
            .unwrap()
            .contains(&json!(["exchange_api", "open"])),
        "{shown:#}"
    );
    let breaker = registry["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "exchange_api")
        .expect("the combined breaker");
    assert_eq!(breaker["state"], "open");
    assert_eq!(breaker["detail"], "open on 1 of 3 instances");

    // Two open: a reset sends one request to each of them and none to the closed one.
    set(&urls[2], open.clone()).await;
    let path = config.to_str().unwrap().to_string();
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli(&args)
        })
    };
    let reset = |extra: &[&str]| {
        let mut args: Vec<String> = ["reset", "--config", &path, "registry", "exchange_api"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--reason".into(), "exchange back (INC-5121)".into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let output = run(reset(&["--instance", &urls[1]])).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&format!("instance {second}")), "{stdout}");
    assert_eq!(
        [
            resets_received(&urls[0]).await,
            resets_received(&urls[1]).await,
            resets_received(&urls[2]).await
        ],
        [0, 1, 0],
        "--instance sends to that one only"
    );

    let output = run(reset(&[])).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 of 3 instances"), "{stdout}");
    assert_eq!(
        [
            resets_received(&urls[0]).await,
            resets_received(&urls[1]).await,
            resets_received(&urls[2]).await
        ],
        [0, 1, 1],
        "only the instance still open gets the second reset"
    );
    fleet.shutdown().await;
}
