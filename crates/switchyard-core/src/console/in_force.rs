//! The alerts in force in one list, for `switchyard-cli alerts`, `ack` and `unack`:
//! Switchyard's own (from the history: open episodes, who acknowledged them, the
//! silences over them) and the team's (from Alertmanager), each with an id a command
//! can name. An own alert's id is `service/rule` (and `/subject` when the rule watches
//! a part of the service); a team alert's is `am:` and its fingerprint.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Console, TeamRequestError, TeamSilenceDone};
use crate::alertmanager::{TeamAlert, TeamStatus};
use crate::store::{time_from_ms, AlertAcknowledgement, OpenAlertRecord};

/// The prefix of a team alert's id.
pub const TEAM_ID_PREFIX: &str = "am:";

/// One alert in force, as the CLI lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertInForce {
    pub id: String,
    /// `switchyard` or `alertmanager`.
    pub source: &'static str,
    pub name: String,
    /// The service (own) or the `job` label (team).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `pending` or `firing` (own); `active`, `suppressed` or `unprocessed` (team).
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silenced_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook_url: Option<String>,
}

/// Everything in force, and what could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertsInForce {
    pub alerts: Vec<AlertInForce>,
    /// Why some alerts are missing: the history or Alertmanager could not be read.
    pub problems: Vec<String>,
}

/// What `ack` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum AckDone {
    /// Recorded in the history (Switchyard's own alert).
    Switchyard { id: String, by: String },
    /// A silence in Alertmanager.
    Alertmanager(TeamSilenceDone),
}

/// The id `alerts` prints for an own alert.
pub fn own_id(record: &OpenAlertRecord) -> String {
    if record.subject.is_empty() || record.subject == record.service {
        format!("{}/{}", record.service, record.rule)
    } else {
        format!("{}/{}/{}", record.service, record.rule, record.subject)
    }
}

fn team_line(alert: &TeamAlert) -> AlertInForce {
    AlertInForce {
        id: format!("{TEAM_ID_PREFIX}{}", alert.id),
        source: "alertmanager",
        name: alert.name.clone(),
        service: alert.labels.get("job").cloned(),
        state: alert.state.clone(),
        severity: Some(alert.severity.as_str().to_string()),
        since: Some(alert.starts_at),
        acknowledged_by: alert.acknowledged_by.clone(),
        silenced_by: alert.silenced_by.clone(),
        summary: alert.summary.clone(),
        runbook_url: alert.runbook_url.clone(),
    }
}

impl Console {
    /// Switchyard's own alerts in force (from the history) and the team's.
    pub async fn alerts_in_force(&self) -> AlertsInForce {
        let mut alerts = Vec::new();
        let mut problems = Vec::new();
        match self.store() {
            Some(store) => {
                let silences = store.silences_in_force(self.clock.now()).await;
                match (store.open_alerts().await, silences) {
                    (Ok(open), Ok(silences)) => {
                        for record in open {
                            let silenced_by = silences
                                .iter()
                                .find(|s| {
                                    s.rule.as_ref().is_none_or(|r| *r == record.rule)
                                        && s.service.as_ref().is_none_or(|v| *v == record.service)
                                })
                                .map(|s| s.created_by.clone());
                            alerts.push(AlertInForce {
                                id: own_id(&record),
                                source: "switchyard",
                                name: record.rule.clone(),
                                service: Some(record.service.clone()),
                                state: record.state.clone(),
                                severity: None,
                                since: time_from_ms(record.since_ms),
                                acknowledged_by: record.acknowledged_by.clone(),
                                silenced_by,
                                summary: None,
                                runbook_url: None,
                            });
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        problems.push(format!("the history could not be read: {e}"))
                    }
                }
            }
            None => problems.push(match &self.notes.history_error {
                Some(e) => format!("no history: {e}"),
                None => "no history database is open".to_string(),
            }),
        }
        if self.team.is_some() {
            let view = self.refresh_team_alerts().await;
            if let TeamStatus::Failing { message } = &view.status {
                problems.push(message.clone());
            }
            alerts.extend(view.alerts.iter().map(team_line));
        }
        AlertsInForce { alerts, problems }
    }

    /// Acknowledges the alert `id` as `alerts` printed it: a team alert in
    /// Alertmanager, an own alert in the history.
    pub async fn acknowledge_in_force(
        &self,
        id: &str,
        comment: &str,
        lasting: Option<Duration>,
    ) -> Result<AckDone, TeamRequestError> {
        if let Some(fingerprint) = id.strip_prefix(TEAM_ID_PREFIX) {
            return self
                .acknowledge_team_alert(fingerprint, comment, lasting)
                .await
                .map(AckDone::Alertmanager);
        }
        let store = self
            .store()
            .ok_or_else(|| TeamRequestError::Invalid("no history database is open".to_string()))?;
        let open = store
            .open_alerts()
            .await
            .map_err(|e| TeamRequestError::Invalid(e.to_string()))?;
        let Some(record) = open.iter().find(|r| own_id(r) == id) else {
            return Err(TeamRequestError::UnknownAlert(id.to_string()));
        };
        let writer = self.audit.as_ref().ok_or_else(|| {
            TeamRequestError::Invalid("the history is not being written".to_string())
        })?;
        writer.acknowledge_alert(AlertAcknowledgement {
            rule: record.rule.clone(),
            service: record.service.clone(),
            subject: Some(record.subject.clone()),
            by: self.operator.clone(),
            at: self.clock.now(),
            comment: Some(comment.to_string()).filter(|c| !c.trim().is_empty()),
        });
        writer
            .flush()
            .await
            .map_err(|e| TeamRequestError::NotAudited(e.to_string()))?;
        Ok(AckDone::Switchyard {
            id: id.to_string(),
            by: self.operator.clone(),
        })
    }

    /// Takes back the acknowledgement of a team alert (`am:…`): its `ACK!` silences
    /// are expired. Switchyard's own acknowledgements end when the alert resolves.
    pub async fn unacknowledge_in_force(
        &self,
        id: &str,
    ) -> Result<Vec<TeamSilenceDone>, TeamRequestError> {
        match id.strip_prefix(TEAM_ID_PREFIX) {
            Some(fingerprint) => self.unacknowledge_team_alert(fingerprint).await,
            None => Err(TeamRequestError::Invalid(format!(
                "`{id}` is one of Switchyard's own alerts: its acknowledgement lasts until it resolves; only the team's (am:…) can be taken back"
            ))),
        }
    }
}
