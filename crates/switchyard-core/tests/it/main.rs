//! Integration tests of the core against the real simulated fleet on 127.0.0.1 and a
//! real SQLite file. One binary, several modules, so linking stays cheap.

mod actions;
mod alerts_fleet;
mod dashboard;
mod discovery;
mod engine_store;
mod engines_real;
mod engines_recorded;
mod fault_matrix;
mod faults;
mod first_run_probe;
mod instances;
mod poll_backoff;
mod secrets;
mod seed_profiles;
mod snapshot;
mod standard_profiles;
mod store_range;
mod store_recovery;
mod store_rollup;
mod store_support;
mod store_writer;
mod streams;
mod support;
mod team_alerts;
