//! Services the engine state learns of while running: a team's engine (`[[engine]]`)
//! reports services by label, so the fleet is not only what the configuration lists.
//! The first round an engine sends about a name the state does not hold adds a service
//! for it, published on the feed like any other (subscribers see it in their next
//! delta); nothing else adds one, so a stray stale mark for an unknown name is dropped.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::EngineConfig;
use crate::engines;
use crate::feed::FleetFeed;
use crate::ingress::{News, SourceEvent};
use crate::model::{EngineStatus, ServiceState};

use super::Fleet;

/// What the engine state needs to know of each configured engine to add its services.
#[derive(Debug, Clone, Default)]
pub(super) struct EngineSources {
    by_name: HashMap<String, (String, f64)>,
}

impl EngineSources {
    pub(super) fn new(engines: &[EngineConfig]) -> EngineSources {
        EngineSources {
            by_name: engines
                .iter()
                .map(|e| {
                    let refresh_ms = e.refresh.as_secs_f64() * 1000.0;
                    (e.name.clone(), (e.url.clone(), refresh_ms))
                })
                .collect(),
        }
    }

    /// The state of a service `news` is the first word of, when it is an engine's round.
    pub(super) fn new_service(&self, name: &str, news: &News) -> Option<ServiceState> {
        let News::EngineRound { view, .. } = news else {
            return None;
        };
        let (url, refresh_ms) = self.by_name.get(&view.engine)?;
        Some(ServiceState {
            name: name.to_string(),
            profile: engines::PROFILE.to_string(),
            base_url: url.clone(),
            tags: Vec::new(),
            // Staleness counts in refreshes for these services.
            poll_interval_ms: *refresh_ms,
            latest: None,
            last_good: None,
            consecutive_failures: 0,
            round_started_at: None,
            streams: Vec::new(),
            engine: Some(view.clone()),
            replicas: None,
        })
    }
}

impl Fleet {
    /// The slot of the service `event` is about, adding the service when it is an
    /// engine's first word about it; `None` for news about no known service.
    pub(super) fn slot(&mut self, event: &SourceEvent, feed: &FleetFeed) -> Option<usize> {
        if let Some(&slot) = self.index.get(&event.service) {
            return Some(slot);
        }
        let state = self.engines.new_service(&event.service, &event.news)?;
        let slot = self.states.len();
        self.index.insert(state.name.clone(), slot);
        feed.add(Arc::new(state.clone()));
        self.states.push(state);
        Some(slot)
    }
}

/// Replaces one engine's entry in the engines' status list.
pub(super) fn note_engine_status(
    statuses: &watch::Sender<Vec<EngineStatus>>,
    status: EngineStatus,
) {
    statuses.send_modify(
        |all| match all.iter_mut().find(|s| s.engine == status.engine) {
            Some(slot) => *slot = status,
            None => all.push(status),
        },
    );
}

/// Every configured engine's status before its first refresh.
pub(super) fn initial_statuses(engines: &[EngineConfig]) -> Vec<EngineStatus> {
    engines
        .iter()
        .map(|e| EngineStatus {
            engine: e.name.clone(),
            ok: true,
            message: None,
            warnings: Vec::new(),
            last_good: None,
            services: 0,
            queries: 0,
            latency_ms: None,
        })
        .collect()
}
