//! Helpers shared by the integration tests: starting fleets and talking to
//! their services.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::Value;
use switchyard_fleet::{
    DependencyCondition, Fleet, FleetSpec, Phase, Profile, RunningService, Script,
    ServiceCondition, ServiceSpec, Status,
};

/// A fleet of services with the given names and scripts, tagged `test`.
pub async fn fleet(services: Vec<(&str, Script)>) -> Fleet {
    let services = services
        .into_iter()
        .map(|(name, script)| ServiceSpec {
            name: name.to_owned(),
            tags: vec!["test".to_owned()],
            script,
        })
        .collect();
    Fleet::start(FleetSpec { services })
        .await
        .expect("the fleet starts")
}

/// One steady service named `name`.
pub async fn steady(name: &str) -> (Fleet, RunningService) {
    let fleet = fleet(vec![(name, Script::steady())]).await;
    let service = fleet.services()[0].clone();
    (fleet, service)
}

/// One `profile` service holding still, named after its profile.
pub async fn quiet(profile: Profile) -> (Fleet, RunningService) {
    let spec = ServiceSpec::quiet(profile, profile.name()).with_tags(["test"]);
    let fleet = Fleet::start(FleetSpec {
        services: vec![spec],
    })
    .await
    .expect("the fleet starts");
    let service = fleet.services()[0].clone();
    (fleet, service)
}

/// `GET {path}`: the status and the JSON body (`null` when not JSON).
pub async fn get_json(service: &RunningService, path: &str) -> (StatusCode, Value) {
    let response = get(service, path).await;
    let status = response.status();
    let body = response.bytes().await.expect("a body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// `GET {path}` that must answer 200 JSON.
pub async fn ok_json(service: &RunningService, path: &str) -> Value {
    let (status, body) = get_json(service, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// `DELETE {path}`: the status.
pub async fn delete(service: &RunningService, path: &str) -> StatusCode {
    client()
        .delete(format!("{}{path}", service.base_url))
        .send()
        .await
        .expect("the service answers")
        .status()
}

/// A script that holds "DEGRADED, postgres slow" for an hour: long enough
/// that only the control endpoint can change what a test sees.
pub fn degraded_for_an_hour() -> Script {
    Script::cycle(vec![Phase::new(
        Duration::from_secs(3600),
        ServiceCondition::healthy()
            .with_status(Status::Degraded)
            .with_dependency(
                "postgres",
                DependencyCondition::failing(Status::Degraded, 250.3, "Slow query"),
            ),
    )])
}

/// A client with a timeout, so a broken fleet fails a test instead of hanging it.
pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("the client builds")
}

/// `GET {base_url}{path}`.
pub async fn get(service: &RunningService, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", service.base_url))
        .send()
        .await
        .expect("the service answers")
}

/// `GET /health` that must answer 200 JSON.
pub async fn health(service: &RunningService) -> Value {
    let response = get(service, "/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a JSON health document")
}

/// `GET /_fleet/state`.
pub async fn state(service: &RunningService) -> Value {
    get(service, "/_fleet/state")
        .await
        .json()
        .await
        .expect("a JSON state")
}

/// `POST {path}` with a raw body; answers the status and the JSON body.
pub async fn post(service: &RunningService, path: &str, body: &str) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}{path}", service.base_url))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("the service answers");
    let status = response.status();
    let body = response.bytes().await.expect("a body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// `POST /_fleet/set` that must succeed; answers the resulting state.
pub async fn set(service: &RunningService, body: Value) -> Value {
    let (status, state) = post(service, "/_fleet/set", &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    state
}
