//! Fleet + engine + store, no window: what the engine publishes is what lands in the
//! database, in order, and one broken service never stops the others.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::engine::EngineHandle;
use switchyard_core::store::Store;

use crate::support::*;

#[tokio::test]
async fn a_scripted_status_change_is_stored_in_order() {
    let fleet = steady_fleet(&["orders"]).await;
    let config = Config::parse(&fleet.config_toml("200ms", "150ms")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("history.db")).await.unwrap();
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    let mut events = crate::support::events_of(&engine);

    wait_for(&mut events, "orders", "ok", |s| {
        health_word(s) == Some("ok")
    })
    .await;
    for (word, expected) in [("DEGRADED", "degraded"), ("DOWN", "down"), ("OK", "ok")] {
        set(&fleet, "orders", json!({ "status": word })).await;
        wait_for(&mut events, "orders", expected, |s| {
            health_word(s) == Some(expected)
        })
        .await;
    }

    let stats = engine.shutdown().await.expect("the engine had a writer");
    assert_eq!(stats.dropped, 0);
    assert_eq!(stats.failed_batches, 0);

    let history = store
        .health_history("orders", DateTime::<Utc>::MIN_UTC)
        .await
        .unwrap();
    assert_eq!(
        history.len() as u64,
        stats.observations_written,
        "every observation is a row"
    );
    assert!(
        history
            .windows(2)
            .all(|w| w[0].observed_at_ms <= w[1].observed_at_ms),
        "rows come back in time order"
    );
    let mut runs: Vec<&str> = Vec::new();
    for row in &history {
        assert_eq!(row.reachability, "reachable");
        let status = row.status.as_deref().expect("a reachable row has a status");
        if runs.last() != Some(&status) {
            runs.push(status);
        }
    }
    assert_eq!(runs, ["ok", "degraded", "down", "ok"]);

    // The health document's metrics became series.
    let points = store
        .series_points(
            "orders",
            "metrics.orders_executed_total",
            DateTime::<Utc>::MIN_UTC,
        )
        .await
        .unwrap();
    assert_eq!(points.len(), history.len());
    store.close().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_broken_service_is_marked_while_the_others_keep_updating() {
    let fleet = steady_fleet(&["healthy", "broken"]).await;
    set(&fleet, "broken", json!({ "fault": "http_500" })).await;
    let mut toml = fleet.config_toml("200ms", "150ms");
    toml.push_str(&format!(
        "\n[[service]]\nname = \"gone\"\nbase_url = \"http://127.0.0.1:{}\"\nprofile = \"health-contract\"\n",
        closed_port()
    ));
    let config = Config::parse(&toml).unwrap();
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);

    let broken = wait_for(&mut events, "broken", "an HTTP error", |s| {
        reachability_kind(s) == Some("http_error")
    })
    .await;
    let message = broken
        .latest
        .unwrap()
        .reachability
        .message()
        .unwrap()
        .to_string();
    assert!(message.contains("HTTP 500"), "{message}");
    let gone = wait_for(&mut events, "gone", "refused", |s| {
        reachability_kind(s) == Some("refused")
    })
    .await;
    assert!(gone
        .latest
        .unwrap()
        .reachability
        .message()
        .unwrap()
        .contains("connection refused"));

    // The healthy service goes on being polled: three fresh rounds after the failures.
    let mut fresh_rounds = 0;
    while fresh_rounds < 3 {
        wait_for(&mut events, "healthy", "ok", |s| {
            health_word(s) == Some("ok")
        })
        .await;
        fresh_rounds += 1;
    }

    // Recovery: the broken service's last good values were never lost, and it returns.
    set(&fleet, "broken", json!({ "fault": "none" })).await;
    let recovered = wait_for(&mut events, "broken", "ok again", |s| {
        health_word(s) == Some("ok")
    })
    .await;
    assert_eq!(recovered.consecutive_failures, 0);
    engine.shutdown().await;
    fleet.shutdown().await;
}
