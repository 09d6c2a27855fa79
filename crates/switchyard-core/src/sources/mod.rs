//! Where observations come from: HTTP polls (of a service, or of each of its
//! instances) and WebSocket streams. Every
//! source ends in the same [`crate::model::Observation`].

pub mod detect;
pub mod endpoint_index;
pub mod http;
pub mod poller;
pub mod probe;
pub mod reading;
pub mod replicas;
pub mod ws;
