//! The team's Alertmanager (API v2; docs/contracts.md, "Alertmanager"): the alerts the
//! team's rules fire, the silences over them, and acknowledgements shared through it.
//! [`client`] speaks the API (guarded: deadline, body cap, headers by reference, typed
//! refusals carrying Alertmanager's reason); [`view`] turns its answers into what the
//! window, the tray and the CLI show (each alert with the silences that cover it, and
//! whether one of them is an acknowledgement), and decides which acknowledgement is due
//! for renewal; [`notices`] adds them to the tray and notifications. Pure apart from
//! `client`: the console runs the refresh and the writes.

pub mod client;
pub mod notices;
pub mod view;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use client::{AlertmanagerClient, AlertmanagerError};
pub use view::{
    ack_matchers, due_for_renewal, team_alerts, TeamAlert, TeamAlerts, TeamSilence, TeamStatus,
    ACK_PREFIX,
};

/// One alert as `GET /api/v2/alerts` returns it (the fields Switchyard reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub fingerprint: String,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: Option<String>,
    pub status: AlertStatus,
}

/// Whether Alertmanager passes an alert on (`active`), holds it back (`suppressed`:
/// silenced or inhibited), or has not looked at it yet (`unprocessed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

/// A label matcher of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    /// Absent in answers of old versions: equality.
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// `name="value"`: equal, not a regex.
    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher {
            name: name.to_string(),
            value: value.to_string(),
            is_regex: false,
            is_equal: true,
        }
    }
}

/// One silence as `GET /api/v2/silences` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableSilence {
    pub id: String,
    pub status: SilenceStatus,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    pub state: String,
}

/// What `POST /api/v2/silences` takes: every field, `id` to update that silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableSilence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

/// The labels as `name="value", …`, the way Alertmanager's own UI writes them.
pub fn describe_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
