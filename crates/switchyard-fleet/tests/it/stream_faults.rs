//! Stream faults set through `POST /_fleet/set`, each seen from a client:
//! drop (and the attempts it refuses), silence, garbage, an oversized
//! frame, a flood; and the checks on the fields themselves.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use switchyard_fleet::Profile;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::support::{post, quiet, set, state};
use crate::ws::{
    barrier, connect, connect_limited, cut_without_close, data, frame, json, send_raw, subscribe,
    url,
};

#[tokio::test]
async fn drop_cuts_connections_and_every_reconnect_is_counted() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut ws = connect(&service, "/api/ws/breakers").await;
    subscribe(&mut ws, "breakers").await;
    set(&service, json!({"stream_fault": "drop"})).await;
    assert!(cut_without_close(&mut ws).await, "no close frame");

    for _ in 0..3 {
        // Accepted and cut at once (or refused outright): never a session.
        if let Ok((mut retry, _)) = connect_async(url(&service, "/api/ws/breakers")).await {
            assert!(cut_without_close(&mut retry).await);
        }
    }
    let view = state(&service).await;
    assert_eq!(view["stream_fault"], "drop");
    assert_eq!(view["ws_connection_attempts"], 4);
    assert_eq!(view["ws_refused"], 3);
    assert_eq!(view["ws_active"], 0);

    set(&service, json!({"stream_fault": "none"})).await;
    let mut back = connect(&service, "/api/ws/breakers").await;
    barrier(&mut back).await;
    fleet.shutdown().await;
}

/// `drop` on the other dialect, where a refusal must not be mistaken for
/// a full channel.
#[tokio::test]
async fn drop_applies_to_emergency_channels_too() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    let mut ws = connect(&service, "/ws/breakers").await;
    set(&service, json!({"stream_fault": "drop"})).await;
    assert!(cut_without_close(&mut ws).await);
    if let Ok((mut retry, _)) = connect_async(url(&service, "/ws/breakers")).await {
        assert!(cut_without_close(&mut retry).await);
    }
    let view = state(&service).await;
    assert_eq!(
        (
            view["ws_connection_attempts"].as_u64(),
            view["ws_refused"].as_u64()
        ),
        (Some(2), Some(1))
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn silence_stops_pings_and_pong_answers_until_lifted() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    set(&service, json!({"ws_ping_interval_ms": 50})).await;
    let mut ws = connect(&service, "/api/ws/breakers").await;
    assert_eq!(json(&mut ws).await, json!({"type": "ping"}), "pings flow");

    set(&service, json!({"stream_fault": "silence"})).await;
    send_raw(&mut ws, Message::Ping(b"anyone?".to_vec().into())).await;
    // Proving an absence takes a window: ten ping intervals. At most one
    // ping that was already on its way may arrive, and no pong.
    let mut seen = Vec::new();
    while let Ok(next) = tokio::time::timeout(Duration::from_millis(500), frame(&mut ws)).await {
        seen.push(next);
        assert!(seen.len() <= 1, "silence broken: {seen:?}");
    }
    assert!(
        seen.iter().all(|f| matches!(f, Some(Ok(Message::Text(_))))),
        "{seen:?}"
    );

    set(&service, json!({"stream_fault": "none"})).await;
    let mut pong = false;
    let mut ping = false;
    while !(pong && ping) {
        match frame(&mut ws).await {
            Some(Ok(Message::Pong(payload))) => pong = payload.as_ref() == b"anyone?",
            Some(Ok(Message::Text(text))) => ping |= text.as_str() == r#"{"type":"ping"}"#,
            other => panic!("unexpected {other:?}"),
        }
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn garbage_frames_arrive_and_the_session_survives() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut ws = connect(&service, "/api/ws/breakers").await;
    set(&service, json!({"stream_fault": "garbage"})).await;
    let (mut not_json, mut binary, mut unknown_type, mut not_object) = (false, false, false, false);
    while !(not_json && binary && unknown_type && not_object) {
        match frame(&mut ws).await {
            Some(Ok(Message::Binary(bytes))) => binary |= !bytes.is_empty(),
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<Value>(text.as_str()) {
                Err(_) => not_json = true,
                Ok(Value::Object(message)) => {
                    unknown_type |= message.get("type").and_then(Value::as_str) == Some("surprise")
                }
                Ok(_) => not_object = true,
            },
            other => panic!("unexpected {other:?}"),
        }
    }
    set(&service, json!({"stream_fault": "none"})).await;
    barrier(&mut ws).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn an_oversized_frame_has_the_configured_size() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut open = connect(&service, "/api/ws/breakers").await;
    subscribe(&mut open, "breakers").await;
    set(
        &service,
        json!({"stream_fault": "oversized", "oversized_bytes": 1_500_000}),
    )
    .await;
    match frame(&mut open).await {
        Some(Ok(Message::Text(text))) => {
            assert_eq!(text.len(), 1_500_000);
            let message: Value = serde_json::from_str(text.as_str()).expect("still JSON");
            assert_eq!(message["channel"], "breakers");
        }
        other => panic!("expected the oversized frame, got {other:?}"),
    }
    // A new connection gets one too; a client capped at 1 MiB refuses it.
    let mut capped = connect_limited(&service, "/api/ws/breakers", 1024 * 1024).await;
    match frame(&mut capped).await {
        Some(Err(Error::Capacity(_))) => {}
        other => panic!("expected a capacity error, got {other:?}"),
    }
    // The connection that took it lives on.
    barrier(&mut open).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_flood_comes_at_about_the_rate_set_and_stops() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut ws = connect(&service, "/api/ws/breakers").await;
    subscribe(&mut ws, "breakers").await;
    set(
        &service,
        json!({"stream_fault": "flood", "flood_per_second": 2000}),
    )
    .await;
    let first = data(&mut ws).await;
    let names = ["database", "exchange_api", "market_data_feed", "redis"];
    let started = tokio::time::Instant::now();
    let mut received = 1;
    // The window is the measurement: messages per second.
    while started.elapsed() < Duration::from_millis(500) {
        let message = data(&mut ws).await;
        assert_eq!(message["channel"], "breakers");
        let name = message["data"]["name"].as_str().unwrap_or_default();
        assert!(names.contains(&name), "{message}");
        assert_eq!(message["data"]["state"], "CLOSED", "a repeat, not a change");
        received += 1;
    }
    assert_eq!(first["type"], "data");
    // 1000 expected in half a second; a loaded debug build may fall short,
    // but never by far, and never past the rate.
    assert!((200..=1100).contains(&received), "{received}");
    assert!(state(&service).await["ws_messages_sent"].as_u64() >= Some(200));

    let (status, answer) = post(
        &service,
        "/_fleet/set",
        &json!({"flood_per_second": 10_000_000}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    set(&service, json!({"stream_fault": "none"})).await;
    // Whatever was on its way drains before the pong; after it, nothing.
    send_raw(&mut ws, Message::text(r#"{"type":"ping"}"#)).await;
    while data(&mut ws).await["type"] != "pong" {}
    barrier(&mut ws).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn stream_fields_are_refused_where_there_are_no_streams() {
    for profile in [
        Profile::HealthContract,
        Profile::SingleBreaker,
        Profile::HealthLevels,
    ] {
        let (fleet, service) = quiet(profile).await;
        let (status, answer) = post(&service, "/_fleet/set", r#"{"stream_fault": "drop"}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{profile}: {answer}");
        assert!(state(&service)
            .await
            .get("ws_connection_attempts")
            .is_none());
        fleet.shutdown().await;
    }
}

#[tokio::test]
async fn resuming_the_script_lifts_stream_faults() {
    let (fleet, service) = quiet(Profile::EmergencyControls).await;
    let view = set(
        &service,
        json!({"stream_fault": "Garbage", "ws_ping_interval_ms": 200, "ws_channel_limit": 1}),
    )
    .await;
    assert_eq!(view["stream_fault"], "garbage");
    assert_eq!(view["ws_channel_limit"], 1);
    let (_, resumed) = post(&service, "/_fleet/script", r#"{"running": true}"#).await;
    assert_eq!(resumed["stream_fault"], "none");
    assert_eq!(resumed["ws_ping_interval_ms"], 30_000);
    assert_eq!(resumed["ws_channel_limit"], 100);
    fleet.shutdown().await;
}
