//! Shared set-up: a fleet of steady services, its control endpoint, and waiting for
//! engine events (never sleeping as synchronisation).

use std::time::Duration;

use serde_json::Value;
use switchyard_core::engine::{EngineEvent, EngineHandle};
use switchyard_core::feed::FleetSubscription;
use switchyard_core::model::ServiceState;
use switchyard_fleet::{Fleet, FleetSpec, Script, ServiceSpec};
use tokio::sync::broadcast;

/// Upper bound on any wait: generous for a loaded 2-core CI machine; a healthy run
/// finishes each wait in a few poll intervals.
pub const PATIENCE: Duration = Duration::from_secs(15);

pub async fn steady_fleet(names: &[&str]) -> Fleet {
    Fleet::start(FleetSpec {
        services: names
            .iter()
            .map(|name| ServiceSpec {
                name: name.to_string(),
                tags: vec!["test".into()],
                script: Script::steady(),
            })
            .collect(),
    })
    .await
    .expect("fleet starts on 127.0.0.1")
}

pub fn base_url(fleet: &Fleet, name: &str) -> String {
    fleet
        .services()
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.base_url.clone())
        .expect("service exists in the fleet")
}

/// Drives the fleet's control endpoint (`POST /_fleet/set`).
pub async fn set(fleet: &Fleet, name: &str, body: Value) {
    let url = format!("{}/_fleet/set", base_url(fleet, name));
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("control endpoint answers");
    assert!(
        response.status().is_success(),
        "control refused {body}: {}",
        response.status()
    );
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// What a test watches of an engine: the fleet feed and the alert news.
pub struct Events {
    pub fleet: FleetSubscription,
    pub alerts: broadcast::Receiver<EngineEvent>,
}

/// Subscribes to both, from now on (the fleet's first delta is its whole state).
pub fn events_of(engine: &EngineHandle) -> Events {
    Events {
        fleet: engine.fleet(),
        alerts: engine.alert_events(),
    }
}

/// Waits for the first state of `service` that satisfies `predicate`.
pub async fn wait_for(
    events: &mut Events,
    service: &str,
    what: &str,
    predicate: impl Fn(&ServiceState) -> bool,
) -> ServiceState {
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            let Some(delta) = events.fleet.next().await else {
                panic!("engine stopped while waiting for {service}: {what}")
            };
            if let Some(state) = delta
                .services
                .iter()
                .find(|state| state.name == service && predicate(state))
            {
                return (**state).clone();
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("{service} never showed {what} within {PATIENCE:?}"))
}

pub fn health_word(state: &ServiceState) -> Option<&'static str> {
    state
        .latest
        .as_ref()?
        .health
        .as_ref()
        .map(|h| h.status.as_str())
}

pub fn reachability_kind(state: &ServiceState) -> Option<&'static str> {
    state.latest.as_ref().map(|o| o.reachability.kind())
}
