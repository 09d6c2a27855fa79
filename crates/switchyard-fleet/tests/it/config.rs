//! `config_toml` describes the running fleet, ports included.

use switchyard_fleet::Script;

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
