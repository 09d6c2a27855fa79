//! One WebSocket connection, of either dialect: the loop that relays
//! breaker transitions, sends pings and channel data, reads the client, and
//! obeys the stream fault in force, whichever the control endpoint sets
//! while the connection lives.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};
use tokio::time::{interval_at, sleep_until, timeout, Instant, Interval, MissedTickBehavior};

use super::faults::{self, FLOOD_TICK, GARBAGE_INTERVAL};
use super::hub::{Count, Presence, StreamHub};
use super::settings::{StreamFault, StreamSettings};
use super::BREAKERS;
use crate::clock::Clock;
use crate::dynamics::transitions::Transition;
use crate::profiles::Simulation;
use crate::state::ServiceState;

/// How often subscribers of a data channel (a market, the portfolio) get
/// its latest values.
const DATA_INTERVAL: Duration = Duration::from_secs(1);

/// How long a close waits for the client's answering close frame: long
/// enough for a clean closing handshake, short enough that a mute client
/// cannot hold the connection.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What differs between the two seed stream shapes.
pub(crate) trait Dialect: Send + 'static {
    /// Whether a connection the client says nothing on is closed after
    /// the idle timeout.
    const IDLES: bool;

    /// The heartbeat sent every ping interval.
    fn ping(&self, clock: &Clock, now: Duration) -> Value;
    /// The message announcing `transition` on the breakers channel.
    fn transition(&self, transition: &Transition, clock: &Clock) -> Value;
    /// The latest data of `channel` (besides breakers), or `None` when it
    /// has none of its own.
    fn channel_data(&self, channel: &str, clock: &Clock, now: Duration) -> Option<Value>;
    /// The answers to one text message from the client, which may change
    /// its subscriptions.
    fn on_text(
        &mut self,
        text: &str,
        presence: &mut Presence,
        clock: &Clock,
        now: Duration,
    ) -> Vec<Value>;
    /// The answers to a binary message.
    fn on_binary(&mut self) -> Vec<Value>;
}

/// A connection accepted by a handler, before its upgrade completes. The
/// handler listens for transitions before answering the upgrade, so none
/// published after the client's handshake returns can be missed.
pub(crate) struct Link<D> {
    pub(crate) presence: Presence,
    transitions: broadcast::Receiver<Transition>,
    settings: watch::Receiver<StreamSettings>,
    dialect: D,
}

impl<D: Dialect> Link<D> {
    pub(crate) fn new(hub: &StreamHub, presence: Presence, dialect: D) -> Self {
        Link {
            presence,
            transitions: hub.listen(),
            settings: hub.watch_settings(),
            dialect,
        }
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum Ending {
    /// The client closed it, or it broke.
    Gone,
    /// The fleet is stopping.
    Stop,
    /// The client said nothing for the idle timeout.
    Idle,
    /// The `drop` fault: cut without a close frame.
    Drop,
}

type StopFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The sending half of a connection, which counts what it sends and gives
/// up when the fleet stops, even while a slow reader holds a send.
struct Outbox {
    socket: WebSocket,
    hub: Arc<StreamHub>,
    stop: StopFuture,
}

impl Outbox {
    async fn send(&mut self, message: Message) -> Result<(), Ending> {
        tokio::select! {
            sent = self.socket.send(message) => {
                sent.map_err(|_| Ending::Gone)?;
                self.hub.count(Count::Sent);
                Ok(())
            }
            () = &mut self.stop => Err(Ending::Stop),
        }
    }

    async fn send_json(&mut self, value: &Value) -> Result<(), Ending> {
        if value.get("type").and_then(Value::as_str) == Some("error") {
            self.hub.count(Count::Error);
        }
        self.send(Message::Text(value.to_string().into())).await
    }

    async fn send_garbage(&mut self) -> Result<(), Ending> {
        for frame in faults::garbage() {
            self.send(frame).await?;
        }
        Ok(())
    }

    /// Sends a close frame and waits (briefly) for the client's answer, so
    /// the client sees the code and reason rather than a reset.
    async fn close(mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let socket = &mut self.socket;
        let _ = timeout(CLOSE_GRACE, async {
            if socket.send(Message::Close(Some(frame))).await.is_ok() {
                while let Some(Ok(_)) = socket.recv().await {}
            }
        })
        .await;
    }
}

/// Closes a fresh connection with `code` and `reason` at once: how a full
/// channel refuses.
pub(crate) async fn refuse<M: Simulation>(
    state: Arc<ServiceState<M>>,
    socket: WebSocket,
    code: u16,
    reason: &'static str,
) {
    let outbox = Outbox {
        socket,
        hub: state.streams.clone(),
        stop: Box::pin(state.stopped()),
    };
    outbox.close(code, reason).await;
}

/// Serves one accepted connection until it ends.
pub(crate) async fn run<M: Simulation, D: Dialect>(
    state: Arc<ServiceState<M>>,
    socket: WebSocket,
    mut link: Link<D>,
) {
    let mut outbox = Outbox {
        socket,
        hub: state.streams.clone(),
        stop: Box::pin(state.stopped()),
    };
    let ending = match drive(&state, &mut outbox, &mut link).await {
        Err(ending) => ending,
        Ok(never) => match never {},
    };
    match ending {
        Ending::Gone | Ending::Drop => {}
        Ending::Stop => outbox.close(1001, "Server shutting down").await,
        Ending::Idle => outbox.close(1000, "Idle timeout").await,
    }
    // Dropping `link` takes the connection out of the counts.
}

/// A timer ticking every `period`, first after one period.
fn every(period: Duration) -> Interval {
    let mut timer = interval_at(Instant::now() + period, period);
    // A connection held up by a slow send catches up by skipping ticks,
    // never by bursting.
    timer.set_missed_tick_behavior(MissedTickBehavior::Skip);
    timer
}

enum Step {
    Stop,
    Settings,
    Heard(Option<Result<Message, axum::Error>>),
    Transition(Result<Transition, RecvError>),
    Ping,
    Idle,
    Data,
    Flood,
    Garbage,
}

async fn drive<M: Simulation, D: Dialect>(
    state: &ServiceState<M>,
    outbox: &mut Outbox,
    link: &mut Link<D>,
) -> Result<Infallible, Ending> {
    let clock = state.clock;
    let stop = state.stopped();
    tokio::pin!(stop);
    let mut settings = link.settings.borrow_and_update().clone();
    let mut ping = every(settings.ping_interval);
    let mut data = every(DATA_INTERVAL);
    let mut flood = every(FLOOD_TICK);
    let mut garbage = every(GARBAGE_INTERVAL);
    let mut last_heard = Instant::now();
    let mut sequence: usize = 0;
    begin(settings.fault, &settings, outbox, link).await?;

    loop {
        let silent = settings.fault == StreamFault::Silence;
        let idle_at = last_heard + settings.idle_timeout;
        let has_data = link.presence.channels().any(|channel| channel != BREAKERS);
        let step = tokio::select! {
            biased;
            () = &mut stop => Step::Stop,
            changed = link.settings.changed() => match changed {
                Ok(()) => Step::Settings,
                Err(_) => Step::Stop,
            },
            heard = outbox.socket.recv(), if !silent => Step::Heard(heard),
            transition = link.transitions.recv(), if !silent => Step::Transition(transition),
            _ = ping.tick(), if !silent => Step::Ping,
            () = sleep_until(idle_at), if D::IDLES && !silent => Step::Idle,
            _ = data.tick(), if !silent && has_data => Step::Data,
            _ = flood.tick(), if settings.fault == StreamFault::Flood => Step::Flood,
            _ = garbage.tick(), if settings.fault == StreamFault::Garbage => Step::Garbage,
        };
        match step {
            Step::Stop => return Err(Ending::Stop),
            Step::Settings => {
                let next = link.settings.borrow_and_update().clone();
                if next.ping_interval != settings.ping_interval {
                    ping = every(next.ping_interval);
                }
                let previous = std::mem::replace(&mut settings, next);
                if settings.fault != previous.fault {
                    if previous.fault == StreamFault::Silence {
                        // A silent server that comes back does not replay
                        // what happened meanwhile, and the silence was not
                        // the client's idleness.
                        link.transitions = link.transitions.resubscribe();
                        last_heard = Instant::now();
                    }
                    flood.reset();
                    garbage.reset();
                    begin(settings.fault, &settings, outbox, link).await?;
                }
            }
            Step::Heard(None | Some(Err(_))) => return Err(Ending::Gone),
            Step::Heard(Some(Ok(message))) => {
                last_heard = Instant::now();
                let hub = &outbox.hub;
                let answers = match message {
                    Message::Text(text) => {
                        hub.count(Count::Received);
                        let now = clock.elapsed();
                        link.dialect
                            .on_text(text.as_str(), &mut link.presence, &clock, now)
                    }
                    Message::Binary(_) => {
                        hub.count(Count::Received);
                        link.dialect.on_binary()
                    }
                    // Answered by the WebSocket layer as it reads.
                    Message::Ping(_) => {
                        hub.count(Count::ClientPing);
                        Vec::new()
                    }
                    Message::Pong(_) => Vec::new(),
                    Message::Close(_) => return Err(Ending::Gone),
                };
                for answer in &answers {
                    outbox.send_json(answer).await?;
                }
            }
            Step::Transition(Ok(transition)) => {
                if link.presence.is_in(BREAKERS) {
                    let message = link.dialect.transition(&transition, &clock);
                    outbox.send_json(&message).await?;
                }
            }
            // A connection that fell behind skips what it missed.
            Step::Transition(Err(RecvError::Lagged(_))) => {}
            Step::Transition(Err(RecvError::Closed)) => return Err(Ending::Stop),
            Step::Ping => {
                let message = link.dialect.ping(&clock, clock.elapsed());
                outbox.send_json(&message).await?;
            }
            Step::Idle => return Err(Ending::Idle),
            Step::Data => {
                let now = clock.elapsed();
                let messages: Vec<Value> = link
                    .presence
                    .channels()
                    .filter_map(|channel| link.dialect.channel_data(channel, &clock, now))
                    .collect();
                for message in &messages {
                    outbox.send_json(message).await?;
                }
            }
            Step::Flood => {
                let latest = state.with_model(|model, _| model.latest_transitions());
                let channels: Vec<String> = link.presence.channels().map(str::to_owned).collect();
                let now = clock.elapsed();
                for _ in 0..faults::flood_batch(settings.flood_per_second) {
                    let message =
                        flood_message(&link.dialect, &channels, &latest, sequence, &clock, now);
                    sequence = sequence.wrapping_add(1);
                    // Nothing subscribed, nothing to flood.
                    let Some(message) = message else { break };
                    outbox.send_json(&message).await?;
                }
            }
            Step::Garbage => outbox.send_garbage().await?,
        }
    }
}

/// What a fault does as it starts (or as a connection opens under it).
async fn begin<D: Dialect>(
    fault: StreamFault,
    settings: &StreamSettings,
    outbox: &mut Outbox,
    link: &Link<D>,
) -> Result<(), Ending> {
    match fault {
        StreamFault::Drop => Err(Ending::Drop),
        StreamFault::Garbage => outbox.send_garbage().await,
        StreamFault::Oversized => {
            let channel = link.presence.channels().next().unwrap_or(BREAKERS);
            let frame = faults::oversized(channel, settings.oversized_bytes);
            outbox.send(Message::Text(frame.into())).await
        }
        StreamFault::None | StreamFault::Silence | StreamFault::Flood => Ok(()),
    }
}

/// Flood message number `sequence`: the subscribed channels in turn; on
/// the breakers channel the latest transition of each breaker in turn (a
/// repeat, so a client tracking states sees no false change), elsewhere the
/// channel's data, or the heartbeat where a channel has none.
fn flood_message<D: Dialect>(
    dialect: &D,
    channels: &[String],
    latest: &[Transition],
    sequence: usize,
    clock: &Clock,
    now: Duration,
) -> Option<Value> {
    let channel = channels.get(sequence % channels.len().max(1))?;
    let round = sequence / channels.len().max(1);
    if channel == BREAKERS {
        let transition = latest.get(round % latest.len().max(1))?;
        return Some(dialect.transition(transition, clock));
    }
    Some(
        dialect
            .channel_data(channel, clock, now)
            .unwrap_or_else(|| dialect.ping(clock, now)),
    )
}
