//! `config_toml` describes the running fleet, ports included.

use switchyard_fleet::{Fleet, Script};

use crate::support::{fleet, health};

#[tokio::test]
async fn config_toml_lists_every_service_with_its_real_port() {
    let fleet = fleet(vec![
        ("alpha", Script::steady()),
        (r#"we"ird\name"#, Script::steady()),
    ])
    .await;
    let text = fleet.config_toml("2s", "1s");
    assert!(text.starts_with("# Switchyard configuration"), "{text}");
    let config: toml::Table = toml::from_str(&text).expect("valid TOML");

    let keys: Vec<&str> = config.keys().map(String::as_str).collect();
    assert_eq!(keys, ["defaults", "service"]);
    assert_eq!(config["defaults"]["poll_interval"].as_str(), Some("2s"));
    assert_eq!(config["defaults"]["timeout"].as_str(), Some("1s"));

    let entries = config["service"].as_array().expect("[[service]] entries");
    assert_eq!(entries.len(), fleet.services().len());
    for (entry, service) in entries.iter().zip(fleet.services()) {
        let entry = entry.as_table().expect("a table");
        let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
        assert_eq!(keys, ["base_url", "name", "profile", "tags"]);
        assert_eq!(entry["name"].as_str(), Some(service.name.as_str()));
        assert_eq!(entry["profile"].as_str(), Some("health-contract"));
        assert_eq!(entry["tags"].as_array().map(Vec::len), Some(1));
        let base_url = entry["base_url"].as_str().expect("a string");
        assert_eq!(base_url, service.base_url);
        assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
        // The port is the one really serving this service.
        assert_eq!(health(service).await["service"], service.name.as_str());
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn health_levels_services_refer_to_the_internal_key_by_environment_variable() {
    let fleet = Fleet::start_seed().await.expect("the seed fleet starts");
    let text = fleet.config_toml("2s", "1s");
    assert!(
        !text.contains(fleet.internal_key()),
        "the key never appears"
    );
    let config: toml::Table = toml::from_str(&text).expect("valid TOML");
    let entries = config["service"].as_array().expect("[[service]] entries");
    for (entry, service) in entries.iter().zip(fleet.services()) {
        assert_eq!(entry["profile"].as_str(), Some(service.profile));
        let headers = entry.get("headers");
        if service.profile == "health-levels" {
            let headers = headers.and_then(|h| h.as_table()).expect("a headers table");
            assert_eq!(
                headers["X-Internal-Key"].as_str(),
                Some("env:SWITCHYARD_FLEET_INTERNAL_KEY")
            );
        } else {
            assert!(headers.is_none(), "{}", service.name);
        }
    }
    assert_eq!(
        fleet.internal_key_export_line(),
        format!(
            "# export SWITCHYARD_FLEET_INTERNAL_KEY={}\n",
            fleet.internal_key()
        )
    );
    fleet.shutdown().await;
}

/// The binary with `--print-config` starts the seed fleet and prints the
/// export line, then the configuration.
#[tokio::test]
async fn the_binary_prints_the_export_line_above_the_configuration() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchyard-fleet"))
        .arg("--print-config")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut text = String::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        // Five services, each with a `tags` line (the health-levels one
        // with `headers` right after), and the two with streams with a
        // stream section ending in its `heartbeat`.
        let (mut services_done, mut streams_done) = (0, 0);
        while services_done < 5 || streams_done < 2 {
            let Some(line) = lines.next_line().await.expect("stdout reads") else {
                break;
            };
            if line.starts_with("tags = ") {
                services_done += 1;
            }
            if line.trim_start().starts_with("heartbeat = ") {
                streams_done += 1;
            }
            text.push_str(&line);
            text.push('\n');
        }
    })
    .await;
    child.kill().await.expect("the binary stops");
    assert!(read.is_ok(), "the configuration came within 30 s: {text}");

    let first = text.lines().next().unwrap_or_default();
    let key = first
        .strip_prefix("# export SWITCHYARD_FLEET_INTERNAL_KEY=")
        .expect("the export line comes first");
    assert!(key.len() >= 32, "{first}");
    let config: toml::Table = toml::from_str(&text).expect("valid TOML");
    let profiles: Vec<&str> = config["service"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["profile"].as_str())
        .collect();
    assert_eq!(
        profiles,
        [
            "health-contract",
            "health-levels",
            "breaker-registry",
            "single-breaker",
            "emergency-controls"
        ]
    );
    let streams: Vec<(&str, usize)> = config["service"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| {
            let streams = entry.get("stream")?.as_array()?;
            Some((entry["profile"].as_str()?, streams.len()))
        })
        .collect();
    assert_eq!(
        streams,
        [("breaker-registry", 1), ("emergency-controls", 1)]
    );
}

/// Services with streams list their breaker stream, as a console's
/// configuration takes it, and the path really streams.
#[tokio::test]
async fn services_with_streams_list_their_breaker_stream() {
    let fleet = Fleet::start_seed().await.expect("the seed fleet starts");
    let text = fleet.config_toml("2s", "1s");
    let config: toml::Table = toml::from_str(&text).expect("valid TOML");
    let entries = config["service"].as_array().expect("[[service]] entries");
    for (entry, service) in entries.iter().zip(fleet.services()) {
        let streams = entry.get("stream").and_then(|s| s.as_array());
        match service.profile {
            "breaker-registry" => {
                let stream = &streams.expect("a stream")[0];
                assert_eq!(stream["path"].as_str(), Some("/api/ws/breakers"));
                let subscribe = stream["subscribe"].as_array().expect("subscribe");
                assert_eq!(subscribe[0].as_str(), Some("breakers"));
                assert_eq!(stream["heartbeat"].as_str(), Some("30s"));
                let mut ws = crate::ws::connect(service, "/api/ws/breakers").await;
                crate::ws::subscribe(&mut ws, "breakers").await;
            }
            "emergency-controls" => {
                let stream = &streams.expect("a stream")[0];
                assert_eq!(stream["path"].as_str(), Some("/ws/breakers"));
                assert!(stream.get("subscribe").is_none());
                assert_eq!(stream["heartbeat"].as_str(), Some("30s"));
                let mut ws = crate::ws::connect(service, "/ws/breakers").await;
                crate::ws::barrier(&mut ws).await;
            }
            _ => assert!(streams.is_none(), "{}", service.name),
        }
    }
    fleet.shutdown().await;
}
