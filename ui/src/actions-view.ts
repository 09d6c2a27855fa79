// How an action's result reads, and when a dialog may be confirmed: pure, so tested.
import type { ActionKind } from "./bindings/ActionKind";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ActionRecord } from "./bindings/ActionRecord";
import type { Tone } from "./view";

/** "verified: closed after 0.6 s", "not verified: …", or the outcome itself. */
export function outcomeText(outcome: ActionOutcome): { text: string; tone: Tone } {
  const v = outcome.verification;
  if (v?.kind === "verified") return { text: `verified: ${v.state.replace("_", " ")} after ${(v.after_ms / 1000).toFixed(1)} s`, tone: "ok" };
  if (v?.kind === "not_verified") return { text: `not verified: ${v.message}`, tone: "bad" };
  switch (outcome.status) {
    case "done":
      return { text: `done: ${outcome.message}`, tone: "ok" };
    case "refused":
      return { text: `refused by the service: ${outcome.message}`, tone: "warn" };
    case "unknown":
      return { text: `outcome unknown: ${outcome.message}`, tone: "bad" };
    case "partial":
      // Sent to several instances, done on some: "1 of 2 closed; 10.0.0.7:8080 refused (409): …".
      return { text: `partly done: ${outcome.message}`, tone: "warn" };
    case "failed":
    case "not_sent":
      return { text: `${outcome.status.replace("_", " ")}: ${outcome.message}`, tone: "bad" };
  }
}

/** Enter confirms only with a reason and when nothing is on its way. */
export function canConfirm(reason: string, busy: boolean): boolean {
  return reason.trim() !== "" && !busy;
}

/** What an action acts on: the pattern typed for an invalidation (none until one is
 * typed), else the breaker, if any. */
export function actionTarget(kind: ActionKind, breaker: string | undefined, pattern: string): string | undefined {
  if (kind === "invalidate_cache_pattern") return pattern.trim() || undefined;
  return breaker;
}

/** Whether any row went to one instance of a service of several: the log then has an
 * instance column. */
export function hasInstances(rows: ActionRecord[]): boolean {
  return rows.some((r) => r.instance !== undefined && r.instance !== null);
}

/** The audit log as CSV (RFC 4180 quoting), for an incident ticket or a spreadsheet; with
 * an instance column after the service when a row has one. */
export function auditCsv(rows: ActionRecord[]): string {
  const quote = (value: unknown) => {
    const text = value === undefined || value === null ? "" : String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const instances = hasInstances(rows);
  const header = ["time", "operator", "service", ...(instances ? ["instance"] : []), "target", "action", "reason", "override", "http_status", "message", "duration_ms", "verified_state"];
  const lines = rows.map((r) =>
    [new Date(r.at_ms).toISOString(), r.operator, r.service, ...(instances ? [r.instance] : []), r.target, r.action, r.reason, r.override_checks, r.http_status, r.message, r.duration_ms, r.verified_state]
      .map(quote)
      .join(","),
  );
  return [header.join(","), ...lines].join("\n");
}
