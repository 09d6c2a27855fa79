//! The `emergency-controls` stream (docs/contracts.md): `WS /ws/{channel}`,
//! a heartbeat `{"type":"ping","timestamp":12345.6}` every 30 s (the fleet's
//! wall clock in seconds since the Unix epoch *(chosen)*), and at most 100
//! connections per channel: the next one is closed with 1008 "Channel full".
//!
//! The channel is the path; there are no subscriptions. On `/ws/breakers`
//! *(chosen)* every transition of the service's breakers is sent as
//! `{"type":"data","channel":"breakers","data":{"name":"swap","state":"OPEN",
//! "failures":5,"changed_at_ms":…}}`, `failures` being this profile's
//! spelling (see `/api/v1/admin/emergency/status`). Any other channel only
//! gets heartbeats. A client's `{"type":"pong"}` is counted and its
//! `{"type":"ping"}` answered `{"type":"pong"}`; anything else it sends is
//! ignored, as the contract defines nothing a client says.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::hub::{Count, Presence};
use super::session::{self, Dialect, Link};
use super::settings::StreamFault;
use super::{cut, BREAKERS, CLIENT_MESSAGE_LIMIT};
use crate::clock::Clock;
use crate::dynamics::timeline::round_to;
use crate::dynamics::transitions::Transition;
use crate::profiles::{error, Simulation};
use crate::state::ServiceState;

/// The close code and reason of a full channel.
pub(crate) const CHANNEL_FULL_CODE: u16 = 1008;
pub(crate) const CHANNEL_FULL_REASON: &str = "Channel full";

pub(crate) fn routes<M: Simulation>() -> Router<Arc<ServiceState<M>>> {
    Router::new().route("/ws/{channel}", get(connect::<M>))
}

/// Every upgrade request is counted; then it is refused (bad name, `drop`,
/// channel full) or served.
async fn connect<M: Simulation>(
    State(state): State<Arc<ServiceState<M>>>,
    Path(channel): Path<String>,
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
    if !valid_channel(&channel) {
        hub.count(Count::Refused);
        return error(
            StatusCode::BAD_REQUEST,
            format!("a channel is 1 to 64 letters, digits, '_', '-', '.' or ':', got {channel:?}"),
        );
    }
    let settings = hub.settings();
    if settings.fault == StreamFault::Drop {
        hub.count(Count::Refused);
        return upgrade.on_upgrade(cut);
    }
    match hub.connect_to(&channel, settings.channel_limit) {
        Some(presence) => {
            let link = Link::new(hub, presence, Emergency);
            upgrade.on_upgrade(move |socket| session::run(state, socket, link))
        }
        None => {
            hub.count(Count::Refused);
            upgrade.on_upgrade(move |socket| {
                session::refuse(state, socket, CHANNEL_FULL_CODE, CHANNEL_FULL_REASON)
            })
        }
    }
}

fn valid_channel(channel: &str) -> bool {
    (1..=64).contains(&channel.len())
        && channel
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
}

/// The `emergency-controls` dialect.
pub(crate) struct Emergency;

impl Dialect for Emergency {
    /// The contract closes no idle connection: clients only listen here.
    const IDLES: bool = false;

    fn ping(&self, clock: &Clock, now: Duration) -> Value {
        json!({"type": "ping", "timestamp": round_to(clock.wall_seconds(now), 3)})
    }

    fn transition(&self, transition: &Transition, clock: &Clock) -> Value {
        json!({
            "type": "data",
            "channel": BREAKERS,
            "data": {
                "name": transition.name,
                "state": transition.state.as_str(),
                "failures": transition.failure_count,
                "changed_at_ms": clock.wall_ms(transition.at),
            },
        })
    }

    fn channel_data(&self, _channel: &str, _clock: &Clock, _now: Duration) -> Option<Value> {
        None
    }

    fn on_text(
        &mut self,
        text: &str,
        presence: &mut Presence,
        _clock: &Clock,
        _now: Duration,
    ) -> Vec<Value> {
        let kind = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|message| Some(message.get("type")?.as_str()?.to_owned()));
        match kind.as_deref() {
            Some("pong") => {
                presence.hub().count(Count::Pong);
                Vec::new()
            }
            Some("ping") => vec![json!({"type": "pong"})],
            _ => Vec::new(),
        }
    }

    fn on_binary(&mut self) -> Vec<Value> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::hub::StreamHub;

    #[test]
    fn channel_names_are_short_and_plain() {
        assert!(valid_channel("breakers"));
        assert!(valid_channel("market:BTC-USDT.v2"));
        assert!(!valid_channel(""));
        assert!(!valid_channel("a b"));
        assert!(!valid_channel(&"x".repeat(65)));
    }

    #[test]
    fn heartbeats_carry_seconds_and_pongs_are_counted() {
        let clock = Clock::start();
        let ping = Emergency.ping(&clock, Duration::from_millis(1500));
        let seconds = ping["timestamp"].as_f64().unwrap_or_default();
        assert!((seconds - clock.wall_seconds(Duration::ZERO) - 1.5).abs() < 0.01);
        let hub = StreamHub::new();
        let mut presence = hub.connect();
        let answer = Emergency.on_text(r#"{"type":"pong"}"#, &mut presence, &clock, Duration::ZERO);
        assert!(answer.is_empty());
        assert_eq!(hub.view()["ws_pongs_received"], 1);
        let answer = Emergency.on_text("junk", &mut presence, &clock, Duration::ZERO);
        assert!(answer.is_empty());
    }
}
