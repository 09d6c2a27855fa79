//! What this run of the console is watching and where it writes: shown in the UI's
//! header so an engineer knows whether they are looking at the demo or production.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SessionInfo {
    /// `demo`, or the path of the configuration file.
    pub config_source: String,
    /// True when watching the built-in simulated fleet.
    pub demo: bool,
    /// The history database file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// A problem that stopped the console from watching (bad configuration, unusable
    /// database), with what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Something the engineer should know that did not stop the console (a damaged
    /// history database moved aside and replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    pub version: String,
    /// The file "watch your own services" writes: the configuration being watched, or
    /// where the first service added from the demo creates one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    /// The configuration file was edited and the edit does not validate: the
    /// `check-config` error (file, line, what to do). The last good configuration keeps
    /// running meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_problem: Option<String>,
    /// Which console of this window's life this is: 0 at launch, one more each time a
    /// new configuration is applied (the first service added to the demo, a saved
    /// edit). The page subscribes afresh when it changes.
    #[serde(default)]
    pub run: u32,
}
