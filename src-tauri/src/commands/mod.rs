//! The commands the window may call, by domain. Each is a thin call into the core.

pub mod actions;
pub mod alerts;
pub mod charts;
pub mod fleet;
pub mod preferences;
pub mod snapshot;

use serde::Serialize;

/// An error as the UI receives it: a stable code to branch on, and a message to show.
#[derive(Debug, Serialize)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
    /// What the UI needs to point at the problem, for the codes that have it (for
    /// `invalid_rules`: `{ errors: RuleError[] }`, each naming a rule and a field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl IpcError {
    pub fn new(code: &'static str, message: impl ToString) -> IpcError {
        IpcError {
            code,
            message: message.to_string(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: impl Serialize) -> IpcError {
        self.details = serde_json::to_value(details).ok();
        self
    }
}
