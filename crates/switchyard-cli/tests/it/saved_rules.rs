//! `watch` runs the same console as the window: the alert rules saved from the window
//! and the silences in force, both kept in the history, are the ones it evaluates
//! (it once ran the configuration's rules only, and so fired what the window had
//! silenced and ignored what the window had added).

use std::sync::Arc;

use chrono::Utc;
use switchyard_core::alerts::{RuleSpec, SelectSpec, SilenceTarget};
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::engine::EngineHandle;
use switchyard_core::store::{Store, TimeRange};

use super::{one_service_fleet, watch_for_1500ms};

fn health_rule(name: &str) -> RuleSpec {
    RuleSpec {
        name: name.into(),
        select: SelectSpec {
            service: Some("orders".into()),
            health_status: Some(true),
            ..SelectSpec::default()
        },
        when: "state is ok".into(),
        for_duration: None,
        recover: None,
        keep_firing: None,
        severity: Some("info".into()),
        description: None,
    }
}

#[tokio::test]
async fn watch_evaluates_the_rules_saved_from_the_window_and_honours_their_silences() {
    let fleet = one_service_fleet().await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("fleet.toml");
    let toml = fleet.config_toml("200ms", "150ms");
    std::fs::write(&config_path, &toml).unwrap();
    let db = dir.path().join("history.db");

    // What the window does: save two rules, and silence one of them for an hour.
    let store = Store::open(&db).await.unwrap();
    let config = Config::parse(&toml).unwrap();
    let window = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    window
        .set_alert_rules(
            vec![health_rule("orders answering"), health_rule("orders quiet")],
            "ana",
        )
        .await
        .expect("the rules are valid");
    window
        .silence(
            SilenceTarget::rule("orders quiet"),
            Utc::now() + chrono::Duration::hours(1),
            "known, being fixed",
            "ana",
        )
        .await
        .expect("silenced");
    window.shutdown().await;
    store.close().await;

    watch_for_1500ms(&config_path, &db).await;

    let store = Store::open(&db).await.unwrap();
    let rows = store
        .alerts_between(Some("orders"), TimeRange::all())
        .await
        .unwrap();
    let firing = |rule: &str| {
        rows.iter()
            .find(|r| r.rule == rule && r.state == "firing")
            .unwrap_or_else(|| panic!("{rule} never fired: {rows:?}"))
    };
    assert_eq!(firing("orders answering").silenced_until_ms, None);
    assert!(
        firing("orders quiet").silenced_until_ms.is_some(),
        "the silence from the window holds in watch: {rows:?}"
    );
    store.close().await;
    fleet.shutdown().await;
}
