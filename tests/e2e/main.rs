//! End-to-end: the real `switchyard` window on the demo fleet, driven through WebDriver
//! under Xvfb. `make test` builds the app and runs this under `xvfb-run`.
//!
//! One module per feature, each test a story an engineer would tell; [`page`] reads and
//! drives the window, [`fleet_control`] drives the simulated services. One test binary.

mod actions;
mod alerts;
mod dashboard;
mod first_run;
mod fleet_control;
mod instances;
mod large_fleet;
mod live_status;
mod page;
mod second_launch;
mod snapshot_export;
mod streams;
mod team_alerts;

/// One window at a time: the tests' timing limits assume the 2 cores are theirs.
static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
