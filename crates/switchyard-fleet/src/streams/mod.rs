//! The WebSocket streams of the seed profiles that have them:
//! `breaker-registry` ([`registry`]) and `emergency-controls`
//! ([`emergency`]), as docs/contracts.md describes them. Each service has
//! a [`hub`] its connections share; [`session`] runs one connection of either
//! dialect; the control endpoint sets the [`settings`], stream faults
//! included ([`faults`]).
//!
//! Stream routes stand beside the gate, not behind it: HTTP faults and the
//! rate budget are for polls; streams have faults of their own.

pub(crate) mod emergency;
pub(crate) mod faults;
pub(crate) mod hub;
pub(crate) mod registry;
pub(crate) mod session;
pub(crate) mod settings;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocket;
use axum::Router;
use tokio::time::MissedTickBehavior;

use crate::profile::Profile;
use crate::profiles::Simulation;
use crate::state::ServiceState;

/// The channel breaker transitions are announced on, in both dialects.
pub(crate) const BREAKERS: &str = "breakers";

/// What a client may send in one message: subscriptions and pongs are
/// tiny, and a client must not be able to make the fleet buffer megabytes.
pub(crate) const CLIENT_MESSAGE_LIMIT: usize = 64 * 1024;

/// How often a service with streams steps its model on its own, so that a
/// transition of its dynamics is announced even when no one polls.
const ANNOUNCE_INTERVAL: Duration = Duration::from_millis(250);

/// Which stream dialect a service speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamKind {
    Registry,
    Emergency,
}

/// A stream as the printed configuration lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConfigStream {
    pub(crate) path: &'static str,
    /// Channels to subscribe to once connected; empty where the path is
    /// the channel.
    pub(crate) subscribe: &'static [&'static str],
}

impl StreamKind {
    pub(crate) fn of(profile: Profile) -> Option<Self> {
        match profile {
            Profile::BreakerRegistry => Some(StreamKind::Registry),
            Profile::EmergencyControls => Some(StreamKind::Emergency),
            Profile::SpringActuator => None,
            Profile::HealthContract | Profile::HealthLevels | Profile::SingleBreaker => None,
        }
    }

    /// The breaker stream a console should watch.
    pub(crate) fn config(self) -> ConfigStream {
        match self {
            StreamKind::Registry => ConfigStream {
                path: "/api/ws/breakers",
                subscribe: &[BREAKERS],
            },
            StreamKind::Emergency => ConfigStream {
                path: "/ws/breakers",
                subscribe: &[],
            },
        }
    }
}

/// The stream routes of `M`'s profile (none for most).
pub(crate) fn routes<M: Simulation>() -> Router<Arc<ServiceState<M>>> {
    match StreamKind::of(M::PROFILE) {
        Some(StreamKind::Registry) => registry::routes(),
        Some(StreamKind::Emergency) => emergency::routes(),
        None => Router::new(),
    }
}

/// Steps the model every [`ANNOUNCE_INTERVAL`] until the fleet stops, for
/// services with streams; others return at once.
pub(crate) async fn announce<M: Simulation>(state: Arc<ServiceState<M>>) {
    if StreamKind::of(M::PROFILE).is_none() {
        return;
    }
    let mut every = tokio::time::interval(ANNOUNCE_INTERVAL);
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stop = state.stopped();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = every.tick() => state.with_model(|_, _| ()),
        }
    }
}

/// What `drop` does to a connection: cuts it, no close frame.
pub(crate) async fn cut(socket: WebSocket) {
    drop(socket);
}
