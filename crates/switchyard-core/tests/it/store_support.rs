//! Shared set-up of the history store tests: a database in a temporary folder, and
//! observations built by hand.

use chrono::{DateTime, TimeZone, Utc};
use switchyard_core::model::{Breaker, BreakerState, Observation, Sample};
use switchyard_core::store::Store;
use tempfile::TempDir;

pub struct TestDb {
    pub dir: TempDir,
    pub store: Store,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("history.db"))
            .await
            .expect("the database opens");
        TestDb { dir, store }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("history.db")
    }
}

/// 2026-11-23 10:00:00 UTC plus `ms`.
pub fn at(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
}

/// A reachable, healthy poll round with the given samples. Built from JSON so that
/// fields added to the model later keep their defaults here.
pub fn observation(service: &str, at: DateTime<Utc>, samples: &[(&str, f64)]) -> Observation {
    let samples: Vec<Sample> = samples
        .iter()
        .map(|(series, value)| Sample {
            series: series.to_string(),
            value: *value,
        })
        .collect();
    let mut observation: Observation = serde_json::from_value(serde_json::json!({
        "service": service,
        "profile": "health-contract",
        "observed_at": at,
        "reachability": { "kind": "reachable", "latency_ms": 3.0 },
        "health": { "status": "ok" },
    }))
    .expect("a minimal observation");
    observation.samples = samples;
    observation
}

pub fn breaker(name: &str, state: BreakerState) -> Breaker {
    serde_json::from_value(serde_json::json!({ "name": name, "state": state }))
        .expect("a minimal breaker")
}

/// A plain connection to the database file, for what the store's API does not show.
pub async fn raw_connection(path: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("a plain connection")
}

/// Waits (without sleeping) until the writer's health satisfies `predicate`.
pub async fn wait_health(
    health: &mut tokio::sync::watch::Receiver<switchyard_core::store::StoreHealth>,
    predicate: impl Fn(&switchyard_core::store::StoreHealth) -> bool,
) -> switchyard_core::store::StoreHealth {
    let found = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        health.wait_for(|h| predicate(h)),
    )
    .await
    .expect("the writer's health changes in time")
    .expect("the writer is running");
    found.clone()
}
