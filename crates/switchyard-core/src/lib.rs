//! Switchyard's core: everything the console does, with no Tauri and no display, so it
//! compiles and tests anywhere. The desktop shell and the CLI are thin layers over it.

pub mod actions;
pub mod alert_notices;
pub mod alerts;
pub mod backoff;
pub mod bindings;
pub mod charts;
pub mod clock;
pub mod config;
pub mod console;
pub mod dirs;
pub mod engine;
pub mod feed;
pub mod ingress;
pub mod model;
pub mod operator;
pub mod preferences;
pub mod profiles;
pub mod secrets;
pub mod session;
pub mod snapshot;
pub mod sources;
pub mod store;
pub mod summary;
pub mod transitions;
pub mod units;
pub mod views;
