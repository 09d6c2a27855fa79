//! Stream sessions against the fleet's real WebSocket endpoints: news faster than polls,
//! reconnects that back off, refusals on the slow path, silence, garbage, oversized
//! frames and floods. Backoff figures are scaled down (milliseconds for seconds) so the
//! behaviour of a minute shows in a few seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchyard_core::backoff::Backoff;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::{Config, ServiceConfig, StreamConfig};
use switchyard_core::engine::EngineHandle;
use switchyard_core::model::ServiceState;
use switchyard_core::model::{BreakerState, StreamState};
use switchyard_core::store::{Store, TimeRange};
use switchyard_fleet::{Fleet, FleetSpec, Profile as SimProfile, ServiceSpec};

use crate::support::{base_url, set, wait_for};

const MS: Duration = Duration::from_millis(1);

async fn fleet_of(profile: SimProfile, name: &str) -> Fleet {
    Fleet::start(FleetSpec {
        services: vec![ServiceSpec::quiet(profile, name)],
    })
    .await
    .unwrap()
}

/// The fleet's service with one stream and a poll interval long enough that anything
/// seen after the first poll came through the stream.
fn streaming(
    fleet: &Fleet,
    path: &str,
    subscribe: &[&str],
    tune: impl Fn(&mut StreamConfig),
) -> Config {
    let mut config = Config::parse(&fleet.config_toml("60s", "2s")).unwrap();
    let service: &mut ServiceConfig = &mut config.services[0];
    let mut stream = StreamConfig::new(path);
    stream.subscribe = subscribe.iter().map(|s| s.to_string()).collect();
    stream.reconnect = Backoff {
        min: 50 * MS,
        max: 400 * MS,
    };
    tune(&mut stream);
    service.streams = vec![stream];
    config
}

fn stream_state(state: &ServiceState) -> Option<StreamState> {
    state.streams.first().map(|s| s.state)
}

async fn fleet_state(fleet: &Fleet, name: &str) -> Value {
    reqwest::get(format!("{}/_fleet/state", base_url(fleet, name)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tripped_breaker_arrives_through_the_stream_before_any_poll() {
    let fleet = fleet_of(SimProfile::BreakerRegistry, "registry").await;
    let config = streaming(&fleet, "/api/ws/breakers", &["breakers"], |_| {});
    let dir = tempfile::tempdir().unwrap();
    let store = switchyard_core::store::Store::open(&dir.path().join("h.db"))
        .await
        .unwrap();
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    let mut events = crate::support::events_of(&engine);
    wait_for(
        &mut events,
        "registry",
        "first poll and a live stream",
        |s| s.last_good.is_some() && stream_state(s) == Some(StreamState::Live),
    )
    .await;

    let started = Instant::now();
    set(
        &fleet,
        "registry",
        json!({"breakers": {"exchange_api": {"state": "OPEN", "failure_count": 7}}}),
    )
    .await;
    wait_for(&mut events, "registry", "exchange_api open", |s| {
        s.last_good.as_ref().is_some_and(|o| {
            o.breakers
                .iter()
                .any(|b| b.name == "exchange_api" && b.state == BreakerState::Open)
        })
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let polls =
        fleet_state(&fleet, "registry").await["requests"]["/api/circuit-breakers/stats"].as_u64();
    assert_eq!(
        polls,
        Some(1),
        "only the first poll happened: the stream brought the news"
    );

    engine.shutdown().await;
    let transitions = store
        .transitions("registry", chrono::DateTime::<chrono::Utc>::MIN_UTC)
        .await
        .unwrap();
    assert!(transitions
        .iter()
        .any(|t| t.breaker == "exchange_api" && t.to_state == "open" && t.source == "stream"));
    let stream_states: Vec<String> = store
        .stream_states_between(Some("registry"), switchyard_core::store::TimeRange::all())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.state)
        .collect();
    // A session starts as connecting; its first change of state is to live.
    assert_eq!(
        stream_states,
        ["live"],
        "the history keeps the stream's changes of state"
    );
    fleet.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_reconnect_with_backoff_not_in_a_tight_loop() {
    let fleet = fleet_of(SimProfile::BreakerRegistry, "registry").await;
    let config = streaming(&fleet, "/api/ws/breakers", &["breakers"], |_| {});
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);
    wait_for(&mut events, "registry", "live", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;

    let before = fleet_state(&fleet, "registry").await["ws_connection_attempts"]
        .as_u64()
        .unwrap_or(0);
    set(&fleet, "registry", json!({"stream_fault": "drop"})).await;
    let window = Instant::now();
    wait_for(&mut events, "registry", "backing off", |s| {
        stream_state(s) == Some(StreamState::BackingOff)
    })
    .await;
    // Three seconds of forced failures at a 50 ms floor doubling to a 400 ms cap: about
    // ten attempts. A tight loop would make thousands.
    let mut seen_retry = false;
    while window.elapsed() < Duration::from_secs(3) {
        let state = wait_for(&mut events, "registry", "any update", |_| true).await;
        seen_retry |= state.streams[0].retry_at.is_some();
    }
    let attempts = fleet_state(&fleet, "registry").await["ws_connection_attempts"]
        .as_u64()
        .unwrap_or(0)
        - before;
    assert!(
        (3..=25).contains(&attempts),
        "{attempts} connection attempts in 3 s"
    );
    assert!(seen_retry, "the UI is told when the next attempt is due");

    set(&fleet, "registry", json!({"stream_fault": "none"})).await;
    wait_for(&mut events, "registry", "live again", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;
    engine.shutdown().await;
    fleet.shutdown().await;
}

/// The waits between reconnections grow with the failures, up to the cap: each wait is
/// at least the floor and at most the doubled ceiling for its attempt (50, 100, 200,
/// then 400 ms), and later waits do reach past what the early ones could.
#[tokio::test]
async fn reconnect_waits_grow_with_failures_up_to_the_cap() {
    let fleet = fleet_of(SimProfile::BreakerRegistry, "registry").await;
    let config = streaming(&fleet, "/api/ws/breakers", &["breakers"], |_| {});
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);
    wait_for(&mut events, "registry", "live", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;

    set(&fleet, "registry", json!({"stream_fault": "drop"})).await;
    // Each backing-off spell once: (when it began, when the next attempt is due).
    let mut waits: Vec<(chrono::DateTime<chrono::Utc>, i64)> = Vec::new();
    while waits.len() < 14 {
        let state = wait_for(&mut events, "registry", "backing off", |s| {
            stream_state(s) == Some(StreamState::BackingOff) && s.streams[0].retry_at.is_some()
        })
        .await;
        let status = &state.streams[0];
        if waits
            .last()
            .is_some_and(|(since, _)| *since == status.since)
        {
            continue;
        }
        let wait = (status.retry_at.unwrap() - status.since).num_milliseconds();
        waits.push((status.since, wait));
    }
    let waits: Vec<i64> = waits.into_iter().map(|(_, wait)| wait).collect();
    for (n, wait) in waits.iter().enumerate() {
        let ceiling = (50 << n.min(3)).min(400);
        assert!(
            (49..=ceiling + 1).contains(wait),
            "wait {n} was {wait} ms, outside 50..={ceiling}: {waits:?}"
        );
    }
    // Past the fourth attempt the ceiling is the cap: with full jitter, some of ten
    // waits land above 200 ms, which none of the first three could (a chance of
    // about 0.43^10 = 0.02 % to miss).
    assert!(
        waits[4..].iter().any(|wait| *wait > 200),
        "the waits never grew past 200 ms: {waits:?}"
    );

    set(&fleet, "registry", json!({"stream_fault": "none"})).await;
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_full_channel_is_shown_and_retried_on_the_slow_path() {
    let fleet = fleet_of(SimProfile::EmergencyControls, "wallet").await;
    set(&fleet, "wallet", json!({"ws_channel_limit": 1})).await;
    // Someone else holds the only place on the channel.
    let url = format!(
        "{}/ws/breakers",
        base_url(&fleet, "wallet").replacen("http", "ws", 1)
    );
    let (_occupant, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    let config = streaming(&fleet, "/ws/breakers", &[], |_| {});
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);
    let full = wait_for(&mut events, "wallet", "channel full", |s| {
        stream_state(s) == Some(StreamState::ChannelFull)
    })
    .await;
    let status = &full.streams[0];
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("Channel full"),
        "{status:?}"
    );
    let wait = status.retry_at.unwrap() - status.since;
    assert!(
        wait >= chrono::Duration::milliseconds(390),
        "slow path: at least 8 × 50 ms, got {wait}"
    );
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_silent_stream_goes_stale_and_reconnects() {
    let fleet = fleet_of(SimProfile::BreakerRegistry, "registry").await;
    let config = streaming(&fleet, "/api/ws/breakers", &["breakers"], |s| {
        s.heartbeat = 300 * MS
    });
    set(&fleet, "registry", json!({"ws_ping_interval_ms": 100})).await;
    // The feed shows each service at its latest, so a passing state such as "stale"
    // is read where it is kept: the history records every change of a stream's state.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("history.db"))
        .await
        .expect("store");
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    let mut events = crate::support::events_of(&engine);
    let live = wait_for(&mut events, "registry", "live", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;
    let attempts_before = fleet_state(&fleet, "registry").await["ws_connection_attempts"]
        .as_u64()
        .unwrap_or(0);
    let tried_before = live.streams[0].connection_attempts;

    set(&fleet, "registry", json!({"stream_fault": "silence"})).await;
    wait_for(
        &mut events,
        "registry",
        "a reconnection after the silence",
        |s| s.streams[0].connection_attempts > tried_before,
    )
    .await;
    set(&fleet, "registry", json!({"stream_fault": "none"})).await;
    wait_for(&mut events, "registry", "live again", |s| {
        stream_state(s) == Some(StreamState::Live)
            && s.streams[0].connection_attempts > tried_before
    })
    .await;
    let attempts_after = fleet_state(&fleet, "registry").await["ws_connection_attempts"]
        .as_u64()
        .unwrap_or(0);
    assert!(attempts_after > attempts_before, "it reconnected");
    engine.shutdown().await;
    let states: Vec<String> = store
        .stream_states_between(Some("registry"), TimeRange::all())
        .await
        .expect("stream states")
        .into_iter()
        .map(|row| row.state)
        .collect();
    let stale = states.iter().position(|s| s == "stale");
    assert!(stale.is_some(), "it went stale: {states:?}");
    assert_eq!(
        states.last().map(String::as_str),
        Some("live"),
        "{states:?}"
    );
    store.close().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn garbage_is_counted_and_oversized_frames_reconnect() {
    let fleet = fleet_of(SimProfile::BreakerRegistry, "registry").await;
    let config = streaming(&fleet, "/api/ws/breakers", &["breakers"], |s| {
        s.max_message_bytes = 64 * 1024
    });
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);
    wait_for(&mut events, "registry", "live", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;

    set(&fleet, "registry", json!({"stream_fault": "garbage"})).await;
    let counted = wait_for(&mut events, "registry", "garbage counted", |s| {
        s.streams[0].invalid + s.streams[0].unknown >= 3
    })
    .await;
    assert_eq!(
        counted.streams[0].state,
        StreamState::Live,
        "garbage is never fatal"
    );

    set(
        &fleet,
        "registry",
        json!({"stream_fault": "oversized", "oversized_bytes": 2 * 1024 * 1024}),
    )
    .await;
    let refused = wait_for(&mut events, "registry", "oversized counted", |s| {
        s.streams[0].oversized >= 1
    })
    .await;
    assert!(refused.streams[0]
        .last_error
        .as_deref()
        .unwrap_or_default()
        .contains("cap"));
    set(&fleet, "registry", json!({"stream_fault": "none"})).await;
    wait_for(&mut events, "registry", "live again", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;
    engine.shutdown().await;
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_flood_is_capped_and_counted() {
    let fleet = fleet_of(SimProfile::BreakerRegistry, "registry").await;
    let config = streaming(&fleet, "/api/ws/breakers", &["breakers"], |s| {
        s.max_messages_per_second = 100
    });
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), None);
    let mut events = crate::support::events_of(&engine);
    wait_for(&mut events, "registry", "live", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;

    set(
        &fleet,
        "registry",
        json!({"stream_fault": "flood", "flood_per_second": 5000}),
    )
    .await;
    let flooding = wait_for(&mut events, "registry", "flooding", |s| {
        stream_state(s) == Some(StreamState::Flooding)
    })
    .await;
    assert!(flooding.streams[0].dropped > 0);
    let later = wait_for(&mut events, "registry", "5,000 dropped", |s| {
        s.streams[0].dropped >= 5_000
    })
    .await;
    assert!(
        later.streams[0].messages_per_second > 100,
        "the rate shown is what arrives"
    );
    // Memory under a flood is measured in its own process, by the CLI's tests.

    set(&fleet, "registry", json!({"stream_fault": "none"})).await;
    wait_for(&mut events, "registry", "live again", |s| {
        stream_state(s) == Some(StreamState::Live)
    })
    .await;
    engine.shutdown().await;
    fleet.shutdown().await;
}
