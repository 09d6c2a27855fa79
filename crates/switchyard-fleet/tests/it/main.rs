//! Integration tests: real fleets on 127.0.0.1, driven over HTTP with reqwest
//! and, for the streams, over WebSocket with tokio-tungstenite.
//! One binary with modules, so the crate links a single test executable.

mod actions;
mod breaker_registry;
mod config;
mod control;
mod emergency_controls;
mod endpoint_faults;
mod engines_on_loopback;
mod faults;
mod health;
mod health_levels;
mod single_breaker;
mod stream_faults;
mod streams_emergency;
mod streams_registry;
mod support;
mod ws;
