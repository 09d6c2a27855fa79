//! The commands the window may call, by domain. Each is a thin call into the core.

pub mod charts;
pub mod fleet;

use serde::Serialize;

/// An error as the UI receives it: a stable code to branch on, and a message to show.
#[derive(Debug, Serialize)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &'static str, message: impl ToString) -> IpcError {
        IpcError {
            code,
            message: message.to_string(),
        }
    }
}
