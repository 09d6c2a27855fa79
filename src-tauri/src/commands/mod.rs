//! The commands the window may call, by domain. Each forwards to the core in a few
//! lines; a core error becomes the window's `{code, message, details?}` through `?`
//! (`switchyard_core::ipc_error`), and each call runs in a `tracing` span that logs its
//! error (a warning where the error is the engineer's request refused, not a fault).

pub mod actions;
pub mod alerts;
pub mod charts;
pub mod fleet;
pub mod preferences;
pub mod services;
pub mod snapshot;
pub mod team_alerts;

pub use switchyard_core::ipc_error::IpcError;
