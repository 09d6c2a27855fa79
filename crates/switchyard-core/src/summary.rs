//! The fleet in one line: how many services are ok, degraded, down or unreadable. Used
//! for the window title, the CLI's live line and (later) the tray.

use crate::model::HealthStatus;
use crate::model::ServiceState;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetSummary {
    pub ok: usize,
    pub degraded: usize,
    pub down: usize,
    /// Could not be read on the last poll.
    pub unreachable: usize,
    /// Not polled yet, or no health word.
    pub waiting: usize,
}

impl FleetSummary {
    pub fn of<'a>(states: impl IntoIterator<Item = &'a ServiceState>) -> FleetSummary {
        let mut summary = FleetSummary::default();
        for state in states {
            match &state.latest {
                None => summary.waiting += 1,
                Some(o) if !o.is_reachable() => summary.unreachable += 1,
                Some(o) => match o.health.as_ref().map(|h| h.status) {
                    Some(HealthStatus::Ok) => summary.ok += 1,
                    Some(HealthStatus::Degraded) => summary.degraded += 1,
                    Some(HealthStatus::Down) => summary.down += 1,
                    Some(HealthStatus::Unknown) | None => summary.waiting += 1,
                },
            }
        }
        summary
    }

    pub fn total(&self) -> usize {
        self.ok + self.degraded + self.down + self.unreachable + self.waiting
    }

    /// "4 services: 3 ok, 1 degraded, 0 down, 0 unreachable".
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} services: {} ok, {} degraded, {} down, {} unreachable",
            self.total(),
            self.ok,
            self.degraded,
            self.down,
            self.unreachable
        );
        if self.waiting > 0 {
            line.push_str(&format!(", {} waiting", self.waiting));
        }
        line
    }

    /// The worst news first, for a window title: "2 down · 1 degraded — Switchyard".
    pub fn title(&self) -> String {
        let mut parts = Vec::new();
        if self.down + self.unreachable > 0 {
            parts.push(format!("{} down", self.down + self.unreachable));
        }
        if self.degraded > 0 {
            parts.push(format!("{} degraded", self.degraded));
        }
        if parts.is_empty() {
            if self.ok > 0 && self.waiting == 0 {
                return format!("all {} ok — Switchyard", self.ok);
            }
            return "Switchyard".to_string();
        }
        format!("{} — Switchyard", parts.join(" · "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lead_with_the_worst() {
        let summary = FleetSummary {
            ok: 3,
            degraded: 1,
            down: 1,
            unreachable: 1,
            waiting: 0,
        };
        assert_eq!(summary.title(), "2 down · 1 degraded — Switchyard");
        assert_eq!(
            FleetSummary {
                ok: 4,
                ..Default::default()
            }
            .title(),
            "all 4 ok — Switchyard"
        );
        assert_eq!(
            FleetSummary {
                waiting: 2,
                ..Default::default()
            }
            .title(),
            "Switchyard"
        );
        assert_eq!(
            summary.line(),
            "6 services: 3 ok, 1 degraded, 1 down, 1 unreachable"
        );
    }
}
