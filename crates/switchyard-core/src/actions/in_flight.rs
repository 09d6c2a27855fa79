//! Exactly once, even when the button is pressed twice: the actions on their way, by
//! service, action and target. The UI disables its button while a request is in flight;
//! this is the same rule where it cannot be bypassed (a double click that beats the
//! re-render, a repeated Enter, a second window).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use super::{ActionPlan, Refusal, RefusalCode};

/// The set of actions in flight; cheap to clone, one per console.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    keys: Arc<Mutex<HashSet<String>>>,
}

/// Holds an action's place until dropped (when its outcome is known).
#[derive(Debug)]
pub struct InFlightGuard {
    keys: Arc<Mutex<HashSet<String>>>,
    key: String,
}

impl InFlight {
    /// Claims `plan`'s service, action and target, or refuses when the same action is
    /// already on its way.
    pub fn begin(&self, plan: &ActionPlan) -> Result<InFlightGuard, Refusal> {
        let request = &plan.request;
        let key = format!(
            "{}\u{0}{}\u{0}{}",
            request.service,
            request.kind.as_str(),
            request.target.as_deref().unwrap_or("")
        );
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if !keys.insert(key.clone()) {
            return Err(Refusal {
                code: RefusalCode::InFlight,
                message: format!(
                    "{} of {}{} is already on its way; wait for its outcome",
                    request.kind.as_str(),
                    request.service,
                    request
                        .target
                        .as_deref()
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default()
                ),
                overridable: false,
            });
        }
        Ok(InFlightGuard {
            keys: self.keys.clone(),
            key,
        })
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}
