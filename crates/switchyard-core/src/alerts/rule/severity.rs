//! How bad a firing alert is: the four severities, read strictly from the configuration
//! and the UI, leniently from what a service declares.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How bad a firing alert is; ordered from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Warning,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The strict reading used for the configuration and the UI: one of the four words.
    pub fn parse(word: &str) -> Result<Severity, String> {
        let normal = word.trim().to_ascii_lowercase();
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == normal)
            .ok_or_else(|| {
                format!(
                    "`{}` is not a severity; use info, warning, high or critical",
                    word.trim()
                )
            })
    }

    /// The lenient reading of a severity a service declares: `medium` (and anything not
    /// understood) is a warning, so a service's own threshold is never dropped.
    pub fn from_service_word(word: &str) -> Severity {
        match word.trim().to_ascii_lowercase().as_str() {
            "info" | "low" => Severity::Info,
            "high" | "error" => Severity::High,
            "critical" => Severity::Critical,
            _ => Severity::Warning,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
