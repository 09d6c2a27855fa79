//! What Switchyard shows of Alertmanager's answers: each alert with its labels, the
//! annotations an engineer reads (summary, description, runbook), and the silences that
//! cover it; an alert is *acknowledged* when one of those is active and its comment
//! starts `ACK!` (by its `createdBy`), which is distinct from a plain silence. Also the
//! matchers of a new acknowledgement (the alert's stable labels) and which
//! acknowledgements are due for renewal. Pure: the console feeds it what it read.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{GettableAlert, GettableSilence, Matcher};
use crate::alerts::Severity;

/// The comment prefix that makes a silence an acknowledgement (as Karma does it).
pub const ACK_PREFIX: &str = "ACK!";

/// How the team's alerts were last read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TeamStatus {
    /// No `[alertmanager]` in the configuration.
    Off,
    /// Configured, not read yet.
    Reading,
    /// Read at `read_at`.
    Ok,
    /// The last read failed: why, naming the Alertmanager. The alerts shown are those
    /// of the last good read.
    Failing { message: String },
}

/// A silence as the panel lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamSilence {
    pub id: String,
    /// `active`, `pending` or `expired`.
    pub state: String,
    pub matchers: Vec<Matcher>,
    #[ts(type = "string")]
    pub starts_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    /// The comment starts `ACK!`: an acknowledgement, not a plain silence.
    pub acknowledgement: bool,
}

impl TeamSilence {
    fn from_gettable(silence: &GettableSilence) -> TeamSilence {
        TeamSilence {
            id: silence.id.clone(),
            state: silence.status.state.clone(),
            matchers: silence.matchers.clone(),
            starts_at: silence.starts_at,
            ends_at: silence.ends_at,
            created_by: silence.created_by.clone(),
            comment: silence.comment.clone(),
            acknowledgement: silence.comment.trim_start().starts_with(ACK_PREFIX),
        }
    }

    pub fn is_active(&self) -> bool {
        self.state == "active"
    }

    /// The comment without the `ACK!` prefix.
    pub fn reason(&self) -> &str {
        let comment = self.comment.trim_start();
        comment.strip_prefix(ACK_PREFIX).unwrap_or(comment).trim()
    }
}

/// One of the team's alerts, as the panel, the tray and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamAlert {
    /// Alertmanager's fingerprint: the id `ack` and `unack` take.
    pub id: String,
    /// The `alertname` label.
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub runbook_url: Option<String>,
    #[ts(type = "string")]
    pub starts_at: DateTime<Utc>,
    /// `active` (passed on), `suppressed` (silenced or inhibited) or `unprocessed`.
    pub state: String,
    /// From the `severity` label, read leniently (`error` is high, `page` critical).
    pub severity: Severity,
    /// The active silences over it, acknowledgements included.
    pub silences: Vec<TeamSilence>,
    /// Who acknowledged it (an active `ACK!` silence's `createdBy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub acknowledged_by: Option<String>,
    /// Silenced by a plain silence (not an acknowledgement): by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub silenced_by: Option<String>,
    /// Held back by another alert.
    pub inhibited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub generator_url: Option<String>,
}

impl TeamAlert {
    /// Neither acknowledged, silenced nor inhibited: it calls for someone.
    pub fn unhandled(&self) -> bool {
        self.acknowledged_by.is_none() && self.silenced_by.is_none() && !self.inhibited
    }
}

/// The team's alerts as the window receives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TeamAlerts {
    pub status: TeamStatus,
    /// `host:port` of the Alertmanager, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub place: Option<String>,
    /// When the alerts below were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string")]
    pub read_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub alerts: Vec<TeamAlert>,
    /// Active and pending silences, newest first, for listing and expiring.
    pub silences: Vec<TeamSilence>,
}

impl TeamAlerts {
    pub fn off() -> TeamAlerts {
        TeamAlerts {
            status: TeamStatus::Off,
            place: None,
            read_at: None,
            alerts: Vec::new(),
            silences: Vec::new(),
        }
    }

    /// The worst severity firing: the tray's colour counts handled alerts too (they are
    /// still broken), as for Switchyard's own.
    pub fn worst(&self) -> Option<Severity> {
        self.alerts.iter().map(|a| a.severity).max()
    }

    pub fn alert(&self, id: &str) -> Option<&TeamAlert> {
        self.alerts.iter().find(|a| a.id == id)
    }
}

/// `severity` label words as teams write them.
pub fn severity_of(labels: &BTreeMap<String, String>) -> Severity {
    match labels
        .get("severity")
        .map(|s| s.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("critical" | "page" | "fatal" | "emergency") => Severity::Critical,
        Some("high" | "error" | "major") => Severity::High,
        Some("info" | "informational" | "none" | "low") => Severity::Info,
        _ => Severity::Warning,
    }
}

/// Whether a silence's matchers select these labels (regex matchers are left to
/// Alertmanager's `silencedBy`: this reads only equality and inequality).
fn matches(matchers: &[Matcher], labels: &BTreeMap<String, String>) -> bool {
    !matchers.is_empty()
        && matchers.iter().all(|m| {
            if m.is_regex {
                return false;
            }
            let value = labels.get(&m.name).map(String::as_str).unwrap_or("");
            (value == m.value) == m.is_equal
        })
}

/// Joins the alerts and silences read at `read_at` into what the window shows.
pub fn team_alerts(
    place: &str,
    alerts: &[GettableAlert],
    silences: &[GettableSilence],
    read_at: DateTime<Utc>,
) -> TeamAlerts {
    let listed: Vec<TeamSilence> = silences.iter().map(TeamSilence::from_gettable).collect();
    let mut shown: Vec<TeamAlert> = alerts
        .iter()
        .map(|alert| {
            let covering: Vec<TeamSilence> = listed
                .iter()
                .filter(|s| s.is_active())
                .filter(|s| {
                    alert.status.silenced_by.contains(&s.id) || matches(&s.matchers, &alert.labels)
                })
                .cloned()
                .collect();
            // The latest-ending one speaks for it.
            let by = |ack: bool| {
                covering
                    .iter()
                    .filter(|s| s.acknowledgement == ack)
                    .max_by_key(|s| s.ends_at)
                    .map(|s| s.created_by.clone())
            };
            let annotation = |key: &str| {
                alert
                    .annotations
                    .get(key)
                    .filter(|v| !v.trim().is_empty())
                    .cloned()
            };
            TeamAlert {
                id: alert.fingerprint.clone(),
                name: alert
                    .labels
                    .get("alertname")
                    .cloned()
                    .unwrap_or_else(|| "(no alertname)".to_string()),
                labels: alert.labels.clone(),
                annotations: alert.annotations.clone(),
                summary: annotation("summary"),
                description: annotation("description"),
                runbook_url: annotation("runbook_url"),
                starts_at: alert.starts_at,
                state: alert.status.state.clone(),
                severity: severity_of(&alert.labels),
                acknowledged_by: by(true),
                silenced_by: by(false),
                inhibited: !alert.status.inhibited_by.is_empty(),
                silences: covering,
                generator_url: alert.generator_url.clone().filter(|u| !u.is_empty()),
            }
        })
        .collect();
    shown.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
    let mut in_force: Vec<TeamSilence> = listed
        .into_iter()
        .filter(|s| s.state != "expired")
        .collect();
    in_force.sort_by(|a, b| b.starts_at.cmp(&a.starts_at).then(a.id.cmp(&b.id)));
    TeamAlerts {
        status: TeamStatus::Ok,
        place: Some(place.to_string()),
        read_at: Some(read_at),
        alerts: shown,
        silences: in_force,
    }
}

/// The matchers of an acknowledgement of `alert`: equality on each of `ack_labels` the
/// alert has. `None` when it has none of them (nothing stable to match).
pub fn ack_matchers(alert: &TeamAlert, ack_labels: &[String]) -> Option<Vec<Matcher>> {
    let matchers: Vec<Matcher> = ack_labels
        .iter()
        .filter_map(|name| {
            alert
                .labels
                .get(name)
                .map(|value| Matcher::equal(name, value))
        })
        .collect();
    (!matchers.is_empty()).then_some(matchers)
}

/// How close to its end an acknowledgement is renewed: a quarter of `ack_for`, at least
/// three refreshes (so one failed read does not let it lapse), at most half of it.
pub fn renewal_margin(ack_for: Duration, refresh: Duration) -> Duration {
    (ack_for / 4).max(refresh * 3).min(ack_for / 2)
}

/// The acknowledgements `operator` made that should be renewed now: active `ACK!`
/// silences of theirs that still cover an alert Alertmanager holds and end within the
/// renewal margin.
pub fn due_for_renewal<'a>(
    view: &'a TeamAlerts,
    operator: &str,
    now: DateTime<Utc>,
    ack_for: Duration,
    refresh: Duration,
) -> Vec<&'a TeamSilence> {
    let margin = chrono::Duration::from_std(renewal_margin(ack_for, refresh))
        .unwrap_or(chrono::Duration::zero());
    view.silences
        .iter()
        .filter(|s| s.is_active() && s.acknowledgement && s.created_by == operator)
        .filter(|s| s.ends_at - now <= margin)
        .filter(|s| {
            view.alerts
                .iter()
                .any(|a| a.silences.iter().any(|covering| covering.id == s.id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alertmanager::{AlertStatus, SilenceStatus};

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + minute * 60, 0).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn alert(fingerprint: &str, pairs: &[(&str, &str)], silenced_by: &[&str]) -> GettableAlert {
        GettableAlert {
            labels: labels(pairs),
            annotations: labels(&[
                ("summary", "breaker open"),
                ("runbook_url", "https://run/1"),
            ]),
            fingerprint: fingerprint.into(),
            starts_at: at(0),
            updated_at: None,
            ends_at: None,
            generator_url: None,
            status: AlertStatus {
                state: if silenced_by.is_empty() {
                    "active"
                } else {
                    "suppressed"
                }
                .into(),
                silenced_by: silenced_by.iter().map(|s| s.to_string()).collect(),
                inhibited_by: Vec::new(),
            },
        }
    }

    fn silence(
        id: &str,
        comment: &str,
        by: &str,
        ends: i64,
        matchers: Vec<Matcher>,
    ) -> GettableSilence {
        GettableSilence {
            id: id.into(),
            status: SilenceStatus {
                state: "active".into(),
            },
            matchers,
            starts_at: at(0),
            ends_at: at(ends),
            created_by: by.into(),
            comment: comment.into(),
            updated_at: None,
        }
    }

    #[test]
    fn an_ack_silence_reads_as_acknowledged_and_a_plain_one_as_silenced() {
        let alerts = [
            alert(
                "a1",
                &[
                    ("alertname", "BreakerOpen"),
                    ("job", "orders"),
                    ("pod", "p-1"),
                ],
                &["s1"],
            ),
            alert(
                "a2",
                &[
                    ("alertname", "DiskFull"),
                    ("job", "db"),
                    ("severity", "critical"),
                ],
                &[],
            ),
            alert("a3", &[("alertname", "Slow")], &[]),
        ];
        let silences = [
            silence(
                "s1",
                "ACK! looking at it",
                "ana",
                60,
                vec![Matcher::equal("alertname", "BreakerOpen")],
            ),
            // Not in silencedBy yet (read a moment earlier), but its matchers select it.
            silence(
                "s2",
                "maintenance window",
                "bo",
                30,
                vec![Matcher::equal("job", "db")],
            ),
        ];
        let view = team_alerts("am:9093", &alerts, &silences, at(1));
        let by_id = |id: &str| view.alert(id).unwrap();
        assert_eq!(by_id("a1").acknowledged_by.as_deref(), Some("ana"));
        assert_eq!(by_id("a1").silenced_by, None);
        assert_eq!(by_id("a1").summary.as_deref(), Some("breaker open"));
        assert_eq!(by_id("a1").runbook_url.as_deref(), Some("https://run/1"));
        assert_eq!(by_id("a1").silences[0].reason(), "looking at it");
        assert_eq!(by_id("a2").acknowledged_by, None);
        assert_eq!(by_id("a2").silenced_by.as_deref(), Some("bo"));
        assert_eq!(by_id("a2").severity, Severity::Critical);
        assert!(by_id("a3").unhandled());
        assert_eq!(view.worst(), Some(Severity::Critical));
        assert_eq!(view.silences.len(), 2);
    }

    #[test]
    fn an_expired_ack_does_not_count() {
        let mut expired = silence(
            "s1",
            "ACK! done",
            "ana",
            60,
            vec![Matcher::equal("alertname", "X")],
        );
        expired.status.state = "expired".into();
        let view = team_alerts(
            "am",
            &[alert("a", &[("alertname", "X")], &[])],
            &[expired],
            at(1),
        );
        assert_eq!(view.alerts[0].acknowledged_by, None);
        assert!(view.silences.is_empty());
    }

    #[test]
    fn an_ack_matches_the_stable_labels_the_alert_has() {
        let view = team_alerts(
            "am",
            &[alert(
                "a",
                &[
                    ("alertname", "BreakerOpen"),
                    ("job", "orders"),
                    ("instance", "10.0.0.5:8080"),
                ],
                &[],
            )],
            &[],
            at(0),
        );
        let stable = ["alertname".to_string(), "job".into(), "name".into()];
        assert_eq!(
            ack_matchers(&view.alerts[0], &stable).unwrap(),
            [
                Matcher::equal("alertname", "BreakerOpen"),
                Matcher::equal("job", "orders")
            ]
        );
        assert_eq!(ack_matchers(&view.alerts[0], &["pod".to_string()]), None);
    }

    #[test]
    fn only_own_acks_that_still_cover_a_firing_alert_and_end_soon_are_renewed() {
        let ack_for = Duration::from_secs(3600);
        let refresh = Duration::from_secs(15);
        assert_eq!(renewal_margin(ack_for, refresh), Duration::from_secs(900));
        let alerts = [alert(
            "a",
            &[("alertname", "X")],
            &["mine", "later", "theirs"],
        )];
        let m = || vec![Matcher::equal("alertname", "X")];
        let silences = [
            silence("mine", "ACK! on it", "ana", 50, m()),
            silence("later", "ACK! on it", "ana", 100, m()),
            silence("theirs", "ACK! me too", "bo", 50, m()),
            silence("plain", "quiet", "ana", 50, m()),
            silence(
                "gone",
                "ACK! resolved",
                "ana",
                50,
                vec![Matcher::equal("alertname", "Y")],
            ),
        ];
        let view = team_alerts("am", &alerts, &silences, at(40));
        let due: Vec<&str> = due_for_renewal(&view, "ana", at(40), ack_for, refresh)
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(due, ["mine"]);
    }
}
