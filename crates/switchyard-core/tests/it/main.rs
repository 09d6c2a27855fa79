//! Integration tests of the core against the real simulated fleet on 127.0.0.1 and a
//! real SQLite file. One binary, several modules, so linking stays cheap.

mod actions;
mod alerts_fleet;
mod dashboard;
mod engine_store;
mod fault_matrix;
mod faults;
mod first_run_probe;
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
