//! The team's Alertmanager inside the console: a refresh task that reads its alerts and
//! silences every `refresh` and publishes them ([`Console::team_alerts`]), renewing
//! before they end the acknowledgements this operator made while their alert still
//! fires; and the writes, once for the window and the CLI: acknowledge (an `ACK!`
//! silence on the alert's stable labels, for `ack_for`), silence (a reason and a
//! duration), expire. Each write that Alertmanager accepts is an audit row naming the
//! silence id; a refusal returns Alertmanager's reason and records nothing. When the
//! audit row cannot be written the silence is expired again, so nothing is half-done.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::Console;
use crate::alertmanager::{
    ack_matchers, due_for_renewal, team_alerts, AlertmanagerClient, AlertmanagerError, Matcher,
    PostableSilence, TeamAlert, TeamAlerts, TeamStatus, ACK_PREFIX,
};
use crate::clock::Clock;
use crate::config::AlertmanagerConfig;
use crate::store::{ActionIntent, ActionOutcome, WriterHandle};

/// How long a write waits for the audit row before undoing itself.
const AUDIT_PATIENCE: Duration = Duration::from_secs(3);

/// The console's link to the team's Alertmanager.
pub(super) struct TeamLink {
    client: AlertmanagerClient,
    config: AlertmanagerConfig,
    view: watch::Sender<TeamAlerts>,
    stop: CancellationToken,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl TeamLink {
    pub(super) fn new(config: &AlertmanagerConfig, client: reqwest::Client) -> TeamLink {
        let client = AlertmanagerClient::new(config, client);
        let mut first = TeamAlerts::off();
        first.status = TeamStatus::Reading;
        first.place = Some(client.place());
        TeamLink {
            client,
            config: config.clone(),
            view: watch::channel(first).0,
            stop: CancellationToken::new(),
            task: Mutex::new(None),
        }
    }

    /// Reads once and publishes; a failed read keeps the last alerts, with the reason.
    async fn read(&self, clock: &dyn Clock) -> Result<TeamAlerts, AlertmanagerError> {
        let (alerts, silences) = tokio::join!(self.client.alerts(), self.client.silences());
        match (alerts, silences) {
            (Ok(alerts), Ok(silences)) => {
                let view = team_alerts(&self.client.place(), &alerts, &silences, clock.now());
                self.view.send_replace(view.clone());
                Ok(view)
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot read the team's alerts");
                self.view.send_modify(|kept| {
                    kept.status = TeamStatus::Failing {
                        message: e.to_string(),
                    }
                });
                Err(e)
            }
        }
    }

    /// As [`TeamLink::read`], the published view either way.
    async fn refresh(&self, clock: &dyn Clock) -> TeamAlerts {
        match self.read(clock).await {
            Ok(view) => view,
            Err(_) => self.view.borrow().clone(),
        }
    }

    /// Renews this operator's acknowledgements that end soon and still cover an alert.
    async fn renew(&self, view: &TeamAlerts, operator: &str, clock: &dyn Clock) -> usize {
        let now = clock.now();
        let due: Vec<_> = due_for_renewal(
            view,
            operator,
            now,
            self.config.ack_for,
            self.config.refresh,
        )
        .into_iter()
        .cloned()
        .collect();
        let mut renewed = 0;
        for silence in due {
            let update = PostableSilence {
                id: Some(silence.id.clone()),
                matchers: silence.matchers.clone(),
                starts_at: silence.starts_at,
                ends_at: now + chrono_of(self.config.ack_for),
                created_by: silence.created_by.clone(),
                comment: silence.comment.clone(),
            };
            match self.client.post_silence(&update).await {
                Ok(id) => {
                    tracing::info!(old = %silence.id, id = %id, "acknowledgement renewed");
                    renewed += 1;
                }
                Err(e) => {
                    tracing::warn!(id = %silence.id, error = %e, "acknowledgement not renewed")
                }
            }
        }
        renewed
    }
}

fn chrono_of(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::zero())
}

/// What an acknowledgement, silence or expiry did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamSilenceDone {
    /// The silence in Alertmanager.
    pub silence_id: String,
    /// When it ends (for an expiry: now).
    #[ts(type = "string")]
    pub ends_at: DateTime<Utc>,
    /// The audit row, when a history is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub audit_id: Option<i64>,
}

/// Why a write to the team's Alertmanager was not done. Nothing was recorded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TeamRequestError {
    #[error("no [alertmanager] is configured")]
    NotConfigured,
    #[error("Alertmanager holds no alert `{0}` (it may have resolved)")]
    UnknownAlert(String),
    #[error("no active silence `{0}` in Alertmanager")]
    UnknownSilence(String),
    #[error(
        "alert `{alert}` has none of the acknowledgement labels ({labels}); silence it instead"
    )]
    NoStableLabels { alert: String, labels: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Alertmanager(#[from] AlertmanagerError),
    #[error("the audit log could not be written ({0}), so the silence was expired again")]
    NotAudited(String),
}

impl Console {
    /// Starts the refresh task, when `[alertmanager]` is configured (a long-running
    /// console: the window, `watch`).
    pub(super) fn start_team_refresh(&self) {
        let Some(link) = self.team.clone() else {
            return;
        };
        let clock = self.clock.clone();
        let operator = self.operator.clone();
        let every = link.config.refresh;
        let task_link = link.clone();
        let task = tokio::spawn(async move {
            let link = task_link;
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = link.stop.cancelled() => break,
                    _ = tick.tick() => {}
                }
                let round = async {
                    let view = link.refresh(clock.as_ref()).await;
                    if view.status == TeamStatus::Ok
                        && link.renew(&view, &operator, clock.as_ref()).await > 0
                    {
                        link.refresh(clock.as_ref()).await;
                    }
                };
                // Shutdown does not wait for a slow Alertmanager: a round in flight is
                // dropped (a renewal cut short is retried by the next console).
                tokio::select! {
                    _ = link.stop.cancelled() => break,
                    _ = round => {}
                }
            }
        });
        *link.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    }

    /// Stops the refresh task.
    pub(super) async fn stop_team_refresh(&self) {
        let Some(link) = &self.team else { return };
        link.stop.cancel();
        let task = link.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// The team's alerts as they change: the last read at once, then each new one.
    pub fn team_alerts(&self) -> watch::Receiver<TeamAlerts> {
        match &self.team {
            Some(link) => link.view.subscribe(),
            None => watch::channel(TeamAlerts::off()).1,
        }
    }

    /// Reads the team's alerts now (and publishes them), instead of waiting for the
    /// next refresh.
    pub async fn refresh_team_alerts(&self) -> TeamAlerts {
        match &self.team {
            Some(link) => link.refresh(self.clock.as_ref()).await,
            None => TeamAlerts::off(),
        }
    }

    /// Renews the due acknowledgements now, as the refresh task does each round;
    /// returns how many were renewed.
    pub async fn renew_team_acknowledgements(&self) -> usize {
        let Some(link) = &self.team else { return 0 };
        let view = link.refresh(self.clock.as_ref()).await;
        link.renew(&view, &self.operator, self.clock.as_ref()).await
    }

    /// Acknowledges the team's alert `alert_id` (its fingerprint): an `ACK! <comment>`
    /// silence by the operator on its stable labels, for `ack_for` unless `lasting`.
    pub async fn acknowledge_team_alert(
        &self,
        alert_id: &str,
        comment: &str,
        lasting: Option<Duration>,
    ) -> Result<TeamSilenceDone, TeamRequestError> {
        let link = self.team.as_ref().ok_or(TeamRequestError::NotConfigured)?;
        let alert = self.find_team_alert(link, alert_id).await?;
        let matchers = ack_matchers(&alert, &link.config.ack_labels).ok_or_else(|| {
            TeamRequestError::NoStableLabels {
                alert: alert.name.clone(),
                labels: link.config.ack_labels.join(", "),
            }
        })?;
        let comment = comment.trim();
        let text = if comment.is_empty() {
            ACK_PREFIX.to_string()
        } else {
            format!("{ACK_PREFIX} {comment}")
        };
        let lasting = lasting.unwrap_or(link.config.ack_for);
        self.write_silence(link, &alert, matchers, text, lasting, "alertmanager_ack")
            .await
    }

    /// Silences the team's alert `alert_id` on all of its labels for `lasting`, with a
    /// reason.
    pub async fn silence_team_alert(
        &self,
        alert_id: &str,
        reason: &str,
        lasting: Duration,
    ) -> Result<TeamSilenceDone, TeamRequestError> {
        let link = self.team.as_ref().ok_or(TeamRequestError::NotConfigured)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(TeamRequestError::Invalid(
                "a silence needs a reason, for whoever looks at it next".into(),
            ));
        }
        if reason.starts_with(ACK_PREFIX) {
            return Err(TeamRequestError::Invalid(
                "a silence's reason must not start with ACK!; acknowledge instead".into(),
            ));
        }
        let alert = self.find_team_alert(link, alert_id).await?;
        let matchers: Vec<Matcher> = alert
            .labels
            .iter()
            .map(|(name, value)| Matcher::equal(name, value))
            .collect();
        self.write_silence(
            link,
            &alert,
            matchers,
            reason.to_string(),
            lasting,
            "alertmanager_silence",
        )
        .await
    }

    /// Takes back the acknowledgements of `alert_id`: expires every active `ACK!`
    /// silence over it. Returns what was expired.
    pub async fn unacknowledge_team_alert(
        &self,
        alert_id: &str,
    ) -> Result<Vec<TeamSilenceDone>, TeamRequestError> {
        let link = self.team.as_ref().ok_or(TeamRequestError::NotConfigured)?;
        let alert = self.find_team_alert(link, alert_id).await?;
        let acks: Vec<String> = alert
            .silences
            .iter()
            .filter(|s| s.acknowledgement && s.is_active())
            .map(|s| s.id.clone())
            .collect();
        if acks.is_empty() {
            return Err(TeamRequestError::Invalid(format!(
                "alert `{}` ({alert_id}) is not acknowledged",
                alert.name
            )));
        }
        let mut done = Vec::new();
        for id in acks {
            done.push(self.expire_team_silence(&id).await?);
        }
        Ok(done)
    }

    /// Expires the silence `silence_id` in Alertmanager, with an audit row.
    pub async fn expire_team_silence(
        &self,
        silence_id: &str,
    ) -> Result<TeamSilenceDone, TeamRequestError> {
        let link = self.team.as_ref().ok_or(TeamRequestError::NotConfigured)?;
        let view = link.read(self.clock.as_ref()).await?;
        let Some(silence) = view.silences.iter().find(|s| s.id == silence_id).cloned() else {
            return Err(TeamRequestError::UnknownSilence(silence_id.to_string()));
        };
        let service = view
            .alerts
            .iter()
            .find(|a| a.silences.iter().any(|s| s.id == silence_id))
            .map(audit_service)
            .unwrap_or_else(|| "alertmanager".to_string());
        let started = std::time::Instant::now();
        link.client.expire_silence(silence_id).await?;
        let now = self.clock.now();
        let intent = ActionIntent {
            at: now,
            operator: self.operator.clone(),
            service,
            target: Some(silence_id.to_string()),
            action: "alertmanager_expire".into(),
            reason: Some(silence.comment.clone()),
            override_checks: false,
            instance: None,
        };
        let message = format!(
            "silence {silence_id} expired in Alertmanager at {}",
            link.client.place()
        );
        // An expiry cannot be undone; a failed audit row is logged, not reverted.
        let audit_id = match self.audit.as_ref() {
            Some(writer) => audit(writer, intent, &message, started).await.ok(),
            None => None,
        };
        link.refresh(self.clock.as_ref()).await;
        Ok(TeamSilenceDone {
            silence_id: silence_id.to_string(),
            ends_at: now,
            audit_id,
        })
    }

    async fn find_team_alert(
        &self,
        link: &TeamLink,
        alert_id: &str,
    ) -> Result<TeamAlert, TeamRequestError> {
        let view = link.read(self.clock.as_ref()).await?;
        view.alert(alert_id)
            .cloned()
            .ok_or_else(|| TeamRequestError::UnknownAlert(alert_id.to_string()))
    }

    /// Posts a new silence, then its audit row; expires it again if the row fails.
    async fn write_silence(
        &self,
        link: &TeamLink,
        alert: &TeamAlert,
        matchers: Vec<Matcher>,
        comment: String,
        lasting: Duration,
        action: &str,
    ) -> Result<TeamSilenceDone, TeamRequestError> {
        if lasting < Duration::from_secs(1) {
            return Err(TeamRequestError::Invalid(
                "a silence must last at least 1s".into(),
            ));
        }
        let started = std::time::Instant::now();
        let now = self.clock.now();
        let ends_at = now + chrono_of(lasting);
        let silence = PostableSilence {
            id: None,
            matchers,
            starts_at: now,
            ends_at,
            created_by: self.operator.clone(),
            comment: comment.clone(),
        };
        let id = link.client.post_silence(&silence).await?;
        let mut audit_id = None;
        if let Some(writer) = self.audit.as_ref() {
            let intent = ActionIntent {
                at: now,
                operator: self.operator.clone(),
                service: audit_service(alert),
                target: Some(format!("{} ({})", alert.name, alert.id)),
                action: action.to_string(),
                reason: Some(comment),
                override_checks: false,
                instance: None,
            };
            let message = format!(
                "silence {id} in Alertmanager at {} until {}",
                link.client.place(),
                ends_at.format("%Y-%m-%d %H:%M:%SZ")
            );
            match audit(writer, intent, &message, started).await {
                Ok(row) => audit_id = Some(row),
                Err(problem) => {
                    if let Err(e) = link.client.expire_silence(&id).await {
                        tracing::error!(id = %id, error = %e, "an unaudited silence could not be expired");
                    }
                    link.refresh(self.clock.as_ref()).await;
                    return Err(TeamRequestError::NotAudited(problem));
                }
            }
        }
        link.refresh(self.clock.as_ref()).await;
        Ok(TeamSilenceDone {
            silence_id: id,
            ends_at,
            audit_id,
        })
    }
}

/// The service an audit row about a team alert is filed under: its `job`, else
/// `alertmanager`.
fn audit_service(alert: &TeamAlert) -> String {
    alert
        .labels
        .get("job")
        .cloned()
        .unwrap_or_else(|| "alertmanager".to_string())
}

/// Writes a completed audit row (intent and outcome) and waits until it is stored.
async fn audit(
    writer: &WriterHandle,
    intent: ActionIntent,
    message: &str,
    started: std::time::Instant,
) -> Result<i64, String> {
    let at = intent.at;
    let write = async {
        let id = writer
            .action_started(intent)
            .await
            .map_err(|e| e.to_string())?;
        writer.action_finished(
            id,
            ActionOutcome {
                at,
                http_status: Some(200),
                message: Some(message.to_string()),
                duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                verified_state: None,
            },
        );
        writer.flush().await.map_err(|e| e.to_string())?;
        Ok(id)
    };
    tokio::time::timeout(AUDIT_PATIENCE, write)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "not written within {}",
                humantime::format_duration(AUDIT_PATIENCE)
            ))
        })
}
