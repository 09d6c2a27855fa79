//! A service of several instances (`instances = [...]`, `discover = { dns = … }`): one
//! poller (and one session per configured stream) per instance, each on its own schedule so a hanging or flooding instance never
//! delays the others, and for DNS a refresh every `refresh` that starts pollers for new
//! instances and stops those of vanished ones. Discovery's answer is sent on the ingress
//! too, so the engine knows which instances are present, gone, or why DNS failed.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Client;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{poller, ws};
use crate::clock::Clock;
use crate::config::{InstanceSource, ServiceConfig};
use crate::discovery;
use crate::ingress::{Ingress, News, SourceEvent};

/// One instance's poller, while it runs.
struct Running {
    stop: CancellationToken,
    poll_now: Arc<Notify>,
}

/// Polls every instance of `service` until `shutdown`. A signal on `poll_now` is passed
/// to every instance (an action waits for all of them to show its effect).
pub async fn run(
    client: Client,
    service: ServiceConfig,
    clock: Arc<dyn Clock>,
    ingress: Ingress,
    poll_now: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut running: BTreeMap<String, Running> = BTreeMap::new();
    let mut pollers = JoinSet::new();
    loop {
        let (found, error) = match &service.instances {
            InstanceSource::Single => (vec![], None),
            InstanceSource::Static(list) => (list.clone(), None),
            InstanceSource::Dns(dns) => {
                let asked = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    answer = discovery::resolve(dns) => answer,
                };
                match asked {
                    Ok(found) => (found, None),
                    Err(error) => {
                        tracing::warn!(service = %service.name, error = %error.message, "discovery failed");
                        (Vec::new(), Some(error.message))
                    }
                }
            }
        };
        if error.is_none() {
            // Vanished instances stop; new ones start. A failed refresh changes nothing.
            running.retain(|id, poller| {
                let keep = found.iter().any(|i| &i.id == id);
                if !keep {
                    poller.stop.cancel();
                }
                keep
            });
            for instance in &found {
                if running.contains_key(&instance.id) {
                    continue;
                }
                let poller = Running {
                    stop: shutdown.child_token(),
                    poll_now: Arc::new(Notify::new()),
                };
                pollers.spawn(poller::run_instance(
                    client.clone(),
                    service.clone(),
                    instance.clone(),
                    clock.clone(),
                    ingress.clone(),
                    poller.poll_now.clone(),
                    poller.stop.clone(),
                ));
                for stream in &service.streams {
                    pollers.spawn(ws::run_instance(
                        service.at_instance(&instance.base_url),
                        instance.clone(),
                        stream.clone(),
                        clock.clone(),
                        ingress.clone(),
                        poller.stop.clone(),
                    ));
                }
                running.insert(instance.id.clone(), poller);
            }
        }
        let news = SourceEvent {
            service: service.name.clone(),
            news: News::Instances {
                // On a failed refresh the engine keeps the instances it knows.
                present: found,
                error,
                at: clock.now(),
            },
        };
        if ingress.send(news).await.is_err() {
            break; // the engine is gone
        }
        let refresh = match &service.instances {
            InstanceSource::Dns(dns) => Some(dns.refresh),
            _ => None,
        };
        // Until the next refresh (a static list has none), pass on every poll-now.
        let next_refresh = refresh.map(|every| tokio::time::Instant::now() + every);
        loop {
            let until_refresh = async {
                match next_refresh {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => {
                    while pollers.join_next().await.is_some() {}
                    return;
                }
                _ = until_refresh => break,
                _ = poll_now.notified() => {
                    for poller in running.values() {
                        poller.poll_now.notify_one();
                    }
                }
                // A finished poller (its instance stopped) is simply reaped.
                Some(_) = pollers.join_next(), if !pollers.is_empty() => {}
            }
        }
    }
    while pollers.join_next().await.is_some() {}
}
