//! Integration tests: real fleets on 127.0.0.1, driven over HTTP with reqwest.
//! One binary with modules, so the crate links a single test executable.

mod config;
mod control;
mod faults;
mod health;
mod support;
