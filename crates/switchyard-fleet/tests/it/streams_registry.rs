//! `breaker-registry` streams (docs/contracts.md): subscriptions, breaker
//! transitions on `/api/ws/breakers` from every cause, pings and pongs,
//! errors, idle timeout, and `/api/ws/stats` counting real connections.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use switchyard_fleet::{Fleet, FleetSpec, Profile, Script, ServiceSpec};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{ok_json, post, quiet, set, state};
use crate::ws::{
    barrier, close_frame, connect, data, data_within, frame, hang_up, json, now_ms, send, send_raw,
    state_until, subscribe,
};

/// "Within a blink": a transition the control API makes reaches a
/// subscriber well inside this, on loopback.
const PROMPTLY: Duration = Duration::from_secs(1);

#[tokio::test]
async fn every_breaker_change_reaches_subscribers_at_once() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut ws = connect(&service, "/api/ws/breakers").await;
    subscribe(&mut ws, "breakers").await;

    let before = now_ms();
    set(
        &service,
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await;
    let opened = data_within(&mut ws, PROMPTLY).await;
    let after = now_ms();
    assert_eq!(opened["type"], "data");
    assert_eq!(opened["channel"], "breakers");
    let fields = &opened["data"];
    assert_eq!(fields["name"], "exchange_api");
    assert_eq!(fields["state"], "OPEN");
    assert_eq!(fields["failure_count"], 7);
    let changed_at = fields["changed_at_ms"].as_i64().expect("changed_at_ms");
    // The fleet's wall clock runs on the monotonic clock from its start:
    // allow a little drift against the system clock.
    assert!(
        (before - 50..=after + 50).contains(&changed_at),
        "{before} ≤ {changed_at} ≤ {after}"
    );

    let (status, _) = post(&service, "/api/circuit-breakers/exchange_api/reset", "").await;
    assert_eq!(status, StatusCode::OK);
    let reset = data_within(&mut ws, PROMPTLY).await;
    assert_eq!(reset["data"]["state"], "CLOSED");
    assert_eq!(reset["data"]["failure_count"], 0);

    set(
        &service,
        json!({"breakers": {"redis": {"state": "half-open"}}}),
    )
    .await;
    let half_open = data_within(&mut ws, PROMPTLY).await;
    assert_eq!(half_open["data"]["name"], "redis");
    assert_eq!(half_open["data"]["state"], "HALF_OPEN");

    // Not a transition: counts change, the state does not.
    set(
        &service,
        json!({"breakers": {"redis": {"failure_count": 2}}}),
    )
    .await;
    barrier(&mut ws).await;
    fleet.shutdown().await;
}

/// The demo timeline, entered 399 s into its cycles, fails `database`
/// from its first second: five failures trip it about 5 s in. Nobody
/// polls, yet the stream tells. (Real time: paused time does not mix
/// reliably with real sockets.)
#[tokio::test]
async fn the_dynamics_transitions_are_streamed_without_polling() {
    let script = Script::seed(Profile::BreakerRegistry).with_offset(Duration::from_secs(399));
    let fleet = Fleet::start(FleetSpec {
        services: vec![ServiceSpec {
            name: "trading-api".to_owned(),
            tags: Vec::new(),
            script,
        }],
    })
    .await
    .expect("the fleet starts");
    let service = fleet.services()[0].clone();
    assert_eq!(service.profile, "breaker-registry");
    let mut ws = connect(&service, "/api/ws/breakers").await;
    subscribe(&mut ws, "breakers").await;
    let started = now_ms();

    let tripped = data_within(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(tripped["data"]["name"], "database");
    assert_eq!(tripped["data"]["state"], "OPEN");
    assert_eq!(tripped["data"]["failure_count"], 5);
    let changed_at = tripped["data"]["changed_at_ms"]
        .as_i64()
        .unwrap_or_default();
    // On a whole simulated second, announced within the ticker's period.
    assert!(changed_at >= started, "{changed_at} vs {started}");
    assert!(now_ms() - changed_at < 1000, "announced late");
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_server_pings_and_counts_the_pongs() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    set(&service, json!({"ws_ping_interval_ms": 100})).await;
    let mut ws = connect(&service, "/api/ws/market-stream").await;
    assert_eq!(json(&mut ws).await, json!({"type": "ping"}));
    send(&mut ws, json!({"type": "pong"})).await;
    barrier(&mut ws).await;
    let view = state(&service).await;
    assert_eq!(view["ws_pongs_received"], 1);
    assert_eq!(view["ws_ping_interval_ms"], 100);
    assert!(view["ws_messages_sent"].as_u64() >= Some(2), "{view}");
    fleet.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_error_messages_and_the_connection_lives_on() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut ws = connect(&service, "/api/ws/portfolio-updates").await;
    send(
        &mut ws,
        json!({"type": "subscribe", "channel": "market:nonsense"}),
    )
    .await;
    let unknown = json(&mut ws).await;
    assert_eq!(unknown["type"], "error");
    let message = unknown["message"].as_str().unwrap_or_default();
    assert!(message.contains("unknown channel"), "{message}");

    send_raw(&mut ws, Message::text("{not json")).await;
    assert!(json(&mut ws).await["message"]
        .as_str()
        .unwrap_or_default()
        .contains("invalid JSON"));
    send(&mut ws, json!({"type": "teleport"})).await;
    assert_eq!(json(&mut ws).await["type"], "error");
    send(&mut ws, json!({"type": "subscribe"})).await;
    assert_eq!(json(&mut ws).await["type"], "error");
    send_raw(&mut ws, Message::binary(vec![1u8, 2, 3])).await;
    assert_eq!(json(&mut ws).await["type"], "error");

    barrier(&mut ws).await;
    let view = state(&service).await;
    assert_eq!(view["ws_errors_sent"], 5);
    assert_eq!(view["ws_messages_received"], 6);
    assert_eq!(view["ws_subscribers"], json!({}));
    fleet.shutdown().await;
}

#[tokio::test]
async fn stats_count_live_connections_and_subscriptions() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    assert_eq!(
        ok_json(&service, "/api/ws/stats").await,
        json!({"active_connections": 0, "channels": {}})
    );
    let mut first = connect(&service, "/api/ws/market-stream").await;
    let mut second = connect(&service, "/api/ws/breakers").await;
    send(
        &mut first,
        json!({"type": "subscribe", "channel": "market:BTC/USDT"}),
    )
    .await;
    // A market subscriber gets the latest tick at once.
    let tick = data(&mut first).await;
    assert_eq!(tick["channel"], "market:BTC/USDT");
    assert_eq!(tick["data"]["symbol"], "BTC/USDT");
    assert!(tick["data"]["price"].as_f64() > Some(0.0));
    subscribe(&mut first, "breakers").await;
    subscribe(&mut second, "breakers").await;
    assert_eq!(
        ok_json(&service, "/api/ws/stats").await,
        json!({"active_connections": 2, "channels": {"breakers": 2, "market:BTC/USDT": 1}})
    );
    let view = state(&service).await;
    assert_eq!(view["ws_active"], 2);
    assert_eq!(view["ws_connection_attempts"], 2);
    assert_eq!(
        view["ws_subscribers"],
        json!({"breakers": 2, "market:BTC/USDT": 1})
    );

    send(
        &mut first,
        json!({"type": "unsubscribe", "channel": "market:BTC/USDT"}),
    )
    .await;
    barrier(&mut first).await;
    hang_up(second).await;
    let view = state_until(&service, |view| view["ws_active"] == 1).await;
    assert_eq!(view["ws_subscribers"], json!({"breakers": 1}));
    assert_eq!(
        ok_json(&service, "/api/ws/stats").await,
        json!({"active_connections": 1, "channels": {"breakers": 1}})
    );

    // Pinned numbers win until the script resumes.
    set(&service, json!({"ws": {"active_connections": 3}})).await;
    assert_eq!(
        ok_json(&service, "/api/ws/stats").await,
        json!({"active_connections": 3, "channels": {"breakers": 1}})
    );
    post(&service, "/_fleet/script", r#"{"running": true}"#).await;
    assert_eq!(
        ok_json(&service, "/api/ws/stats").await["active_connections"],
        1
    );
    hang_up(first).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    set(&service, json!({"ws_idle_timeout_ms": 200})).await;
    let started = tokio::time::Instant::now();
    let mut idle = connect(&service, "/api/ws/breakers").await;
    let frame_of = close_frame(&mut idle).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(u16::from(frame_of.code), 1000);
    assert_eq!(frame_of.reason.as_str(), "Idle timeout");
    state_until(&service, |view| view["ws_active"] == 0).await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn subscribers_of_markets_get_ticks_every_second() {
    let (fleet, service) = quiet(Profile::BreakerRegistry).await;
    let mut ws = connect(&service, "/api/ws/market-stream").await;
    send(
        &mut ws,
        json!({"type": "subscribe", "channel": "portfolio:updates"}),
    )
    .await;
    for _ in 0..2 {
        let update = data(&mut ws).await;
        assert_eq!(update["channel"], "portfolio:updates");
        assert!(update["data"]["total_value"].is_number());
    }
    // Ended by the fleet: a close frame with 1001.
    fleet.shutdown().await;
    let ended = close_frame(&mut ws).await;
    assert_eq!(u16::from(ended.code), 1001);
    let _ = frame(&mut ws).await;
}
