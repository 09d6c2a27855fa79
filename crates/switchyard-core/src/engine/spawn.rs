//! Starts the engine's sources: a poller per service (its first poll spread over the
//! fleet's start), a WebSocket session per stream, a poller and sessions per instance of
//! a service of several, and a reader per team engine. All of them send on the one
//! ingress and stop with the engine's shutdown token.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::{EngineConfig, ServiceConfig};
use crate::ingress::Ingress;
use crate::sources::{http, poller, replicas, ws};

/// The running sources, and each service's "poll now" signal (an action waiting to see
/// its effect) by name. `engines` is `None` for a console on some services only: the
/// team's engines read the whole fleet.
pub(super) fn sources(
    watched: &[&ServiceConfig],
    engines: Option<&[EngineConfig]>,
    clock: &Arc<dyn Clock>,
    ingress: &Ingress,
    shutdown: &CancellationToken,
) -> (JoinSet<()>, HashMap<String, Arc<Notify>>) {
    let client = http::build_client();
    let mut sources = JoinSet::new();
    let mut poll_now = HashMap::new();
    for (index, service) in watched.iter().enumerate() {
        let nudge = Arc::new(Notify::new());
        poll_now.insert(service.name.clone(), nudge.clone());
        if !service.instances.is_single() {
            // Each instance polled, and its streams followed, on its own.
            sources.spawn(replicas::run(
                client.clone(),
                (*service).clone(),
                clock.clone(),
                ingress.clone(),
                nudge,
                shutdown.clone(),
            ));
            continue;
        }
        sources.spawn(poller::run(
            client.clone(),
            (*service).clone(),
            poller::first_poll_offset(index, watched.len(), service.poll_interval),
            clock.clone(),
            ingress.clone(),
            nudge,
            shutdown.clone(),
        ));
        for stream in &service.streams {
            sources.spawn(ws::run(
                (*service).clone(),
                stream.clone(),
                clock.clone(),
                ingress.clone(),
                shutdown.clone(),
            ));
        }
    }
    for engine in engines.unwrap_or_default() {
        sources.spawn(crate::engines::run(
            engine.clone(),
            client.clone(),
            clock.clone(),
            ingress.clone(),
            shutdown.clone(),
        ));
    }
    (sources, poll_now)
}
