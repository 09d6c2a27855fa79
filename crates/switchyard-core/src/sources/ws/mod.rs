//! Stream sessions (WebSocket): connect, subscribe, answer pings, notice silence,
//! reconnect with backoff and jitter, and turn breaker messages into the same model
//! values as polls.

pub mod messages;
mod rate;
mod session;

pub use session::{run, run_instance};
