//! What the engine's alerts start from: the rules in force (the ones saved from the
//! window, else the configuration's over the defaults), the silences still in force,
//! and the alerts that were open when the console last stopped, all read back from the
//! history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::alerts::{
    rules_from_toml, with_defaults, Acknowledgement, AlertKey, AlertPhase, CarriedAlert, Rule,
    Silence, SilenceId, SilenceTarget,
};
use crate::config::Config;
use crate::store::{self, Store, StoreError};

/// Who saved the rule set in force, and when (absent: the configuration's rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RulesSaved {
    pub by: String,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// What the engine starts alerting with.
#[derive(Debug, Clone, Default)]
pub struct AlertSetup {
    /// The configured and default rules (imported ones arrive with observations).
    pub rules: Vec<Rule>,
    /// Set when `rules` are the ones saved from the UI rather than the configuration's.
    pub rules_saved: Option<RulesSaved>,
    /// Silences still in force, with their numbers.
    pub silences: Vec<Silence>,
    /// The highest silence number ever used: new ones number on from it.
    pub last_silence_id: u64,
    /// Alerts that were firing when the console stopped: their episodes go on.
    pub carried: Vec<CarriedAlert>,
}

impl AlertSetup {
    /// The configuration's `[[alert]]` rules over the defaults; no silences.
    pub fn from_config(config: &Config) -> AlertSetup {
        AlertSetup {
            rules: with_defaults(config.alerts.clone()),
            ..AlertSetup::default()
        }
    }

    /// What the history remembers: the rules as last saved from the UI (else the
    /// configuration's) and the silences still in force at `now`. A saved rule set that
    /// no longer reads (written by another version) is skipped with a warning rather
    /// than leaving the console without alerts.
    pub async fn load(
        store: &Store,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<AlertSetup, StoreError> {
        let mut setup = AlertSetup::from_config(config);
        if let Some(saved) = store.latest_alert_rules().await? {
            match rules_from_toml(&saved.rules_toml) {
                Ok(rules) => {
                    setup.rules = rules;
                    setup.rules_saved = Some(RulesSaved {
                        by: saved.saved_by,
                        at: store::time_from_ms(saved.saved_at_ms).unwrap_or(now),
                    });
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "the alert rules saved in the history do not read; using the configuration's"
                ),
            }
        }
        setup.silences = store
            .silences_in_force(now)
            .await?
            .into_iter()
            .filter_map(silence_from_record)
            .collect();
        setup.last_silence_id = store.last_silence_id().await?;
        setup.carried = store
            .open_alerts()
            .await?
            .into_iter()
            .filter_map(carried_from_record)
            .collect();
        Ok(setup)
    }
}

fn carried_from_record(record: store::OpenAlertRecord) -> Option<CarriedAlert> {
    let acknowledged = match (record.acknowledged_by, record.acknowledged_at_ms) {
        (Some(by), Some(at_ms)) => Some(Acknowledgement {
            by,
            comment: record.ack_comment,
            at: store::time_from_ms(at_ms)?,
        }),
        _ => None,
    };
    let phase = match record.state.as_str() {
        "pending" => AlertPhase::Pending,
        "firing" => AlertPhase::Firing,
        _ => return None,
    };
    Some(CarriedAlert {
        key: AlertKey::new(&record.rule, &record.service, &record.subject),
        phase,
        since: store::time_from_ms(record.since_ms)?,
        acknowledged,
    })
}

fn silence_from_record(record: store::SilenceRecord) -> Option<Silence> {
    Some(Silence {
        id: SilenceId(u64::try_from(record.id).ok()?),
        target: SilenceTarget {
            rule: record.rule,
            service: record.service,
        },
        until: store::time_from_ms(record.until_ms)?,
        reason: record.reason,
        by: record.created_by,
        created_at: store::time_from_ms(record.created_at_ms)?,
    })
}
