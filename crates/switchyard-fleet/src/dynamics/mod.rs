//! The moving parts of the seed profiles, as plain state machines stepped
//! once per simulated second: breakers, a cache, an event queue, system
//! metrics with alert rules, and a guarded trading halt.
//!
//! Pure logic: a model is told the time (seconds since its service started,
//! from the tokio clock) and the same sequence of times and commands always
//! gives the same states. HTTP lives in `profiles`.

pub(crate) mod alerts;
pub(crate) mod breaker;
pub(crate) mod cache;
pub(crate) mod halt;
pub(crate) mod queue;
pub(crate) mod system;
pub(crate) mod timeline;
pub(crate) mod transitions;
