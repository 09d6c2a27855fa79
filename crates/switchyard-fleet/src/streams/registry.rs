//! The `breaker-registry` streams (docs/contracts.md): `WS
//! /api/ws/market-stream`, `/api/ws/portfolio-updates` and, *(chosen)*,
//! `/api/ws/breakers`. All three share one hub and one channel namespace
//! (as one server's WebSocket manager would): a client subscribes with
//! `{"type":"subscribe","channel":…}` and leaves with `unsubscribe`.
//!
//! Channels: `breakers` (a message on every transition), `market:BASE/QUOTE`
//! (e.g. `market:BTC/USDT`) and `portfolio:updates` (their latest values at
//! once on subscribing, then every second). The server pings with
//! `{"type":"ping"}`, to be answered `{"type":"pong"}`, and answers a
//! client's `{"type":"ping"}` with `{"type":"pong"}` *(chosen)*, which lets
//! a client (or a test) know everything it sent before has been handled.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::hub::{Count, Presence};
use super::session::{self, Dialect, Link};
use super::settings::StreamFault;
use super::{cut, BREAKERS, CLIENT_MESSAGE_LIMIT};
use crate::clock::Clock;
use crate::dynamics::timeline::{round_to, wave};
use crate::dynamics::transitions::Transition;
use crate::profiles::Simulation;
use crate::state::ServiceState;

pub(crate) const PATHS: [&str; 3] = [
    "/api/ws/market-stream",
    "/api/ws/portfolio-updates",
    "/api/ws/breakers",
];

const PORTFOLIO: &str = "portfolio:updates";

/// Subscriptions one connection may hold: channel names are open-ended
/// (any market pair), the fleet's memory is not.
const SUBSCRIPTION_LIMIT: usize = 64;

pub(crate) fn routes<M: Simulation>() -> Router<Arc<ServiceState<M>>> {
    PATHS.into_iter().fold(Router::new(), |router, path| {
        router.route(path, get(connect::<M>))
    })
}

/// Every upgrade request is counted, then refused under `drop` or served.
async fn connect<M: Simulation>(
    State(state): State<Arc<ServiceState<M>>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let hub = &state.streams;
    hub.count(Count::Attempt);
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade
            .max_message_size(CLIENT_MESSAGE_LIMIT)
            .max_frame_size(CLIENT_MESSAGE_LIMIT),
        Err(rejection) => return rejection.into_response(),
    };
    if hub.settings().fault == StreamFault::Drop {
        hub.count(Count::Refused);
        return upgrade.on_upgrade(cut);
    }
    let link = Link::new(hub, hub.connect(), Registry);
    upgrade.on_upgrade(move |socket| session::run(state, socket, link))
}

/// The `breaker-registry` dialect.
pub(crate) struct Registry;

impl Dialect for Registry {
    const IDLES: bool = true;

    fn ping(&self, _clock: &Clock, _now: Duration) -> Value {
        json!({"type": "ping"})
    }

    /// `{"type":"data","channel":"breakers","data":{"name","state",
    /// "failure_count","changed_at_ms"}}`: the contract's fields, plus the
    /// fleet's wall clock at the transition *(chosen)* so a benchmark can
    /// measure the latency end to end.
    fn transition(&self, transition: &Transition, clock: &Clock) -> Value {
        json!({
            "type": "data",
            "channel": BREAKERS,
            "data": {
                "name": transition.name,
                "state": transition.state.as_str(),
                "failure_count": transition.failure_count,
                "changed_at_ms": clock.wall_ms(transition.at),
            },
        })
    }

    fn channel_data(&self, channel: &str, clock: &Clock, now: Duration) -> Option<Value> {
        let data = if channel == PORTFOLIO {
            portfolio(clock, now)
        } else {
            market(channel.strip_prefix("market:")?, clock, now)
        };
        Some(json!({"type": "data", "channel": channel, "data": data}))
    }

    fn on_text(
        &mut self,
        text: &str,
        presence: &mut Presence,
        clock: &Clock,
        now: Duration,
    ) -> Vec<Value> {
        let message: Value = match serde_json::from_str(text) {
            Ok(message) => message,
            Err(error) => return vec![problem(format!("invalid JSON: {error}"))],
        };
        let Some(kind) = message.get("type").and_then(Value::as_str) else {
            return vec![problem("a message needs a string \"type\"")];
        };
        let channel = message.get("channel").and_then(Value::as_str);
        match (kind, channel) {
            ("ping", _) => vec![json!({"type": "pong"})],
            ("pong", _) => {
                presence.hub().count(Count::Pong);
                Vec::new()
            }
            ("subscribe" | "unsubscribe", None) => {
                vec![problem(format!("{kind} needs a string \"channel\""))]
            }
            ("subscribe", Some(channel)) => subscribe(self, channel, presence, clock, now),
            ("unsubscribe", Some(channel)) => {
                // Leaving a channel one is not in is harmless.
                presence.leave(channel);
                Vec::new()
            }
            (other, _) => vec![problem(format!("unknown message type {other:?}"))],
        }
    }

    fn on_binary(&mut self) -> Vec<Value> {
        vec![problem(
            "binary messages are not understood; send JSON text",
        )]
    }
}

fn subscribe(
    registry: &Registry,
    channel: &str,
    presence: &mut Presence,
    clock: &Clock,
    now: Duration,
) -> Vec<Value> {
    if !known_channel(channel) {
        return vec![problem(format!(
            "unknown channel {channel:?}; known: breakers, {PORTFOLIO}, market:BASE/QUOTE"
        ))];
    }
    if !presence.is_in(channel) && presence.channels().count() >= SUBSCRIPTION_LIMIT {
        return vec![problem(format!(
            "at most {SUBSCRIPTION_LIMIT} subscriptions per connection"
        ))];
    }
    if !presence.join(channel) {
        return Vec::new();
    }
    // A new subscriber to a data channel gets its values at once rather
    // than up to a second later; breakers only speak when one changes.
    registry
        .channel_data(channel, clock, now)
        .into_iter()
        .collect()
}

fn problem(message: impl Into<String>) -> Value {
    json!({"type": "error", "message": message.into()})
}

fn known_channel(channel: &str) -> bool {
    if channel == BREAKERS || channel == PORTFOLIO {
        return true;
    }
    let symbol = |s: &str| {
        (1..=10).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    channel
        .strip_prefix("market:")
        .and_then(|pair| pair.split_once('/'))
        .is_some_and(|(base, quote)| symbol(base) && symbol(quote))
}

/// A market tick for `pair` (`BTC/USDT`): a price drifting around a
/// plausible level.
fn market(pair: &str, clock: &Clock, now: Duration) -> Value {
    let level = match pair.split('/').next() {
        Some("BTC") => 43_250.0,
        Some("ETH") => 2_280.0,
        Some("SOL") => 98.0,
        _ => 100.0,
    };
    let second = now.as_secs();
    let drift = 1.0 + wave(second, 300, 0.02) + wave(second, 17, 0.002);
    json!({
        "symbol": pair,
        "price": round_to(level * drift, 2),
        "timestamp_ms": clock.wall_ms(now),
    })
}

fn portfolio(clock: &Clock, now: Duration) -> Value {
    let second = now.as_secs();
    json!({
        "total_value": round_to(125_000.0 * (1.0 + wave(second, 600, 0.01)), 2),
        "pnl_24h": round_to(wave(second, 600, 1_500.0), 2),
        "positions": 7,
        "timestamp_ms": clock.wall_ms(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::hub::StreamHub;

    #[test]
    fn channels_are_breakers_portfolio_and_market_pairs() {
        for channel in [
            "breakers",
            "portfolio:updates",
            "market:BTC/USDT",
            "market:X1/Y2",
        ] {
            assert!(known_channel(channel), "{channel}");
        }
        for channel in [
            "",
            "market:",
            "market:BTC",
            "market:btc/usdt",
            "market:A/B/C",
            "x",
        ] {
            assert!(!known_channel(channel), "{channel}");
        }
    }

    #[test]
    fn client_messages_subscribe_answer_and_complain() {
        let hub = StreamHub::new();
        let mut presence = hub.connect();
        let (clock, now) = (Clock::start(), Duration::ZERO);
        let mut registry = Registry;
        let mut say =
            |text: &str, presence: &mut Presence| registry.on_text(text, presence, &clock, now);
        assert!(say(
            r#"{"type":"subscribe","channel":"breakers"}"#,
            &mut presence
        )
        .is_empty());
        let tick = say(
            r#"{"type":"subscribe","channel":"market:BTC/USDT"}"#,
            &mut presence,
        );
        assert_eq!(tick[0]["data"]["symbol"], "BTC/USDT");
        assert!(tick[0]["data"]["price"].is_number());
        assert_eq!(hub.occupancy().1.len(), 2);
        assert_eq!(
            say(r#"{"type":"ping"}"#, &mut presence),
            [json!({"type": "pong"})]
        );
        assert!(say(r#"{"type":"pong"}"#, &mut presence).is_empty());
        for bad in [
            "nope",
            r#"{"channel":"breakers"}"#,
            r#"{"type":"subscribe"}"#,
            r#"{"type":"subscribe","channel":"weather"}"#,
            r#"{"type":"teleport"}"#,
        ] {
            let answer = say(bad, &mut presence);
            assert_eq!(answer[0]["type"], "error", "{bad}");
            assert!(answer[0]["message"].is_string(), "{bad}");
        }
        assert!(say(
            r#"{"type":"unsubscribe","channel":"breakers"}"#,
            &mut presence
        )
        .is_empty());
        assert!(!presence.is_in("breakers"));
    }
}
