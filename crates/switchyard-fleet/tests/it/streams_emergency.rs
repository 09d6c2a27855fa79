//! `emergency-controls` stream (docs/contracts.md): `WS /ws/{channel}`,
//! heartbeats with a timestamp every 30 s, breaker transitions on
//! `/ws/breakers`, and 1008 "Channel full" past the per-channel limit.

use std::time::Duration;

use serde_json::json;
use switchyard_fleet::Profile;

use crate::support::{quiet, set, state};
use crate::ws::{
    barrier, close_frame, connect, data_within, hang_up, json, now_ms, send, state_until,
};

/// Heartbeats every ping interval (30 s unless set) with the fleet's wall
/// clock in seconds. Real time with a short interval: paused time does not
/// mix reliably with real sockets (a read woken by the network can wait for
/// the paused clock to move on).
#[tokio::test]
async fn heartbeats_carry_a_timestamp_and_pongs_are_counted() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    assert_eq!(state(&service).await["ws_ping_interval_ms"], 30_000);
    set(&service, json!({"ws_ping_interval_ms": 100})).await;
    let mut ws = connect(&service, "/ws/alerts").await;
    let ping = json(&mut ws).await;
    let received = now_ms();
    assert_eq!(ping["type"], "ping");
    let timestamp = ping["timestamp"].as_f64().expect("a timestamp");
    let lag_ms = received as f64 - timestamp * 1000.0;
    assert!(
        (-50.0..1000.0).contains(&lag_ms),
        "{timestamp} at {received}"
    );
    let second = json(&mut ws).await;
    assert!(second["timestamp"].as_f64() > Some(timestamp));

    send(&mut ws, json!({"type": "pong"})).await;
    barrier(&mut ws).await;
    let view = state(&service).await;
    assert_eq!(view["ws_pongs_received"], 1);
    assert_eq!(view["ws_subscribers"], json!({"alerts": 1}));
    fleet.shutdown().await;
}

#[tokio::test]
async fn breaker_transitions_are_sent_on_the_breakers_channel_only() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    let mut breakers = connect(&service, "/ws/breakers").await;
    let mut other = connect(&service, "/ws/prices").await;
    let before = now_ms();
    set(
        &service,
        json!({"breakers": {"swap": {"state": "OPEN", "failures": 5}}}),
    )
    .await;
    let message = data_within(&mut breakers, Duration::from_secs(1)).await;
    assert_eq!(message["type"], "data");
    assert_eq!(message["channel"], "breakers");
    assert_eq!(message["data"]["name"], "swap");
    assert_eq!(message["data"]["state"], "OPEN");
    assert_eq!(message["data"]["failures"], 5);
    let changed_at = message["data"]["changed_at_ms"]
        .as_i64()
        .unwrap_or_default();
    assert!((before - 50..=now_ms() + 50).contains(&changed_at));
    // The other channel got nothing before the answer to its ping.
    barrier(&mut other).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_full_channel_refuses_with_1008() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    set(&service, json!({"ws_channel_limit": 3})).await;
    let mut admitted = Vec::new();
    for _ in 0..3 {
        let mut ws = connect(&service, "/ws/breakers").await;
        barrier(&mut ws).await;
        admitted.push(ws);
    }
    let mut refused = connect(&service, "/ws/breakers").await;
    let frame = close_frame(&mut refused).await;
    assert_eq!(u16::from(frame.code), 1008);
    assert_eq!(frame.reason.as_str(), "Channel full");
    // The limit is per channel.
    let mut elsewhere = connect(&service, "/ws/alerts").await;
    barrier(&mut elsewhere).await;

    let view = state(&service).await;
    assert_eq!(view["ws_connection_attempts"], 5);
    assert_eq!(view["ws_refused"], 1);
    assert_eq!(view["ws_active"], 4);
    assert_eq!(view["ws_subscribers"], json!({"alerts": 1, "breakers": 3}));

    // A place that frees up can be taken again.
    if let Some(ws) = admitted.pop() {
        hang_up(ws).await;
    }
    state_until(&service, |view| view["ws_subscribers"]["breakers"] == 2).await;
    let mut again = connect(&service, "/ws/breakers").await;
    barrier(&mut again).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_default_limit_is_a_hundred_per_channel() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    assert_eq!(state(&service).await["ws_channel_limit"], 100);
    let mut admitted = Vec::new();
    for _ in 0..100 {
        admitted.push(connect(&service, "/ws/breakers").await);
    }
    let mut refused = connect(&service, "/ws/breakers").await;
    let frame = close_frame(&mut refused).await;
    assert_eq!(u16::from(frame.code), 1008);
    assert_eq!(frame.reason.as_str(), "Channel full");
    let view = state(&service).await;
    assert_eq!(view["ws_active"], 100);
    assert_eq!(view["ws_refused"], 1);
    fleet.shutdown().await;
}
