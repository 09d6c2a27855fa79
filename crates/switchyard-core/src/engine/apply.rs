//! The one function every source's news goes through (see `ingress.rs`): a poll round,
//! an engine's round, a stream's status or breaker. It asks `transitions` which breaker
//! changes the news makes and hands the history what to store.

use chrono::{DateTime, Utc};

use super::replicas::ReplicaBook;
use crate::ingress::News;
use crate::model::{BreakerState, Observation, ServiceState};
use crate::store::{StoreWriter, StreamStateChange};
use crate::transitions::BreakerBook;

/// Applies one piece of news to its service: the one place every source's news enters
/// the state and the history.
pub(super) fn apply(
    state: &mut ServiceState,
    book: &mut BreakerBook,
    replicas: Option<&mut ReplicaBook>,
    news: News,
    writer: Option<&StoreWriter>,
) {
    match news {
        // An instance's round, or discovery's news, changes the service's combination.
        News::InstancePoll {
            instance,
            observation,
            consecutive_failures,
            started_at,
        } => {
            let Some(replicas) = replicas else { return };
            let at = observation.observed_at;
            if replicas.observe(&instance, observation, consecutive_failures, started_at) {
                apply_combined(state, book, replicas, writer, at);
            }
        }
        News::Instances { present, error, at } => {
            let Some(replicas) = replicas else { return };
            replicas.membership(&present, error, at);
            apply_combined(state, book, replicas, writer, at);
        }
        // A stream with one instance: its status is listed under the instance's name;
        // its word about a breaker changes that instance, then the combination.
        News::InstanceStream { instance, news } => match *news {
            News::StreamStatus(mut status) => {
                status.path = format!("{} {}", instance.id, status.path);
                apply(state, book, None, News::StreamStatus(status), writer);
            }
            News::StreamBreaker { breaker, at } => {
                let Some(replicas) = replicas else { return };
                if replicas.stream_breaker(&instance.id, &breaker) {
                    apply_combined(state, book, replicas, writer, at);
                }
            }
            _ => {}
        },
        News::Poll {
            observation,
            consecutive_failures,
            started_at,
        } => {
            let observation = recorded_round(book, observation, writer);
            state.apply_poll(observation, consecutive_failures);
            state.round_started_at = Some(started_at);
        }
        // An engine's round is a poll round from far away: the same transitions, the
        // same history.
        News::EngineRound {
            observation,
            view,
            started_at,
        } => {
            let observation = recorded_round(book, observation, writer);
            state.apply_engine_round(observation, view);
            state.round_started_at = Some(started_at);
        }
        News::EngineStale {
            engine,
            reason,
            since,
        } => state.apply_engine_stale(&engine, reason, since),
        // Handled before a service is looked up.
        News::EngineStatus(_) => {}
        News::StreamStatus(status) => {
            let change = StreamStateChange {
                service: state.name.clone(),
                stream: status.path.clone(),
                at: status.since,
                state: status.state.as_str().to_string(),
                detail: status.last_error.clone(),
            };
            let new_state = status.state;
            let previous = state.apply_stream_status(status);
            // The history keeps changes of state, not every counter tick.
            if previous != Some(new_state) {
                if let Some(writer) = writer {
                    writer.record_stream_state(change);
                }
            }
        }
        News::StreamBreaker { breaker, at } => {
            let before: Option<BreakerState> = state.apply_stream_breaker(breaker.clone(), at);
            if let Some(transition) = book.stream(&state.name, &breaker, before, at) {
                if let Some(writer) = writer {
                    writer.record_transitions(&state.name, &state.profile, vec![transition]);
                }
            }
        }
    }
}

/// The service as its instances now make it: into the state always, into the history
/// (with the transitions it makes) when the book says it is worth a row.
fn apply_combined(
    state: &mut ServiceState,
    book: &mut BreakerBook,
    replicas: &mut ReplicaBook,
    writer: Option<&StoreWriter>,
    at: DateTime<Utc>,
) {
    let Some(combined) = replicas.combine(&state.name, &state.profile, at) else {
        return;
    };
    let mut observation = combined.observation;
    if combined.record {
        observation.transitions.extend(book.poll(&observation));
        if let Some(writer) = writer {
            writer.record(replicas.with_instance_samples(observation.clone()));
        }
    }
    state.apply_poll(observation, combined.consecutive_failures);
    state.replicas = Some(combined.view);
    state.round_started_at = combined.started_at.or(state.round_started_at);
}

/// A round's observation with the transitions it makes, handed to the history.
fn recorded_round(
    book: &mut BreakerBook,
    mut observation: Observation,
    writer: Option<&StoreWriter>,
) -> Observation {
    let derived = book.poll(&observation);
    observation.transitions.extend(derived);
    if let Some(writer) = writer {
        writer.record(observation.clone());
    }
    observation
}
