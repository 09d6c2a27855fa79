//! The rule's parsing and validation, its text form round trip and its TypeScript twins.

use std::time::Duration;

use serde::Deserialize;
use ts_rs::TS;

use super::*;

fn spec(select: SelectSpec, when: &str, recover: Option<&str>) -> RuleSpec {
    RuleSpec {
        name: "r".into(),
        select,
        when: when.into(),
        recover: recover.map(str::to_string),
        ..RuleSpec::default()
    }
}

fn series(name: &str) -> SelectSpec {
    SelectSpec {
        series: Some(name.into()),
        ..SelectSpec::default()
    }
}

fn breakers() -> SelectSpec {
    SelectSpec {
        breaker_state: Some(Target::All),
        ..SelectSpec::default()
    }
}

fn error(spec: &RuleSpec) -> RuleError {
    Rule::from_spec(spec, RuleOrigin::Config).unwrap_err()
}

#[test]
fn conditions_parse_and_print() {
    assert_eq!(
        Condition::parse("< 0.7").unwrap(),
        Condition::Compare {
            op: Comparison::Lt,
            threshold: 0.7
        }
    );
    assert_eq!(Condition::parse(">=0.75").unwrap().to_string(), ">= 0.75");
    assert_eq!(Condition::parse("== 1").unwrap().to_string(), "== 1");
    assert_eq!(
        Condition::parse("state is OPEN, Half-Open").unwrap(),
        Condition::StateIs(vec!["open".into(), "half_open".into()])
    );
    assert_eq!(
        Condition::parse("state is open or half open")
            .unwrap()
            .to_string(),
        "state is open, half_open"
    );
    assert!(Condition::parse("").is_err());
    assert!(Condition::parse("0.7")
        .unwrap_err()
        .contains("does not start"));
    assert!(Condition::parse("< 70%").unwrap_err().contains("without %"));
    assert!(Condition::parse("< seventy")
        .unwrap_err()
        .contains("not a number"));
    assert!(Condition::parse("=> 1").is_err());
    assert!(Condition::parse("state is").is_err());
    assert!(Condition::parse("< NaN").is_err());
}

#[test]
fn a_good_rule_round_trips_through_its_text_form() {
    let mut good = spec(series("cache.hit_rate"), "< 0.7", Some(">= 0.75"));
    good.for_duration = Some("5m".into());
    good.keep_firing = Some("1m".into());
    good.severity = Some("warning".into());
    good.select.tags = vec!["prod".into()];
    let rule = Rule::from_spec(&good, RuleOrigin::Config).unwrap();
    assert_eq!(rule.for_duration, Duration::from_secs(300));
    assert_eq!(rule.keep_firing, Duration::from_secs(60));
    assert_eq!(rule.summary(), "cache.hit_rate < 0.7 for 5m");
    assert_eq!(rule.to_spec(), good);
    assert_eq!(
        Rule::from_spec(&rule.to_spec(), RuleOrigin::Config).unwrap(),
        rule
    );
}

#[test]
fn the_condition_must_fit_the_subject() {
    let err = error(&spec(series("cache.hit_rate"), "state is open", None));
    assert_eq!(err.field, RuleField::When);
    assert!(err.message.contains("is a number"), "{err}");
    let err = error(&spec(breakers(), "> 1", None));
    assert!(err.message.contains("state is"), "{err}");
    let err = error(&spec(breakers(), "state is opne", None));
    assert!(err.message.contains("`opne` is not a state"), "{err}");
    assert!(err.message.contains("half_open"), "{err}");
    let dependency = SelectSpec {
        dependency: Some(Target::All),
        ..SelectSpec::default()
    };
    assert!(Rule::from_spec(
        &spec(dependency.clone(), "state is slow", None),
        RuleOrigin::Config
    )
    .is_ok());
    assert!(Rule::from_spec(&spec(dependency, "> 250", None), RuleOrigin::Config).is_ok());
}

#[test]
fn recovery_must_be_on_the_other_side_of_the_threshold() {
    let ok = |when: &str, recover: &str| {
        Rule::from_spec(&spec(series("s"), when, Some(recover)), RuleOrigin::Config)
    };
    assert!(ok("< 0.7", ">= 0.75").is_ok());
    assert!(ok("< 0.7", ">= 0.7").is_ok());
    assert!(ok("> 80", "< 75").is_ok());
    assert!(ok("> 80", "<= 80").is_ok());
    assert!(ok(">= 80", "< 80").is_ok());
    let same_side = ok("< 0.7", "< 0.5").unwrap_err();
    assert_eq!(same_side.field, RuleField::Recover);
    assert!(same_side.message.contains("same side"), "{same_side}");
    let overlap = ok("< 0.7", ">= 0.6").unwrap_err();
    assert!(overlap.message.contains("overlaps"), "{overlap}");
    assert!(ok("<= 0.7", ">= 0.7").is_err());
    assert!(ok(">= 80", "<= 80").is_err());
    assert!(ok("== 1", "== 0").is_err());
    let states = Rule::from_spec(
        &spec(breakers(), "state is open", Some("state is open, closed")),
        RuleOrigin::Config,
    )
    .unwrap_err();
    assert!(states.message.contains("both"), "{states}");
    assert!(Rule::from_spec(
        &spec(breakers(), "state is open", Some("state is closed")),
        RuleOrigin::Config
    )
    .is_ok());
}

#[test]
fn durations_severity_and_selection_are_checked() {
    let mut bad = spec(series("s"), "> 1", None);
    bad.for_duration = Some("5".into());
    let err = error(&bad);
    assert_eq!(err.field, RuleField::For);
    assert!(err.message.contains("`5s`"), "{err}");
    bad.for_duration = Some("30d".into());
    assert!(error(&bad).message.contains("7 days"));
    let mut bad = spec(series("s"), "> 1", None);
    bad.severity = Some("medium".into());
    assert_eq!(error(&bad).field, RuleField::Severity);
    let both = SelectSpec {
        series: Some("s".into()),
        health_status: Some(true),
        ..SelectSpec::default()
    };
    let err = error(&spec(both, "> 1", None));
    assert!(err.message.contains("a rule watches one"), "{err}");
    let err = error(&spec(SelectSpec::default(), "> 1", None));
    assert!(err.message.contains("nothing to watch"), "{err}");
    let no_window = SelectSpec {
        increase: Some("metrics.redis_reconnections".into()),
        ..SelectSpec::default()
    };
    assert!(error(&spec(no_window, "> 10", None))
        .message
        .contains("window"));
    let mut nameless = spec(series("s"), "> 1", None);
    nameless.name = " ".into();
    assert_eq!(error(&nameless).field, RuleField::Name);
}

#[test]
fn service_severity_words_are_read_leniently() {
    assert_eq!(Severity::from_service_word("HIGH"), Severity::High);
    assert_eq!(Severity::from_service_word("medium"), Severity::Warning);
    assert_eq!(Severity::from_service_word("urgent-ish"), Severity::Warning);
    assert_eq!(Severity::from_service_word("critical"), Severity::Critical);
    assert!(Severity::Critical > Severity::High && Severity::Warning > Severity::Info);
}

#[test]
fn selectors_match_by_name_and_every_tag() {
    let tags = vec!["payments".to_string(), "prod".to_string()];
    assert!(ServiceSelector::all().matches("orders", &[]));
    assert!(ServiceSelector::service("orders").matches("orders", &tags));
    assert!(!ServiceSelector::service("orders").matches("billing", &tags));
    let prod = ServiceSelector {
        service: None,
        tags: vec!["prod".into(), "payments".into()],
        per_instance: false,
    };
    assert!(prod.matches("orders", &tags));
    assert!(!prod.matches("orders", &tags[..1]));
}

#[test]
fn rules_export_as_alert_tables_that_read_back() {
    #[derive(Deserialize)]
    struct Alerts {
        alert: Vec<RuleSpec>,
    }
    let rules = crate::alerts::default_rules();
    let text = rules_to_toml(&rules).unwrap();
    assert!(text.contains("[[alert]]"), "{text}");
    let back: Alerts = toml::from_str(&text).unwrap();
    let reread: Vec<Rule> = back
        .alert
        .iter()
        .map(|spec| Rule::from_spec(spec, RuleOrigin::Default).unwrap())
        .collect();
    assert_eq!(reread, rules);
}

#[test]
fn the_ui_types_have_typescript_twins() {
    let config = ts_rs::Config::default();
    let select = SelectSpec::decl(&config);
    assert!(
        select.contains("breaker_state?: boolean | string"),
        "{select}"
    );
    assert!(select.contains("series?: string"), "{select}");
    let spec = RuleSpec::decl(&config);
    assert!(spec.contains("for?: string"), "{spec}");
    let event = crate::alerts::AlertEvent::decl(&config);
    assert!(event.contains("rule: string"), "{event}");
    assert!(event.contains("at: string"), "{event}");
    let dir = tempfile::tempdir().unwrap();
    let config = config.with_out_dir(dir.path());
    crate::alerts::ActiveAlert::export_all(&config).unwrap();
    crate::alerts::Silence::export_all(&config).unwrap();
    RuleView::export_all(&config).unwrap();
    RuleError::export_all(&config).unwrap();
}

#[test]
fn a_rule_reads_each_instance_or_the_combination() {
    let with_per = |per: Option<&str>| RuleSpec {
        select: SelectSpec {
            per: per.map(str::to_string),
            ..breakers()
        },
        ..spec(breakers(), "state is open", None)
    };
    let each = Rule::from_spec(&with_per(Some("instance")), RuleOrigin::Config).unwrap();
    let services = &each.selector.services;
    assert!(services.per_instance);
    // One instance of a service of several; a service of one address is its own instance.
    assert!(services.reads(Some("orders"), false));
    assert!(services.reads(None, false));
    assert!(!services.reads(None, true));
    assert_eq!(each.to_spec().select.per.as_deref(), Some("instance"));
    let combined = Rule::from_spec(&with_per(None), RuleOrigin::Config).unwrap();
    assert!(combined.selector.services.reads(None, true));
    assert!(!combined.selector.services.reads(Some("orders"), false));
    assert_eq!(combined.to_spec().select.per, None);
    let wrong = error(&with_per(Some("replica")));
    assert!(
        wrong.message.contains("write `instance`"),
        "{}",
        wrong.message
    );
}
