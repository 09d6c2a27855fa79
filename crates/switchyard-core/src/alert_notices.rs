//! What the desktop tells the engineer about alerts: the news the window's alerts
//! panel receives ([`AlertNotice`]), the wording of a desktop notification
//! ([`announcement`]) and the tray's colour and counts ([`tray_summary`]). Pure: the
//! shell shows them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::alerts::{ActiveAlert, AlertEvent, AlertPhase, Severity};

/// What the window's alerts panel is sent on its channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AlertNotice {
    /// As [`EngineEvent::AlertsChanged`]: the active list, the worst firing severity,
    /// and the phase changes since the last notice.
    Changed {
        active: Vec<ActiveAlert>,
        worst: Option<Severity>,
        events: Vec<AlertEvent>,
    },
    /// The engineer clicked an alert's desktop notification: show this service.
    OpenService { service: String },
}

/// A desktop notification about an alert, as the shell shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// `high: queue backpressure on events`.
    pub title: String,
    /// What happened, the rule's description, and the value or state that decided it.
    pub body: String,
    /// The service to open when the engineer follows it up.
    pub service: String,
}

/// The notification an event calls for: only firing and resolved events marked
/// `notify` (the evaluator already left out acknowledged and silenced alerts).
pub fn announcement(event: &AlertEvent) -> Option<Announcement> {
    if !event.notify {
        return None;
    }
    let opening = match event.phase {
        AlertPhase::Firing => "Firing.",
        AlertPhase::Resolved => "Resolved.",
        AlertPhase::Pending => return None,
    };
    let reading = match (&event.state, event.value) {
        (Some(words), _) => Some(format!("state {words}")),
        (None, Some(value)) => Some(format!("value {}", number(value))),
        (None, None) => None,
    };
    let mut body = format!("{opening} {}", event.description.trim());
    if let Some(reading) = reading {
        body.push_str(&format!(
            "
{}: {reading}",
            event.key.subject
        ));
    }
    Some(Announcement {
        title: format!(
            "{}: {} on {}",
            event.severity, event.key.rule, event.key.service
        ),
        body,
        service: event.key.service.clone(),
    })
}

/// A number as an engineer reads it: at most three decimals, no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// The tray icon's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayLevel {
    /// Nothing firing, or only `info`.
    Green,
    /// A `warning` firing.
    Amber,
    /// A `high` or `critical` alert firing.
    Red,
}

/// What the tray shows: a colour and a line of counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TraySummary {
    pub level: TrayLevel,
    /// `2 firing (1 acknowledged, 1 silenced), 1 pending`, or `No alerts firing`.
    pub text: String,
}

/// The tray's colour comes from the worst firing severity (acknowledged and silenced
/// alerts still count: they are still broken); the text counts what is active.
pub fn tray_summary(active: &[ActiveAlert], worst: Option<Severity>) -> TraySummary {
    let level = match worst {
        None | Some(Severity::Info) => TrayLevel::Green,
        Some(Severity::Warning) => TrayLevel::Amber,
        Some(Severity::High | Severity::Critical) => TrayLevel::Red,
    };
    let firing: Vec<&ActiveAlert> = active
        .iter()
        .filter(|a| a.phase == AlertPhase::Firing)
        .collect();
    let pending = active.len() - firing.len();
    let acknowledged = firing.iter().filter(|a| a.acknowledged.is_some()).count();
    let silenced = firing.iter().filter(|a| a.silenced).count();
    let mut text = if firing.is_empty() {
        "No alerts firing".to_string()
    } else {
        format!("{} firing", firing.len())
    };
    let handled: Vec<String> = [(acknowledged, "acknowledged"), (silenced, "silenced")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
    if !handled.is_empty() {
        text.push_str(&format!(" ({})", handled.join(", ")));
    }
    if pending > 0 {
        text.push_str(&format!(", {pending} pending"));
    }
    TraySummary { level, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::alerts::{Acknowledgement, AlertKey};

    fn event(phase: AlertPhase, notify: bool) -> AlertEvent {
        AlertEvent {
            key: AlertKey::new("queue backpressure", "events", "queue.depth/queue.capacity"),
            severity: Severity::High,
            phase,
            value: Some(0.9),
            state: None,
            at: chrono::Utc::now(),
            description: "The queue is over 80 % full.".into(),
            notify,
            repeat: false,
            silenced_until: None,
        }
    }

    #[test]
    fn firing_and_resolved_events_that_notify_are_announced() {
        let firing = announcement(&event(AlertPhase::Firing, true)).unwrap();
        assert_eq!(firing.title, "high: queue backpressure on events");
        assert_eq!(
            firing.body,
            "Firing. The queue is over 80 % full.\nqueue.depth/queue.capacity: value 0.9"
        );
        assert_eq!(firing.service, "events");
        let resolved = announcement(&event(AlertPhase::Resolved, true)).unwrap();
        assert!(resolved.body.starts_with("Resolved."), "{}", resolved.body);
        assert_eq!(announcement(&event(AlertPhase::Firing, false)), None);
        assert_eq!(announcement(&event(AlertPhase::Pending, true)), None);

        let mut breaker = event(AlertPhase::Firing, true);
        breaker.key = AlertKey::new("breaker open", "registry", "exchange_api");
        breaker.state = Some("open".into());
        breaker.value = Some(0.25);
        let text = announcement(&breaker).unwrap().body;
        assert!(text.ends_with("exchange_api: state open"), "{text}");
        assert_eq!(number(91.0), "91");
        assert_eq!(number(0.123_456), "0.123");
        assert_eq!(number(-0.0001), "0");
    }

    fn active(
        severity: Severity,
        phase: AlertPhase,
        acknowledged: bool,
        silenced: bool,
    ) -> ActiveAlert {
        ActiveAlert {
            key: AlertKey::new("r", "s", "x"),
            severity,
            phase,
            since: chrono::Utc::now(),
            value: None,
            state: None,
            description: String::new(),
            acknowledged: acknowledged.then(|| Acknowledgement {
                by: "alice".into(),
                comment: None,
                at: chrono::Utc::now(),
            }),
            silenced,
            silenced_until: None,
            resolving: false,
        }
    }

    #[test]
    fn the_tray_is_green_amber_or_red_with_counts() {
        assert_eq!(
            tray_summary(&[], None),
            TraySummary {
                level: TrayLevel::Green,
                text: "No alerts firing".into()
            }
        );
        let info = [active(Severity::Info, AlertPhase::Firing, false, false)];
        assert_eq!(
            tray_summary(&info, Some(Severity::Info)).level,
            TrayLevel::Green
        );
        let warning = [
            active(Severity::Warning, AlertPhase::Firing, false, false),
            active(Severity::Critical, AlertPhase::Pending, false, false),
        ];
        let summary = tray_summary(&warning, Some(Severity::Warning));
        assert_eq!(summary.level, TrayLevel::Amber, "pending does not colour");
        assert_eq!(summary.text, "1 firing, 1 pending");
        let handled = [
            active(Severity::Critical, AlertPhase::Firing, true, false),
            active(Severity::High, AlertPhase::Firing, false, true),
            active(Severity::High, AlertPhase::Firing, false, false),
        ];
        let summary = tray_summary(&handled, Some(Severity::Critical));
        assert_eq!(summary.level, TrayLevel::Red);
        assert_eq!(summary.text, "3 firing (1 acknowledged, 1 silenced)");
        let high = tray_summary(&handled[1..], Some(Severity::High));
        assert_eq!(high.level, TrayLevel::Red);
    }
}
