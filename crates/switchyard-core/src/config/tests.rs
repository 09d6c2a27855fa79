//! The configuration as a user writes it: the documented defaults, errors that name a
//! line and the key meant, and every example of docs/configuration.md.

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
    let settings = config.services[0].settings.prometheus().unwrap();
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

const ALERTS: &str = r#"
[[service]]
name = "orders"
base_url = "http://127.0.0.1:8001/"
profile = "health-contract"
tags = ["prod"]

[[alert]]
name = "cache hit rate low"
select = { series = "cache.hit_rate", tags = ["prod"] }
when = "< 0.7"
for = "5m"
recover = ">= 0.75"             # hysteresis: resolves only above this
keep_firing = "1m"
severity = "warning"
description = "Most reads miss the cache; expect load on the database."

[[alert]]
name = "orders breakers"
select = { service = "orders", breaker_state = true }
when = "state is open, half_open"
for = "10m"
severity = "high"
"#;

#[test]
fn alert_rules_are_read_into_rules() {
    use crate::alerts::{Condition, RuleOrigin, Severity, Subject};
    let config = Config::parse(ALERTS).unwrap();
    assert_eq!(config.alerts.len(), 2);
    let cache = &config.alerts[0];
    assert_eq!(cache.name, "cache hit rate low");
    assert_eq!(
        cache.selector.subject,
        Subject::Series("cache.hit_rate".into())
    );
    assert_eq!(cache.selector.services.tags, vec!["prod"]);
    assert_eq!(cache.condition.to_string(), "< 0.7");
    assert_eq!(
        cache.recover.as_ref().map(Condition::to_string).as_deref(),
        Some(">= 0.75")
    );
    assert_eq!(cache.for_duration, Duration::from_secs(300));
    assert_eq!(cache.keep_firing, Duration::from_secs(60));
    assert_eq!(cache.severity, Severity::Warning);
    assert_eq!(cache.origin, RuleOrigin::Config);
    let breakers = &config.alerts[1];
    assert_eq!(breakers.selector.subject, Subject::Breaker(None));
    assert_eq!(
        breakers.selector.services.service.as_deref(),
        Some("orders")
    );
    assert_eq!(
        breakers.condition,
        Condition::StateIs(vec!["open".into(), "half_open".into()])
    );
    // No [[alert]]: no configured rules (the defaults are added by the alerts module).
    assert!(Config::parse(MINIMAL).unwrap().alerts.is_empty());
}

#[test]
fn a_bad_alert_names_its_line_and_what_to_write() {
    let err = Config::parse(&ALERTS.replace(">= 0.75", "> 0.5")).unwrap_err();
    assert_eq!(err.line, Some(13), "{err}");
    assert!(
        err.message.contains("alert `cache hit rate low`: recover"),
        "{err}"
    );
    assert!(err.message.contains("overlaps"), "{err}");

    let err =
        Config::parse(&ALERTS.replace("state is open, half_open", "state is opne")).unwrap_err();
    assert_eq!(err.line, Some(21), "{err}");
    assert!(err.message.contains("`opne` is not a state"), "{err}");

    let err = Config::parse(&ALERTS.replace("for = \"10m\"", "for = \"10\"")).unwrap_err();
    assert_eq!(err.line, Some(22), "{err}");
    assert!(err.message.contains("`10s`"), "{err}");

    let err =
        Config::parse(&ALERTS.replace("severity = \"high\"", "severity = \"medium\"")).unwrap_err();
    assert_eq!(err.line, Some(23), "{err}");

    let err =
        Config::parse(&ALERTS.replace("service = \"orders\"", "service = \"ordres\"")).unwrap_err();
    assert_eq!(err.line, Some(20), "{err}");
    assert!(err.message.contains("did you mean `orders`"), "{err}");

    let twice = ALERTS.replace("orders breakers", "cache hit rate low");
    let err = Config::parse(&twice).unwrap_err();
    assert_eq!(err.line, Some(19), "{err}");
    assert!(err.message.contains("used twice"), "{err}");
}

#[test]
fn unknown_alert_keys_are_errors_with_their_line() {
    let err = Config::parse(&ALERTS.replace("keep_firing = ", "keep_fring = ")).unwrap_err();
    assert_eq!(err.line, Some(14), "{err}");
    assert!(err.message.contains("did you mean `keep_firing`"), "{err}");

    let err = Config::parse(&ALERTS.replace("{ series = ", "{ serie = ")).unwrap_err();
    assert_eq!(err.line, Some(10), "{err}");
    assert!(err.message.contains("did you mean `series`"), "{err}");

    let err = Config::parse(&ALERTS.replace(
        "breaker_state = true",
        "breaker_state = true, series = \"x\"",
    ))
    .unwrap_err();
    assert_eq!(err.line, Some(20), "{err}");
    assert!(err.message.contains("a rule watches one"), "{err}");

    let missing = ALERTS.replace("when = \"state is open, half_open\"\n", "");
    let err = Config::parse(&missing).unwrap_err();
    assert!(err.message.contains("when"), "{err}");
    assert!(err.line.is_some(), "{err}");
}

/// docs/configuration.md promises that each of its ```toml examples is a whole
/// configuration the parser accepts: hold it to that.
#[test]
fn every_example_in_the_configuration_doc_parses() {
    let doc = include_str!("../../../../docs/configuration.md");
    let mut examples = 0;
    let mut rest = doc;
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + "```toml\n".len()..];
        let end = body.find("\n```").expect("an unterminated toml example");
        let example = &body[..end];
        if let Err(e) = Config::parse(example) {
            panic!(
                "docs/configuration.md, toml example {}: {e}\n{example}",
                examples + 1
            );
        }
        examples += 1;
        rest = &body[end..];
    }
    assert!(examples >= 6, "only {examples} toml examples found");
}

#[test]
fn the_fuzz_seed_with_every_key_is_accepted() {
    // The `config` fuzz target starts from this file: were it refused, the fuzzer would
    // mostly explore the first error instead of every key.
    let config = Config::parse(include_str!("../../../../fuzz/every-key.toml")).unwrap();
    assert_eq!(config.services.len(), 3);
    assert_eq!(config.alerts.len(), 8);
    let orders = &config.services[0];
    assert_eq!((orders.headers.len(), orders.streams.len()), (3, 1));
    assert!(config.services[1].settings.prometheus().is_some());
    assert!(config.services[2].settings.mapping().is_some());
}

#[test]
fn engines_alone_are_a_fleet_with_the_documented_defaults() {
    let config = Config::parse(
        r#"
[[engine]]
name = "prod"
url = "http://127.0.0.1:9090/"
"#,
    )
    .unwrap();
    assert!(config.services.is_empty());
    let engine = &config.engines[0];
    assert_eq!(engine.url, "http://127.0.0.1:9090");
    assert_eq!(
        (
            engine.service_label.as_str(),
            engine.instance_label.as_str()
        ),
        ("job", "instance")
    );
    assert_eq!(engine.refresh, Duration::from_secs(15));
    assert_eq!(engine.timeout, Duration::from_secs(10));
    assert_eq!(engine.selector, None);
    assert_eq!(engine.actions, None);
}

#[test]
fn engine_mistakes_name_their_line() {
    let cases = [
        ("refersh = \"5s\"", 5, "did you mean `refresh`?"),
        ("selector = 'namespace=\"a\"'", 5, "in braces"),
        ("service_label = \"1job\"", 5, "not a label name"),
        (
            "headers = { Authorization = \"Bearer x\" }",
            5,
            "literal value",
        ),
        ("refresh = \"100ms\"", 5, "at least 1s"),
        (
            "actions = { profile = \"breaker-registry\", base_url = \"http://x\" }",
            5,
            "{instance}",
        ),
        (
            "actions = { profil = \"breaker-registry\", base_url = \"http://{instance}\" }",
            5,
            "did you mean `profile`?",
        ),
    ];
    for (line, at, words) in cases {
        let text =
            format!("\n[[engine]]\nname = \"prod\"\nurl = \"http://127.0.0.1:9090\"\n{line}\n");
        let err = Config::parse(&text).unwrap_err();
        assert_eq!(err.line, Some(at), "{line}: {err}");
        assert!(err.message.contains(words), "{line}: {err}");
    }
    let twice = "[[engine]]\nname = \"a\"\nurl = \"http://x\"\n[[engine]]\nname = \"a\"\nurl = \"http://y\"\n";
    assert!(Config::parse(twice)
        .unwrap_err()
        .message
        .contains("used twice"));
}

#[test]
fn a_service_is_one_url_a_list_of_instances_or_a_dns_name() {
    let config = Config::parse(
        r#"
[[service]]
name = "checkout"
profile = "spring-actuator"
instances = ["http://10.0.0.5:8080/", "http://[fd00::6]:8080"]
quorum = 1

[[service]]
name = "payments"
profile = "spring-actuator"
discover = { dns = "_http._tcp.payments.internal", resolver = "127.0.0.1:5353", refresh = "10s" }
"#,
    )
    .unwrap();
    let checkout = &config.services[0];
    let InstanceSource::Static(list) = &checkout.instances else {
        panic!("{:?}", checkout.instances)
    };
    let ids: Vec<(&str, &str)> = list
        .iter()
        .map(|i| (i.id.as_str(), i.base_url.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("10.0.0.5:8080", "http://10.0.0.5:8080"),
            ("[fd00::6]:8080", "http://[fd00::6]:8080")
        ]
    );
    assert_eq!(checkout.quorum, Some(1));
    assert_eq!(checkout.base_url, "2 instances listed");
    let payments = &config.services[1];
    let InstanceSource::Dns(dns) = &payments.instances else {
        panic!("{:?}", payments.instances)
    };
    assert_eq!(dns.refresh, Duration::from_secs(10));
    assert_eq!(dns.resolver, Some("127.0.0.1:5353".parse().unwrap()));
    assert_eq!(payments.base_url, "dns _http._tcp.payments.internal");
    assert!(config
        .services
        .iter()
        .all(|s| s.quorum.is_none() || s.name == "checkout"));
}

#[test]
fn instances_are_refused_when_ambiguous_empty_repeated_or_badly_named() {
    let service = |lines: &str| {
        format!("[[service]]\nname = \"checkout\"\nprofile = \"spring-actuator\"\n{lines}\n")
    };
    for (lines, says) in [
        ("", "give exactly one of base_url"),
        (
            "base_url = \"http://a:1\"\ninstances = [\"http://b:1\"]",
            "give exactly one of base_url",
        ),
        ("instances = []", "instances is empty"),
        (
            "instances = [\"http://a:1\", \"http://a:1/\"]",
            "instance `a:1` is listed twice",
        ),
        ("instances = [\"ftp://a:1\"]", "must start with http"),
        ("discover = { dns = \"checkout.internal\" }", "needs a port"),
        (
            "discover = { dns = \"a.internal:80\", resolver = \"localhost\" }",
            "resolver `localhost` is not an address",
        ),
        (
            "discover = { dns = \"a.internal:80\", refresh = \"100ms\" }",
            "refresh must be at least 500ms",
        ),
        (
            "discover = { dns = \"a.internal:80\", zone = \"x\" }",
            "zone",
        ),
        (
            "base_url = \"http://a:1\"\nquorum = 2",
            "quorum needs several instances",
        ),
        (
            "instances = [\"http://a:1\"]\nquorum = 0",
            "quorum must be at least 1",
        ),
    ] {
        let error = Config::parse(&service(lines)).unwrap_err().to_string();
        assert!(error.contains(says), "{lines}: {error}");
        assert!(error.starts_with("line "), "{lines}: no line in {error}");
    }
}
