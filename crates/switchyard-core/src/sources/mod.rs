//! Where observations come from: HTTP polls today, WebSocket streams later. Every
//! source ends in the same [`crate::model::Observation`].

pub mod detect;
pub mod http;
pub mod poller;
