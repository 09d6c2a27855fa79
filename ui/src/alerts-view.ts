// How the alerts panel groups and words alerts: pure, so it is unit-tested.
import type { ActiveAlert } from "./bindings/ActiveAlert";
import type { Severity } from "./bindings/Severity";
import { naturalCompare } from "./natural";
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

/** The alerts of one rule within a section of the panel: how many, on which services. */
export interface RuleGroup {
  rule: string;
  /** The worst severity among them. */
  severity: Severity;
  alerts: ActiveAlert[];
  /** The services affected, each once, in natural order. */
  services: string[];
}


/** Alerts grouped by rule: worst severity first, then the most alerts, then the rule's
 * name; within a group, the alerts in the order given (worst severity, oldest first). */
export function groupByRule(alerts: ActiveAlert[]): RuleGroup[] {
  const byRule = new Map<string, RuleGroup>();
  const services = new Map<string, Set<string>>();
  for (const alert of alerts) {
    let group = byRule.get(alert.rule);
    if (!group) {
      group = { rule: alert.rule, severity: alert.severity, alerts: [], services: [] };
      byRule.set(alert.rule, group);
      services.set(alert.rule, new Set());
    }
    group.alerts.push(alert);
    services.get(alert.rule)?.add(alert.service);
    if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[group.severity]) group.severity = alert.severity;
  }
  for (const group of byRule.values()) group.services = [...(services.get(group.rule) ?? [])].sort(naturalCompare);
  return [...byRule.values()].sort(
    (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.alerts.length - a.alerts.length || naturalCompare(a.rule, b.rule),
  );
}

/** A group of a few alerts opens by default; a crowd opens when asked. */
export const OPEN_UP_TO = 3;

/** "a, b, c and 12 more": the services a group affects, at a glance. */
export function servicesLine(services: string[], shown = 6): string {
  if (services.length <= shown) return services.join(", ");
  return `${services.slice(0, shown).join(", ")} and ${services.length - shown} more`;
}

/** The alerts of a group that an acknowledgement would take: firing, not yet acknowledged. */
export function acknowledgeable(group: RuleGroup): ActiveAlert[] {
  return group.alerts.filter((a) => a.phase === "firing" && !a.acknowledged);
}
