//! The wall clock, injected wherever time decides what is recorded, so tests can pin it.
//! Waiting (intervals, timeouts, backoff) uses `tokio::time`, which tests pause instead.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
