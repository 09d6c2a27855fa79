//! The simulated services' control endpoint: pin a state, count the requests served,
//! read the actions received.

use anyhow::{Context, Result};
use serde_json::Value;

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
