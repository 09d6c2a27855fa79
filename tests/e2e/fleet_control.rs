//! The simulated services: a one-service fleet to test against, and their control
//! endpoint: pin a state, count the requests served, read the actions received.

use anyhow::{Context, Result};
use serde_json::Value;
use switchyard_fleet::{Fleet, FleetSpec, Profile, ServiceSpec};

/// One quiet breaker-registry service named `registry` (it moves only when told to),
/// and its base URL.
pub async fn registry_fleet() -> Result<(Fleet, String)> {
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(Profile::BreakerRegistry, "registry")],
    })
    .await?;
    let base = fleet.services()[0].base_url.clone();
    Ok((fleet, base))
}

pub async fn set(base_url: &str, body: Value) -> Result<()> {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/_fleet/set"))
        .json(&body)
        .send()
        .await
        .context("the demo fleet's control endpoint")?;
    anyhow::ensure!(
        response.status().is_success(),
        "control refused: {}",
        response.status()
    );
    Ok(())
}

/// How many times the fleet served the breaker list.
pub async fn polls(base_url: &str) -> Result<u64> {
    let state: Value = reqwest::get(format!("{base_url}/_fleet/state"))
        .await?
        .json()
        .await?;
    Ok(state["requests"]["/api/circuit-breakers/stats"]
        .as_u64()
        .unwrap_or(0))
}

/// The fleet's record of action requests for one service.
pub async fn fleet_actions(base_url: &str) -> Result<Vec<Value>> {
    let state: Value = reqwest::get(format!("{base_url}/_fleet/state"))
        .await?
        .json()
        .await?;
    Ok(state["actions"].as_array().cloned().unwrap_or_default())
}
