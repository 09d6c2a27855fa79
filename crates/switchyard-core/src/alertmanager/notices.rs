//! The team's alerts on the desktop by the same rules as Switchyard's own: the tray's
//! colour is the worst severity of both (handled alerts still count: they are still
//! broken), its text adds the team's counts; a desktop notification when one of the
//! team's alerts starts firing unhandled or resolves. The first read after start
//! announces nothing (those alerts were there before Switchyard looked). Pure.

use std::collections::BTreeMap;

use super::view::{TeamAlert, TeamAlerts, TeamStatus};
use crate::alert_notices::{tray_summary, Announcement, TraySummary};
use crate::alerts::Severity;

/// `summary` (Switchyard's own, from [`tray_summary`]) with the team's alerts added.
pub fn with_team(
    summary: TraySummary,
    own_worst: Option<Severity>,
    team: &TeamAlerts,
) -> TraySummary {
    let worst = own_worst.max(team.worst());
    let level = tray_summary(&[], worst).level;
    let mut text = summary.text;
    if !team.alerts.is_empty() {
        let acknowledged = team
            .alerts
            .iter()
            .filter(|a| a.acknowledged_by.is_some())
            .count();
        let silenced = team
            .alerts
            .iter()
            .filter(|a| a.acknowledged_by.is_none() && (a.silenced_by.is_some() || a.inhibited))
            .count();
        let handled: Vec<String> = [(acknowledged, "acknowledged"), (silenced, "silenced")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, word)| format!("{n} {word}"))
            .collect();
        text.push_str(&format!("; team: {} firing", team.alerts.len()));
        if !handled.is_empty() {
            text.push_str(&format!(" ({})", handled.join(", ")));
        }
    }
    if matches!(team.status, TeamStatus::Failing { .. }) {
        text.push_str("; Alertmanager unreachable");
    }
    TraySummary { level, text }
}

fn announce(alert: &TeamAlert, opening: &str) -> Announcement {
    let service = alert.labels.get("job").cloned().unwrap_or_default();
    let mut body = opening.to_string();
    if let Some(summary) = alert.summary.as_ref().or(alert.description.as_ref()) {
        body.push(' ');
        body.push_str(summary.trim());
    }
    body.push_str("\n(the team's Alertmanager)");
    Announcement {
        title: if service.is_empty() {
            format!("{}: {}", alert.severity, alert.name)
        } else {
            format!("{}: {} on {service}", alert.severity, alert.name)
        },
        body,
        service,
    }
}

/// What changed between two reads that calls for a notification: an unhandled alert
/// that was not there before fires; one that was unhandled and left
/// the list resolved. Nothing for the first read, nor across a failed read.
pub fn team_announcements(previous: &TeamAlerts, current: &TeamAlerts) -> Vec<Announcement> {
    if previous.read_at.is_none() || current.status != TeamStatus::Ok {
        return Vec::new();
    }
    let before: BTreeMap<&str, &TeamAlert> =
        previous.alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let now: BTreeMap<&str, &TeamAlert> =
        current.alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut out = Vec::new();
    for alert in &current.alerts {
        if alert.unhandled() && !before.contains_key(alert.id.as_str()) {
            out.push(announce(alert, "Firing."));
        }
    }
    for alert in &previous.alerts {
        if alert.unhandled() && !now.contains_key(alert.id.as_str()) {
            out.push(announce(alert, "Resolved."));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert_notices::TrayLevel;
    use chrono::DateTime;

    fn alert(id: &str, severity: Severity, acknowledged: bool) -> TeamAlert {
        TeamAlert {
            id: id.into(),
            name: "BreakerOpen".into(),
            labels: [("job".to_string(), "payments".to_string())].into(),
            annotations: BTreeMap::new(),
            summary: Some("ledger breaker open".into()),
            description: None,
            runbook_url: None,
            starts_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            state: "active".into(),
            severity,
            silences: Vec::new(),
            acknowledged_by: acknowledged.then(|| "ana".to_string()),
            silenced_by: None,
            inhibited: false,
            generator_url: None,
        }
    }

    fn read(alerts: Vec<TeamAlert>) -> TeamAlerts {
        TeamAlerts {
            status: TeamStatus::Ok,
            place: Some("am:9093".into()),
            read_at: DateTime::from_timestamp(1_790_000_100, 0),
            alerts,
            silences: Vec::new(),
        }
    }

    #[test]
    fn the_tray_takes_the_worst_of_both_and_counts_the_team() {
        let own = tray_summary(&[], Some(Severity::Warning));
        let team = read(vec![
            alert("a", Severity::Critical, true),
            alert("b", Severity::Info, false),
        ]);
        let shown = with_team(own, Some(Severity::Warning), &team);
        assert_eq!(
            shown.level,
            TrayLevel::Red,
            "an acknowledged critical still counts"
        );
        assert_eq!(
            shown.text,
            "No alerts firing; team: 2 firing (1 acknowledged)"
        );
        let mut down = TeamAlerts::off();
        down.status = TeamStatus::Failing {
            message: "refused".into(),
        };
        let shown = with_team(tray_summary(&[], None), None, &down);
        assert_eq!(shown.level, TrayLevel::Green);
        assert!(
            shown.text.ends_with("Alertmanager unreachable"),
            "{}",
            shown.text
        );
    }

    #[test]
    fn new_unhandled_alerts_and_their_end_are_announced_once() {
        let first = read(vec![alert("old", Severity::High, false)]);
        assert!(
            team_announcements(&TeamAlerts::off(), &first).is_empty(),
            "not the first read"
        );
        let second = read(vec![
            alert("old", Severity::High, false),
            alert("new", Severity::Critical, false),
            alert("taken", Severity::High, true),
        ]);
        let said = team_announcements(&first, &second);
        assert_eq!(said.len(), 1);
        assert_eq!(said[0].title, "critical: BreakerOpen on payments");
        assert!(
            said[0].body.starts_with("Firing. ledger breaker open"),
            "{}",
            said[0].body
        );
        assert_eq!(said[0].service, "payments");
        let third = read(vec![alert("taken", Severity::High, true)]);
        let said = team_announcements(&second, &third);
        assert_eq!(said.len(), 2, "old and new resolved: {said:?}");
        assert!(said.iter().all(|a| a.body.starts_with("Resolved.")));
    }
}
