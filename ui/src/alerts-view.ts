// How the alerts panel groups and words alerts: pure, so it is unit-tested.
import type { ActiveAlert } from "./bindings/ActiveAlert";
import type { Severity } from "./bindings/Severity";
import type { Tone } from "./view";

export interface AlertGroups {
  firing: ActiveAlert[];
  acknowledged: ActiveAlert[];
  pending: ActiveAlert[];
  silenced: ActiveAlert[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, warning: 2, info: 3 };

/** Firing (unhandled) first, then acknowledged, pending and silenced; worst severity first. */
export function groupAlerts(active: ActiveAlert[]): AlertGroups {
  const bySeverity = (a: ActiveAlert, b: ActiveAlert) =>
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.since.localeCompare(b.since);
  const groups: AlertGroups = { firing: [], acknowledged: [], pending: [], silenced: [] };
  for (const alert of active) {
    if (alert.silenced) groups.silenced.push(alert);
    else if (alert.phase === "pending") groups.pending.push(alert);
    else if (alert.acknowledged) groups.acknowledged.push(alert);
    else groups.firing.push(alert);
  }
  for (const list of Object.values(groups)) list.sort(bySeverity);
  return groups;
}

export function severityTone(severity: Severity | null | undefined): Tone {
  if (severity === "critical" || severity === "high") return "bad";
  if (severity === "warning") return "warn";
  return severity === "info" ? "ok" : "unknown";
}

/** Services with a firing alert nobody has handled yet: they rank high on the overview. */
export function servicesWithFiringAlerts(active: ActiveAlert[]): Set<string> {
  return new Set(active.filter((a) => a.phase === "firing" && !a.acknowledged && !a.silenced).map((a) => a.service));
}
