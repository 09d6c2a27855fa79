// How the alerts panel words the team's alerts (from Alertmanager): grouped as the
// panel groups Switchyard's own (firing unhandled first, then acknowledged, then
// silenced), with the status line that names the Alertmanager, and the checks the
// acknowledge and silence forms make before sending. Pure, so it is unit-tested.
import type { Matcher } from "./bindings/Matcher";
import type { Severity } from "./bindings/Severity";
import type { TeamAlert } from "./bindings/TeamAlert";
import type { TeamAlerts } from "./bindings/TeamAlerts";
import type { TeamSilence } from "./bindings/TeamSilence";
import { formatAge } from "./view";

export interface TeamGroups {
  firing: TeamAlert[];
  acknowledged: TeamAlert[];
  silenced: TeamAlert[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, warning: 2, info: 3 };

/** Unhandled first, then acknowledged, then silenced or inhibited; worst severity first, then oldest. */
export function groupTeamAlerts(alerts: TeamAlert[]): TeamGroups {
  const groups: TeamGroups = { firing: [], acknowledged: [], silenced: [] };
  for (const alert of alerts) {
    if (alert.acknowledged_by !== undefined) groups.acknowledged.push(alert);
    else if (alert.silenced_by !== undefined || alert.inhibited) groups.silenced.push(alert);
    else groups.firing.push(alert);
  }
  const order = (a: TeamAlert, b: TeamAlert) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.starts_at.localeCompare(b.starts_at);
  for (const list of Object.values(groups)) list.sort(order);
  return groups;
}

/** The line above the team's alerts: where they come from and how fresh, or why not. `null` without `[alertmanager]`. */
export function teamStatusLine(view: TeamAlerts, now: number): { text: string; failing: boolean } | null {
  const where = `Alertmanager at ${view.place ?? "?"}`;
  switch (view.status.kind) {
    case "off":
      return null;
    case "reading":
      return { text: `${where}: reading…`, failing: false };
    case "ok":
      return { text: `${where}: read ${formatAge(view.read_at, now)}`, failing: false };
    case "failing":
      return {
        text: `${view.status.message}${/[.?!]$/.test(view.status.message) ? "" : "."} ${view.read_at ? `Showing what was read ${formatAge(view.read_at, now)}.` : "Nothing read yet."} Switchyard's own rules keep working.`,
        failing: true,
      };
  }
}

/** `job="payments", name="ledger"`: the labels worth reading, without `alertname` (the title says it). */
export function labelsLine(labels: { [key in string]: string }): string {
  return Object.entries(labels)
    .filter(([key]) => key !== "alertname")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}="${value}"`)
    .join(", ");
}

/** `alertname="X", job!="y", name=~"a.*"`: what a silence matches. */
export function matchersLine(matchers: Matcher[]): string {
  return matchers.map((m) => `${m.name}${m.isEqual ? "" : "!"}${m.isRegex ? "~" : "="}"${m.value}"`).join(", ");
}

/** The comment without the `ACK!` prefix. */
export function silenceReason(silence: TeamSilence): string {
  const comment = silence.comment.trim();
  return silence.acknowledgement ? comment.replace(/^ACK!\s*/, "") : comment;
}

/** `acknowledged by ana until 14:05: looking at the ledger` or `silenced by bo until …: maintenance`. */
export function silenceLine(silence: TeamSilence, formatTime: (iso: string) => string): string {
  const what = silence.acknowledgement ? "acknowledged" : "silenced";
  const reason = silenceReason(silence);
  return `${what} by ${silence.created_by} until ${formatTime(silence.ends_at)}${reason ? `: ${reason}` : ""}`;
}

/** Only web links open from the panel (a runbook annotation is written by anyone with a rule). */
export function safeLink(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.toString() : null;
  } catch {
    return null;
  }
}

/** Why the form cannot be sent yet, or `null`. A duration is a number and a unit: `30m`, `2h`, `1d`. */
export function formProblem(mode: "ack" | "silence", text: string, duration: string): string | null {
  if (text.trim() === "") return mode === "ack" ? "say what you are doing about it" : "say why it is silenced";
  if (mode === "silence") {
    if (!/^\d+\s*(s|m|h|d)$/.test(duration.trim())) return "a duration such as 30m, 2h or 1d";
    if (text.trim().startsWith("ACK!")) return "a silence's reason must not start with ACK!; acknowledge instead";
  }
  return null;
}

/** The Alerts tab's count of the team's alerts nobody has taken, and their worst severity; `null` when none. */
export function teamPill(view: TeamAlerts | null): { count: number; worst: Severity } | null {
  const open = (view?.alerts ?? []).filter((a) => a.acknowledged_by === undefined && a.silenced_by === undefined && !a.inhibited);
  if (open.length === 0) return null;
  const worst = open.map((a) => a.severity).sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b])[0] as Severity;
  return { count: open.length, worst };
}
