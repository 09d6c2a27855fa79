//! Helpers for the stream tests: a tokio-tungstenite client on a service's
//! stream paths, reading with a bound so a broken fleet fails a test
//! instead of hanging it. Timeouts here are failure bounds, never a way to
//! wait for something to happen.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use switchyard_fleet::RunningService;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{
    connect_async, connect_async_with_config, MaybeTlsStream, WebSocketStream,
};

use crate::support::state;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a read may take before the test fails, in real time.
pub const WAIT: Duration = Duration::from_secs(5);

/// `ws://127.0.0.1:PORT{path}`.
pub fn url(service: &RunningService, path: &str) -> String {
    format!("{}{path}", service.base_url.replacen("http://", "ws://", 1))
}

/// A connection that must complete its handshake.
pub async fn connect(service: &RunningService, path: &str) -> Ws {
    let (ws, _) = tokio::time::timeout(WAIT, connect_async(url(service, path)))
        .await
        .expect("the handshake within the bound")
        .expect("the handshake succeeds");
    ws
}

/// As [`connect`], with a client-side limit on message size.
pub async fn connect_limited(service: &RunningService, path: &str, max_bytes: usize) -> Ws {
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_bytes))
        .max_frame_size(Some(max_bytes));
    let (ws, _) = tokio::time::timeout(
        WAIT,
        connect_async_with_config(url(service, path), Some(config), false),
    )
    .await
    .expect("the handshake within the bound")
    .expect("the handshake succeeds");
    ws
}

/// The next frame (`None` at the end of the stream), within `bound`.
pub async fn frame_within(ws: &mut Ws, bound: Duration) -> Option<Result<Message, Error>> {
    tokio::time::timeout(bound, ws.next())
        .await
        .expect("a frame (or the end) within the bound")
}

/// The next frame, within [`WAIT`].
pub async fn frame(ws: &mut Ws) -> Option<Result<Message, Error>> {
    frame_within(ws, WAIT).await
}

/// The next text frame parsed as JSON, skipping WebSocket-level pings and
/// pongs; panics on anything else.
pub async fn json_within(ws: &mut Ws, bound: Duration) -> Value {
    loop {
        match frame_within(ws, bound).await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).expect("a JSON message")
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

pub async fn json(ws: &mut Ws) -> Value {
    json_within(ws, WAIT).await
}

/// The next JSON message other than the server's pings.
pub async fn data_within(ws: &mut Ws, bound: Duration) -> Value {
    loop {
        let message = json_within(ws, bound).await;
        if message["type"] != "ping" {
            return message;
        }
    }
}

pub async fn data(ws: &mut Ws) -> Value {
    data_within(ws, WAIT).await
}

pub async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string()))
        .await
        .expect("the message is sent");
}

/// Sends any frame, e.g. text that is not JSON.
pub async fn send_raw(ws: &mut Ws, message: Message) {
    ws.send(message).await.expect("the frame is sent");
}

/// Sends `{"type":"ping"}` and waits for the `{"type":"pong"}`, skipping
/// the server's own pings: once it arrives, everything sent before has
/// been handled, since a connection handles its messages in order.
/// Panics on any other message in between.
pub async fn barrier(ws: &mut Ws) {
    send(ws, json!({"type": "ping"})).await;
    let answer = data(ws).await;
    assert_eq!(answer, json!({"type": "pong"}), "nothing but the pong");
}

/// Subscribes to `channel` and waits until the server has handled it.
pub async fn subscribe(ws: &mut Ws, channel: &str) {
    send(ws, json!({"type": "subscribe", "channel": channel})).await;
    barrier(ws).await;
}

/// Reads up to the close frame (skipping other frames) and answers it.
pub async fn close_frame(ws: &mut Ws) -> CloseFrame {
    loop {
        match frame(ws).await {
            Some(Ok(Message::Close(Some(frame)))) => return frame,
            Some(Ok(Message::Close(None))) | None => panic!("closed without a close frame"),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("failed before a close frame: {error}"),
        }
    }
}

/// Closes from the client side and reads to the end of the stream.
pub async fn hang_up(mut ws: Ws) {
    let _ = ws.close(None).await;
    while let Some(Ok(_)) = frame(&mut ws).await {}
}

/// Whether the connection ends (error or end of stream) without a close
/// frame, skipping whatever arrives first.
pub async fn cut_without_close(ws: &mut Ws) -> bool {
    loop {
        match frame(ws).await {
            None | Some(Err(_)) => return true,
            Some(Ok(Message::Close(_))) => return false,
            Some(Ok(_)) => {}
        }
    }
}

/// Polls `GET /_fleet/state` until `done` holds (for what the server does
/// after a client has gone, which no message can confirm); panics after
/// [`WAIT`].
pub async fn state_until(service: &RunningService, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let view = state(service).await;
        if done(&view) {
            return view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "state never got there: {view}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The system clock in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}
