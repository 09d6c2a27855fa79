//! Errors as the window receives them: `{code, message, details?}`, where `code` is one
//! of a closed set ([`ErrorCode`], exported to TypeScript as a union of strings) that
//! the UI branches on, and `message` is what it shows. Every core error the window can
//! see says its code here ([`CodedError`]), in one place, so the shell has one
//! conversion (`?`) instead of a code chosen by hand in each command. Tauri-free: the
//! shell only forwards.

use serde::Serialize;
use ts_rs::TS;

use crate::actions::{Refusal, RefusalCode};
use crate::alertmanager::AlertmanagerError;
use crate::alerts::{AlertError, RulesRejected};
use crate::charts::ChartError;
use crate::console::{ExportError, TeamRequestError};
use crate::dashboard::ViewError;
use crate::engine::AlertRequestError;
use crate::preferences::PreferencesNotSaved;
use crate::store::StoreError;

/// What went wrong, as the UI branches on it. The wire form is the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The configuration was refused, so no console runs: nothing to read or act on.
    NoEngine,
    /// No history database is open.
    NoHistory,
    /// The history could not be read.
    HistoryFailed,
    /// A chart or timeline could not be drawn.
    ChartFailed,
    /// An action was refused before anything was sent (`details` says why).
    Refused,
    AlertNotActive,
    SilenceWithoutTarget,
    SilenceInThePast,
    SilenceWithoutReason,
    /// A duration the console does not read (`30m`, `2h` are fine).
    InvalidDuration,
    /// A rule set was refused (`details.errors` names each bad rule and field).
    InvalidRules,
    NoSuchSilence,
    /// A snapshot or the rules' TOML could not be written.
    ExportFailed,
    /// Nothing was exported yet, so there is nothing to open.
    NoExport,
    /// The desktop could not open a file or its folder.
    OpenFailed,
    PreferencesNotSaved,
    /// The engine stopped (the app is closing).
    EngineStopped,
    /// No `[alertmanager]` is configured.
    NoAlertmanager,
    /// Alertmanager refused a silence or an expiry (the message is its reason).
    AlertmanagerRefused,
    /// Alertmanager could not be reached or answered nonsense.
    AlertmanagerUnreachable,
    /// A change to the configuration file was refused (it would not validate, the
    /// file cannot be edited, a name is taken or missing); the file is untouched.
    ConfigRefused,
    /// The configuration file could not be written.
    ConfigNotWritten,
    /// A probe was refused before anything was sent (not a URL, a literal secret).
    ProbeRefused,
    /// A typed secret could not be stored in the OS keyring.
    SecretNotStored,
}

/// What the UI needs to point at the problem, for the codes that have it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(untagged)]
pub enum ErrorDetails {
    /// `invalid_rules`: every bad rule, with its field.
    Rules(RulesRejected),
    /// `refused`: why, and whether asking again with override would send it.
    Refusal {
        refusal: RefusalCode,
        overridable: bool,
    },
}

/// An error as the window receives it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub details: Option<ErrorDetails>,
}

impl IpcError {
    /// For the shell's own failures (a dialog, the opener) that no core error describes.
    pub fn new(code: ErrorCode, message: impl ToString) -> IpcError {
        IpcError {
            code,
            message: message.to_string(),
            details: None,
        }
    }
}

/// A core error the window may see: its code, and the details the UI needs for it.
pub trait CodedError: std::fmt::Display {
    fn code(&self) -> ErrorCode;
    fn details(&self) -> Option<ErrorDetails> {
        None
    }
}

impl<E: CodedError> From<E> for IpcError {
    fn from(error: E) -> IpcError {
        IpcError {
            code: error.code(),
            message: error.to_string(),
            details: error.details(),
        }
    }
}

/// Why the console cannot answer at all: what it would need is not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("the console is not watching anything (its configuration was refused), so there is nothing to show or act on")]
    NoEngine,
    #[error("no history database is open")]
    NoHistory,
    #[error("nothing has been exported yet")]
    NoExport,
}

impl CodedError for Unavailable {
    fn code(&self) -> ErrorCode {
        match self {
            Unavailable::NoEngine => ErrorCode::NoEngine,
            Unavailable::NoHistory => ErrorCode::NoHistory,
            Unavailable::NoExport => ErrorCode::NoExport,
        }
    }
}

impl CodedError for Refusal {
    fn code(&self) -> ErrorCode {
        ErrorCode::Refused
    }
    fn details(&self) -> Option<ErrorDetails> {
        Some(ErrorDetails::Refusal {
            refusal: self.code,
            overridable: self.overridable,
        })
    }
}

impl CodedError for AlertError {
    fn code(&self) -> ErrorCode {
        match self {
            AlertError::NotActive(_) => ErrorCode::AlertNotActive,
            AlertError::EmptyTarget => ErrorCode::SilenceWithoutTarget,
            AlertError::EndsInThePast => ErrorCode::SilenceInThePast,
            AlertError::NoReason => ErrorCode::SilenceWithoutReason,
        }
    }
}

impl CodedError for RulesRejected {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidRules
    }
    fn details(&self) -> Option<ErrorDetails> {
        Some(ErrorDetails::Rules(self.clone()))
    }
}

impl CodedError for AlertRequestError {
    fn code(&self) -> ErrorCode {
        match self {
            AlertRequestError::Refused(refused) => refused.code(),
            AlertRequestError::InvalidRules(rejected) => rejected.code(),
            AlertRequestError::NoSuchSilence(_) => ErrorCode::NoSuchSilence,
            AlertRequestError::Export(_) => ErrorCode::ExportFailed,
            AlertRequestError::EngineStopped => ErrorCode::EngineStopped,
        }
    }
    fn details(&self) -> Option<ErrorDetails> {
        match self {
            AlertRequestError::InvalidRules(rejected) => rejected.details(),
            _ => None,
        }
    }
}

impl CodedError for ExportError {
    fn code(&self) -> ErrorCode {
        match self {
            ExportError::NoHistory => ErrorCode::NoHistory,
            _ => ErrorCode::ExportFailed,
        }
    }
}

impl CodedError for crate::config::edit::EditError {
    fn code(&self) -> ErrorCode {
        match self {
            crate::config::edit::EditError::Write { .. } => ErrorCode::ConfigNotWritten,
            _ => ErrorCode::ConfigRefused,
        }
    }
}

/// A probe or a secret the window asked for, refused with a sentence that says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirstRunRefusal {
    #[error("{0}")]
    Probe(String),
    #[error("{0}")]
    Secret(String),
}

impl CodedError for FirstRunRefusal {
    fn code(&self) -> ErrorCode {
        match self {
            FirstRunRefusal::Probe(_) => ErrorCode::ProbeRefused,
            FirstRunRefusal::Secret(_) => ErrorCode::SecretNotStored,
        }
    }
}

impl CodedError for StoreError {
    fn code(&self) -> ErrorCode {
        ErrorCode::HistoryFailed
    }
}

impl CodedError for ChartError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ChartFailed
    }
}

impl CodedError for ViewError {
    fn code(&self) -> ErrorCode {
        ErrorCode::ChartFailed
    }
}

impl CodedError for PreferencesNotSaved {
    fn code(&self) -> ErrorCode {
        ErrorCode::PreferencesNotSaved
    }
}

impl CodedError for TeamRequestError {
    fn code(&self) -> ErrorCode {
        match self {
            TeamRequestError::NotConfigured => ErrorCode::NoAlertmanager,
            TeamRequestError::UnknownAlert(_) => ErrorCode::AlertNotActive,
            TeamRequestError::UnknownSilence(_) => ErrorCode::NoSuchSilence,
            // Refused by Switchyard before anything was sent (the message says why).
            TeamRequestError::NoStableLabels { .. } | TeamRequestError::Invalid(_) => {
                ErrorCode::Refused
            }
            TeamRequestError::Alertmanager(AlertmanagerError::Refused { .. }) => {
                ErrorCode::AlertmanagerRefused
            }
            TeamRequestError::Alertmanager(_) => ErrorCode::AlertmanagerUnreachable,
            TeamRequestError::NotAudited(_) => ErrorCode::HistoryFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{RuleError, RuleField};

    /// The UI reads these exact shapes: `details.overridable` on a refusal,
    /// `details.errors` on refused rules, and no `details` otherwise.
    #[test]
    fn errors_reach_the_window_as_code_message_and_details() {
        let refusal = Refusal {
            code: RefusalCode::AlreadyInState,
            message: "exchange_api is already closed".into(),
            overridable: true,
        };
        let wire = serde_json::to_value(IpcError::from(refusal)).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({
                "code": "refused",
                "message": "exchange_api is already closed",
                "details": { "refusal": "already_in_state", "overridable": true },
            })
        );

        let rejected = AlertRequestError::InvalidRules(RulesRejected {
            errors: vec![RuleError {
                rule: "cache low".into(),
                field: RuleField::Recover,
                message: "must be above 0.7".into(),
            }],
        });
        let wire = serde_json::to_value(IpcError::from(rejected)).unwrap();
        assert_eq!(wire["code"], "invalid_rules");
        assert_eq!(wire["details"]["errors"][0]["rule"], "cache low");
        assert_eq!(wire["details"]["errors"][0]["field"], "recover");

        let wire =
            serde_json::to_value(IpcError::from(AlertRequestError::NoSuchSilence(7))).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({ "code": "no_such_silence", "message": "no silence numbered 7" })
        );
    }

    #[test]
    fn alertmanager_s_refusal_reaches_the_window_with_its_reason() {
        let refused = TeamRequestError::Alertmanager(AlertmanagerError::Refused {
            status: 422,
            reason: "matchers in body is required".into(),
        });
        let wire = serde_json::to_value(IpcError::from(refused)).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({
                "code": "alertmanager_refused",
                "message": "Alertmanager refused (422): matchers in body is required",
            })
        );
        assert_eq!(
            TeamRequestError::NotConfigured.code(),
            ErrorCode::NoAlertmanager
        );
    }

    #[test]
    fn an_alert_refusal_keeps_the_code_of_its_reason() {
        let error = AlertRequestError::Refused(AlertError::EndsInThePast);
        assert_eq!(error.code(), ErrorCode::SilenceInThePast);
        assert_eq!(
            IpcError::from(ExportError::NoHistory).code,
            ErrorCode::NoHistory
        );
    }
}
