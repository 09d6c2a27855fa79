use std::time::Duration;

use super::*;

const MINIMAL: &str = r#"
[[service]]
name = "orders"
base_url = "http://127.0.0.1:8001/"
profile = "health-contract"
"#;

#[test]
fn a_minimal_service_gets_the_documented_defaults() {
    let config = Config::parse(MINIMAL).unwrap();
    let service = &config.services[0];
    assert_eq!(service.base_url, "http://127.0.0.1:8001");
    assert_eq!(service.poll_interval, Duration::from_secs(5));
    // The default timeout is kept below the interval so polls never overlap.
    assert_eq!(service.timeout, Duration::from_secs(4));
    assert_eq!(service.max_body_bytes, 1 << 20);
    assert!(service.allow_actions);
    assert_eq!(config.storage.raw_retention, Duration::from_secs(48 * 3600));
}

#[test]
fn service_values_override_defaults() {
    let config = Config::parse(
        r#"
[defaults]
poll_interval = "10s"
timeout = "3s"
max_body = "256KiB"

[[service]]
name = "orders"
base_url = "http://127.0.0.1:8001"
profile = "health-contract"
tags = ["payments", "prod"]
poll_interval = "2s"
timeout = "500ms"
allow_actions = false
"#,
    )
    .unwrap();
    let service = &config.services[0];
    assert_eq!(service.poll_interval, Duration::from_secs(2));
    assert_eq!(service.timeout, Duration::from_millis(500));
    assert_eq!(service.max_body_bytes, 256 * 1024);
    assert_eq!(service.tags, vec!["payments", "prod"]);
    assert!(!service.allow_actions);
}

#[test]
fn an_unknown_key_names_its_line_and_the_likely_key() {
    let err = Config::parse(
        r#"
[[service]]
name = "orders"
base_url = "http://127.0.0.1:8001"
profile = "health-contract"
pol_interval = "2s"
"#,
    )
    .unwrap_err();
    assert_eq!(err.line, Some(6), "{err}");
    assert!(
        err.message.contains("did you mean `poll_interval`"),
        "{err}"
    );
}

#[test]
fn a_timeout_not_shorter_than_the_interval_is_refused() {
    let err = Config::parse(
        r#"
[[service]]
name = "orders"
base_url = "http://127.0.0.1:8001"
profile = "health-contract"
poll_interval = "2s"
timeout = "2s"
"#,
    )
    .unwrap_err();
    assert_eq!(err.line, Some(7));
    assert!(
        err.message.contains("must be shorter than poll_interval"),
        "{err}"
    );
}

#[test]
fn a_missing_profile_is_left_to_detection() {
    let config = Config::parse(&MINIMAL.replace("profile = \"health-contract\"\n", "")).unwrap();
    assert_eq!(config.services[0].profile, None);
}

#[test]
fn headers_must_be_references() {
    let with = |value: &str| {
        MINIMAL.replace(
            "profile = \"health-contract\"",
            &format!(
                "profile = \"health-levels\"\nheaders = {{ \"X-Internal-Key\" = \"{value}\" }}"
            ),
        )
    };
    let config = Config::parse(&with("env:ORDERS_KEY")).unwrap();
    assert_eq!(config.services[0].headers[0].1.describe(), "env:ORDERS_KEY");
    let err = Config::parse(&with("hunter2")).unwrap_err();
    assert_eq!(err.line, Some(6));
    assert!(err.message.contains("literal value"), "{err}");
    assert!(!err.message.contains("hunter2"));
}

#[test]
fn profile_sections_belong_to_their_profile() {
    let prometheus = MINIMAL.replace("health-contract", "prometheus")
        + "[service.prometheus]\npath = \"/actuator/prometheus\"\nseries = [{ metric = \"cache_gets_total\", labels = { result = \"hit\" }, as = \"cache.hits\" }]\n";
    let config = Config::parse(&prometheus).unwrap();
    let settings = config.services[0].prometheus.as_ref().unwrap();
    assert_eq!(settings.path, "/actuator/prometheus");
    assert_eq!(settings.series[0].as_series, "cache.hits");
    let misplaced = MINIMAL.to_string() + "[service.prometheus]\npath = \"/metrics\"\n";
    assert!(Config::parse(&misplaced)
        .unwrap_err()
        .message
        .contains("only for profile"));
    let unmapped = MINIMAL.replace("health-contract", "json-mapping");
    assert!(Config::parse(&unmapped)
        .unwrap_err()
        .message
        .contains("[service.mapping]"));
}

#[test]
fn an_unknown_profile_lists_the_supported_ones() {
    let err = Config::parse(&MINIMAL.replace("health-contract", "healthcontract")).unwrap_err();
    assert_eq!(err.line, Some(5));
    assert!(err.message.contains("health-contract"), "{err}");
}

#[test]
fn duplicate_names_and_bad_urls_are_refused() {
    let twice = format!("{MINIMAL}{MINIMAL}");
    assert!(Config::parse(&twice)
        .unwrap_err()
        .message
        .contains("used twice"));
    let bad = MINIMAL.replace("http://127.0.0.1:8001/", "ftp://host");
    assert!(Config::parse(&bad).unwrap_err().message.contains("http://"));
    let creds = MINIMAL.replace("http://127.0.0.1", "http://user:pw@127.0.0.1");
    assert!(Config::parse(&creds)
        .unwrap_err()
        .message
        .contains("credentials"));
}

#[test]
fn a_config_without_services_says_what_to_add() {
    let err = Config::parse("[defaults]\npoll_interval = \"5s\"\n").unwrap_err();
    assert!(err.message.contains("[[service]]"), "{err}");
}

#[test]
fn lookup_order_is_cli_then_env_then_user_dir_then_demo() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Path::new("/cli.toml");
    assert_eq!(
        locate(Some(cli), Some("/env.toml"), Some(dir.path())),
        ConfigSource::File(cli.into())
    );
    assert_eq!(
        locate(None, Some("/env.toml"), Some(dir.path())),
        ConfigSource::File("/env.toml".into())
    );
    assert_eq!(locate(None, None, Some(dir.path())), ConfigSource::Demo);
    std::fs::write(dir.path().join("switchyard.toml"), MINIMAL).unwrap();
    assert_eq!(
        locate(None, None, Some(dir.path())),
        ConfigSource::File(dir.path().join("switchyard.toml"))
    );
}
