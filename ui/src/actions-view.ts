// How an action's result reads, and when a dialog may be confirmed: pure, so tested.
import type { ActionOutcome } from "./bindings/ActionOutcome";
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
    case "failed":
    case "not_sent":
      return { text: `${outcome.status.replace("_", " ")}: ${outcome.message}`, tone: "bad" };
  }
}

/** Enter confirms only with a reason and when nothing is on its way. */
export function canConfirm(reason: string, busy: boolean): boolean {
  return reason.trim() !== "" && !busy;
}
