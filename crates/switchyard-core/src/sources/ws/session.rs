//! One stream session: the connection loop (connect, live, reconnect) and, inside it, a
//! `select!` over shutdown, silence, our own WebSocket pings, a status tick and the next
//! frame. Every way a session can end is a value, not an error, so the loop decides the
//! next wait in one place.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::header::HeaderMap;
use tokio::net::TcpStream;

use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::messages::{self, StreamMessage};
use super::rate::{Admit, RateMeter};
use crate::clock::Clock;
use crate::config::{ServiceConfig, StreamConfig};
use crate::discovery::Instance;
use crate::ingress::{Ingress, News, SourceEvent};
use crate::model::{StreamState, StreamStatus};
use crate::secrets;

/// A connection that stayed up this long was healthy: the next failure starts the
/// backoff afresh.
const HEALTHY_AFTER: Duration = Duration::from_secs(30);
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a connection ended.
enum Ended {
    Shutdown,
    /// Refused with 1008 ("Channel full"): retry on the slow path.
    ChannelFull(String),
    /// Closed, broken, silent or oversized: retry normally. Carries what to show.
    Lost(String),
}

/// Runs one stream of one service until `shutdown`.
pub async fn run(
    service: ServiceConfig,
    stream: StreamConfig,
    clock: Arc<dyn Clock>,
    events: Ingress,
    shutdown: CancellationToken,
) {
    run_for(service, None, stream, clock, events, shutdown).await;
}

/// [`run`] for one instance of a service of several (`service` at the instance's
/// URL): its news is sent as that instance's.
pub async fn run_instance(
    service: ServiceConfig,
    instance: Instance,
    stream: StreamConfig,
    clock: Arc<dyn Clock>,
    events: Ingress,
    shutdown: CancellationToken,
) {
    run_for(service, Some(instance), stream, clock, events, shutdown).await;
}

async fn run_for(
    service: ServiceConfig,
    instance: Option<Instance>,
    stream: StreamConfig,
    clock: Arc<dyn Clock>,
    events: Ingress,
    shutdown: CancellationToken,
) {
    let (headers, _) = secrets::resolve_headers(&service.name, &service.headers);
    let mut session = Session {
        url: stream_url(&service.base_url, &stream.path),
        service: service.name.clone(),
        instance,
        status: StreamStatus::new(&stream.path, clock.now()),
        last_counters: [0; 6],
        stream,
        headers,
        clock,
        events,
    };
    let mut failures = 0u32;
    loop {
        session.set_state(StreamState::Connecting).await;
        session.status.connection_attempts += 1;
        let started = Instant::now();
        let ended = tokio::select! {
            _ = shutdown.cancelled() => Ended::Shutdown,
            ended = session.connect_and_serve(&shutdown) => ended,
        };
        if started.elapsed() >= HEALTHY_AFTER {
            failures = 0;
        }
        failures = failures.saturating_add(1);
        let (state, delay, why) = match ended {
            Ended::Shutdown => return,
            Ended::ChannelFull(why) => (
                StreamState::ChannelFull,
                session
                    .stream
                    .reconnect
                    .slow_delay(failures, fastrand::f64()),
                why,
            ),
            Ended::Lost(why) => (
                StreamState::BackingOff,
                session.stream.reconnect.delay(failures, fastrand::f64()),
                why,
            ),
        };
        session.status.last_error = Some(why);
        session.status.retry_at = chrono::Duration::from_std(delay)
            .ok()
            .map(|d| session.clock.now() + d);
        session.set_state(state).await;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
        session.status.retry_at = None;
    }
}

/// `http://host/…` becomes `ws://host/…`, `https` becomes `wss`.
fn stream_url(base_url: &str, path: &str) -> String {
    let ws_base = if let Some(rest) = base_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base_url.to_string()
    };
    format!("{ws_base}{path}")
}

struct Session {
    service: String,
    /// Set for a session with one instance of a service of several.
    instance: Option<Instance>,
    url: String,
    stream: StreamConfig,
    headers: HeaderMap,
    status: StreamStatus,
    /// The counters as last sent, so an unchanged second sends nothing.
    last_counters: [u64; 6],
    clock: Arc<dyn Clock>,
    events: Ingress,
}

impl Session {
    async fn emit(&self, news: News) {
        let news = match &self.instance {
            Some(instance) => News::InstanceStream {
                instance: instance.clone(),
                news: Box::new(news),
            },
            None => news,
        };
        // The engine gone means we are shutting down; the loop notices the token.
        let _ = self
            .events
            .send(SourceEvent {
                service: self.service.clone(),
                news,
            })
            .await;
    }

    async fn set_state(&mut self, state: StreamState) {
        if self.status.state != state {
            self.status.state = state;
            self.status.since = self.clock.now();
        }
        self.emit(News::StreamStatus(self.status.clone())).await;
    }

    fn place(&self) -> String {
        super::super::http::describe_place(&self.url.replacen("ws", "http", 1))
    }

    async fn connect_and_serve(&mut self, shutdown: &CancellationToken) -> Ended {
        let mut request = match self.url.as_str().into_client_request() {
            Ok(request) => request,
            Err(e) => return Ended::Lost(format!("{} is not a stream URL: {e}", self.place())),
        };
        request.headers_mut().extend(self.headers.clone());
        let max = usize::try_from(self.stream.max_message_bytes).unwrap_or(usize::MAX);
        let config = WebSocketConfig::default()
            .max_message_size(Some(max))
            .max_frame_size(Some(max));
        let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Err(_) => Ended::Lost(format!(
                "{} did not accept the stream within 10s",
                self.place()
            )),
            Ok(Err(e)) => Ended::Lost(self.describe_connect_error(&e)),
            Ok(Ok((socket, _))) => self.serve(socket, shutdown).await,
        }
    }

    fn describe_connect_error(&self, error: &WsError) -> String {
        match error {
            WsError::Http(response) => format!(
                "{} refused the stream: HTTP {}",
                self.place(),
                response.status().as_u16()
            ),
            WsError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("connection refused by {}", self.place())
            }
            other => format!("cannot open the stream at {}: {other}", self.place()),
        }
    }

    async fn serve(&mut self, mut socket: Socket, shutdown: &CancellationToken) -> Ended {
        for channel in &self.stream.subscribe {
            if let Err(e) = socket
                .send(Message::text(messages::subscribe(channel)))
                .await
            {
                return Ended::Lost(format!("cannot subscribe to {channel}: {e}"));
            }
        }
        let heartbeat = self.stream.heartbeat;
        let mut meter = RateMeter::new(self.stream.max_messages_per_second, Instant::now());
        let mut last_frame = Instant::now();
        // Our own WebSocket pings find a dead TCP connection even when the server's
        // application heartbeat is slow.
        let mut ping = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        self.status.last_error = None;
        self.set_state(StreamState::Live).await;
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    let _ = socket.close(None).await;
                    return Ended::Shutdown;
                }
                _ = tokio::time::sleep_until(last_frame + heartbeat * 2) => {
                    let silent = humantime::format_duration(heartbeat * 2);
                    self.set_state(StreamState::Stale).await;
                    return Ended::Lost(format!("no message for {silent}: reconnecting"));
                }
                _ = ping.tick() => {
                    if let Err(e) = socket.send(Message::Ping(Vec::new().into())).await {
                        return Ended::Lost(format!("the stream broke: {e}"));
                    }
                }
                _ = tick.tick() => self.refresh_rate(&mut meter).await,
                frame = socket.next() => {
                    last_frame = Instant::now();
                    match frame {
                        None => return Ended::Lost("the server closed the stream".into()),
                        Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                            self.status.oversized += 1;
                            return Ended::Lost(format!("a message of {size} bytes is over the {max_size}-byte cap"));
                        }
                        Some(Err(e)) => return Ended::Lost(format!("the stream broke: {e}")),
                        Some(Ok(Message::Close(frame))) => {
                            let refused = frame.as_ref().is_some_and(|f| f.code == CloseCode::Policy);
                            let reason = frame.map(|f| f.reason.to_string()).filter(|r| !r.is_empty());
                            return if refused {
                                Ended::ChannelFull(format!("channel full: {}", reason.unwrap_or_else(|| "refused (1008)".into())))
                            } else {
                                Ended::Lost(format!("the server closed the stream{}", reason.map(|r| format!(": {r}")).unwrap_or_default()))
                            };
                        }
                        Some(Ok(Message::Text(text))) => {
                            if meter.admit(Instant::now()) == Admit::Drop {
                                self.status.dropped += 1;
                                continue;
                            }
                            self.status.received += 1;
                            if let Some(reply) = self.handle(&text).await {
                                if let Err(e) = socket.send(Message::text(reply)).await {
                                    return Ended::Lost(format!("the stream broke: {e}"));
                                }
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            self.status.received += 1;
                            self.status.invalid += 1;
                        }
                        // tungstenite answers WebSocket pings itself; pongs only prove life.
                        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    }
                }
            }
        }
    }

    /// Acts on one text message; returns a reply to send, if any.
    async fn handle(&mut self, text: &str) -> Option<String> {
        match messages::parse(text) {
            StreamMessage::Ping => return Some(messages::pong()),
            StreamMessage::Data {
                breaker: Some(breaker),
                ..
            } => {
                let at = self.clock.now();
                self.emit(News::StreamBreaker { breaker, at }).await;
            }
            StreamMessage::Data { breaker: None, .. } => {}
            StreamMessage::Error(message) => {
                self.status.server_errors += 1;
                self.status.last_error = Some(format!("the server said: {message}"));
            }
            StreamMessage::Unknown(_) => self.status.unknown += 1,
            StreamMessage::Invalid(_) => self.status.invalid += 1,
        }
        None
    }

    /// Once a second: the rate, whether the stream is flooding, and the counters, sent
    /// whenever any of them moved (a steady flood still moves `dropped`).
    async fn refresh_rate(&mut self, meter: &mut RateMeter) {
        let now = Instant::now();
        let rate = meter.rate(now);
        let state = if meter.flooding(now) {
            StreamState::Flooding
        } else {
            StreamState::Live
        };
        let counters = self.counters();
        if rate != self.status.messages_per_second
            || state != self.status.state
            || counters != self.last_counters
        {
            self.status.messages_per_second = rate;
            self.last_counters = counters;
            self.set_state(state).await;
        }
    }

    fn counters(&self) -> [u64; 6] {
        let s = &self.status;
        [
            s.received,
            s.invalid,
            s.unknown,
            s.oversized,
            s.dropped,
            s.server_errors,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::stream_url;

    #[test]
    fn stream_urls_follow_the_base_url_scheme() {
        assert_eq!(
            stream_url("http://127.0.0.1:8001", "/api/ws/breakers"),
            "ws://127.0.0.1:8001/api/ws/breakers"
        );
        assert_eq!(
            stream_url("https://orders.example", "/ws/swap"),
            "wss://orders.example/ws/swap"
        );
    }
}
