//! The messages of the stream shapes in docs/contracts.md ("Streams"): `breaker-registry`'s
//! `subscribe`/`data`/`error`/`ping`, and `emergency-controls`' heartbeat `ping` with a
//! timestamp. A breaker in a `data` message becomes a [`Breaker`]; anything else is
//! counted, never fatal.

use serde_json::{json, Value};

use crate::model::Breaker;
use crate::profiles::words::breaker_state;

/// One text frame, understood.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamMessage {
    /// An application-level ping: answered with `{"type":"pong"}`.
    Ping,
    /// Data on a channel; `breaker` when it describes one.
    Data {
        channel: Option<String>,
        breaker: Option<Breaker>,
    },
    /// The server's own error message.
    Error(String),
    /// Valid JSON of a type this console does not know.
    Unknown(String),
    /// Not JSON, or not an object with a `type`.
    Invalid(String),
}

pub fn parse(text: &str) -> StreamMessage {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return StreamMessage::Invalid(format!("not JSON: {e}")),
    };
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return StreamMessage::Invalid("no `type` field".into());
    };
    match kind {
        "ping" => StreamMessage::Ping,
        "error" => StreamMessage::Error(
            value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_string(),
        ),
        "data" => StreamMessage::Data {
            channel: value
                .get("channel")
                .and_then(Value::as_str)
                .map(str::to_string),
            breaker: value.get("data").and_then(breaker),
        },
        other => StreamMessage::Unknown(other.to_string()),
    }
}

/// A breaker described by `{"name", "state", "failure_count" | "failures"}`.
fn breaker(data: &Value) -> Option<Breaker> {
    let name = data.get("name")?.as_str()?;
    let state = breaker_state(data.get("state")?.as_str()?);
    let failures = data
        .get("failure_count")
        .or_else(|| data.get("failures"))
        .and_then(Value::as_f64);
    Some(Breaker {
        name: name.to_string(),
        state,
        failure_count: failures,
        success_count: data.get("success_count").and_then(Value::as_f64),
        failure_rate: None,
        backoff_seconds: data.get("current_backoff_seconds").and_then(Value::as_f64),
        health_score: data.get("health_score").and_then(Value::as_f64),
        call_count: None,
        since: None,
        reason: None,
    })
}

pub fn subscribe(channel: &str) -> String {
    json!({"type": "subscribe", "channel": channel}).to_string()
}

pub fn pong() -> String {
    json!({"type": "pong"}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BreakerState;

    #[test]
    fn both_ping_shapes_are_pings() {
        assert_eq!(parse(r#"{"type": "ping"}"#), StreamMessage::Ping);
        assert_eq!(
            parse(r#"{"type": "ping", "timestamp": 12345.6}"#),
            StreamMessage::Ping
        );
    }

    #[test]
    fn breaker_data_becomes_a_breaker() {
        let message = parse(
            r#"{"type": "data", "channel": "breakers", "data": {"name": "exchange_api", "state": "HALF_OPEN", "failure_count": 3}}"#,
        );
        let StreamMessage::Data {
            channel,
            breaker: Some(b),
        } = message
        else {
            panic!("{message:?}")
        };
        assert_eq!(channel.as_deref(), Some("breakers"));
        assert_eq!(
            (b.name.as_str(), b.state, b.failure_count),
            ("exchange_api", BreakerState::HalfOpen, Some(3.0))
        );
        let emergency = parse(
            r#"{"type": "data", "channel": "breakers", "data": {"name": "swap", "state": "OPEN", "failures": 5}}"#,
        );
        assert!(
            matches!(emergency, StreamMessage::Data { breaker: Some(Breaker { failure_count: Some(f), .. }), .. } if f == 5.0)
        );
    }

    #[test]
    fn market_data_is_data_without_a_breaker() {
        let message =
            parse(r#"{"type": "data", "channel": "market:BTC/USDT", "data": {"price": 1}}"#);
        assert_eq!(
            message,
            StreamMessage::Data {
                channel: Some("market:BTC/USDT".into()),
                breaker: None
            }
        );
    }

    #[test]
    fn garbage_and_strangers_are_classified_not_fatal() {
        assert!(matches!(
            parse("\u{1}\u{2}garbage"),
            StreamMessage::Invalid(_)
        ));
        assert!(matches!(parse("[1,2]"), StreamMessage::Invalid(_)));
        assert_eq!(
            parse(r#"{"type": "hello"}"#),
            StreamMessage::Unknown("hello".into())
        );
        assert_eq!(
            parse(r#"{"type": "error", "message": "unknown channel"}"#),
            StreamMessage::Error("unknown channel".into())
        );
    }

    #[test]
    fn outgoing_messages_follow_the_contract() {
        let value: Value = serde_json::from_str(&subscribe("breakers")).unwrap();
        assert_eq!(value, json!({"type": "subscribe", "channel": "breakers"}));
        assert_eq!(
            serde_json::from_str::<Value>(&pong()).unwrap(),
            json!({"type": "pong"})
        );
    }
}
