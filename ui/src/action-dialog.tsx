// The confirmation before an action (a breaker reset, a cache clear or invalidation by
// pattern): what, where, in which state since when, what the request will do, and why
// (required; an invalidation also needs its pattern). Enter confirms only with a reason; Esc
// cancels; the button is disabled while the request is on its way, so a double click
// sends one request. A refusal the console may override becomes an explicit second step.
// On a service of several instances the dialog lists the instances the action goes to
// (each with its breaker's state now) and, after the run, each one's own outcome.
import { useEffect, useRef, useState } from "preact/hooks";
import { actionTarget, canConfirm, outcomeText } from "./actions-view";
import { errorText, planAction, refusalOverridable, runAction } from "./backend";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ActionKind } from "./bindings/ActionKind";
import type { ActionPlan } from "./bindings/ActionPlan";
import type { Breaker } from "./bindings/Breaker";
import type { ServiceState } from "./bindings/ServiceState";
import { breakerSpread, instanceOutcomes, plannedInstances } from "./instances-view";
import { formatAge, formatRatio } from "./view";

/** What the engineer asked to act on: a breaker (reset, force open, disable) or a cache. */
export interface ResetTarget {
  service: string;
  kind?: ActionKind;
  breaker?: Breaker;
}

const VERB: Record<ActionKind, string> = {
  reset_breaker: "Reset",
  force_open_breaker: "Force open",
  disable_breaker: "Disable",
  clear_cache: "Clear the cache of",
  invalidate_cache_pattern: "Invalidate cache keys of",
};

/** A reason the plan preview uses; never sent (the real one is required to confirm). */
const PREVIEW_REASON = "preview";

export function ActionDialog({
  target,
  state,
  now,
  onClose,
}: {
  target: ResetTarget;
  /** The service as the window sees it now: its instances' current states. */
  state?: ServiceState;
  now: number;
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const [pattern, setPattern] = useState("");
  const [plan, setPlan] = useState<ActionPlan | null>(null);
  const [refusal, setRefusal] = useState<{ message: string; overridable: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const [overrideChecks, setOverrideChecks] = useState(false);
  // Set at once, before any render: a second click in the same instant finds it taken.
  const sending = useRef(false);
  const kind: ActionKind = target.kind ?? "reset_breaker";
  const asksPattern = kind === "invalidate_cache_pattern";
  const acted = actionTarget(kind, target.breaker?.name, pattern);
  const request = (why: string, override: boolean) => ({
    service: target.service,
    kind,
    target: acted,
    reason: why,
    override_checks: override,
  });

  useEffect(() => {
    setRefusal(null);
    if (asksPattern && acted === undefined) {
      setPlan(null);
      return;
    }
    planAction(request(PREVIEW_REASON, false))
      .then(setPlan)
      .catch((e: unknown) => setRefusal({ message: errorText(e), overridable: refusalOverridable(e) }));
  }, [target.service, acted, kind]);

  useEffect(() => {
    // Esc belongs to the dialog while it is open (before the window's own shortcuts).
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.stopImmediatePropagation();
        onClose();
      }
    };
    window.addEventListener("keydown", onKey, { capture: true });
    return () => window.removeEventListener("keydown", onKey, { capture: true });
  }, [onClose]);

  const ready = canConfirm(reason, busy) && (!asksPattern || acted !== undefined);
  const send = (override: boolean) => {
    if (!ready || sending.current) return;
    sending.current = true;
    setBusy(true);
    setOverrideChecks(override);
    runAction(request(reason.trim(), override))
      .then((result) => {
        setOutcome(result);
        setRefusal(null);
      })
      .catch((e: unknown) => setRefusal({ message: errorText(e), overridable: refusalOverridable(e) }))
      .finally(() => {
        sending.current = false;
        setBusy(false);
      });
  };
  const offerOverride = (refusal?.overridable ?? false) || (outcome?.override_available ?? false);
  const result = outcome ? outcomeText(outcome) : null;
  const planned = plan ? plannedInstances(plan, state) : undefined;
  const perInstance = outcome ? instanceOutcomes(outcome) : [];
  const spread = target.breaker && state ? breakerSpread(state, target.breaker.name, target.breaker.state) : undefined;
  const b = target.breaker;
  return (
    <div class="overlay" data-testid="action-dialog">
      <div class="help dialog">
        <h2>
          {VERB[kind]} {b ? `${b.name} on ${target.service}` : target.service}?
        </h2>
        {b && (
          <p class="meta">
            now <strong>{spread?.aggregate ?? b.state.replace("_", " ")}</strong>
            {b.since && ` since ${formatAge(b.since, now).replace(" ago", "")}`}
            {b.failure_rate !== undefined && ` · failure rate ${formatRatio(b.failure_rate)}`}
            {b.failure_count !== undefined && ` · ${b.failure_count} failures`}
          </p>
        )}
        {plan && (
          <p data-testid="action-plan">
            {/* A plan of several instances names them below, each with its state. */}
            {planned ? `${plan.method} ${plan.path} — ${plan.effect}` : plan.description}
          </p>
        )}
        {planned && (
          <div data-testid="action-instances">
            <p>{planned.intro}</p>
            <ul class="instance-plan">
              {planned.rows.map((r) => (
                <li key={r.id} data-plan-instance={r.id} data-state={r.state}>
                  {r.id}
                  {r.state && (
                    <span class={`badge ${r.tone}`} data-testid="instance-state">
                      {r.state.replace("_", " ")}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
        {refusal && (
          <p class="problem" data-testid="action-refusal">
            {refusal.message}
          </p>
        )}
        {!outcome && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              send(overrideChecks);
            }}
          >
            {asksPattern && (
              <input
                autoFocus
                class="filter reason"
                placeholder="Pattern (required), e.g. market_data:*"
                value={pattern}
                onInput={(e) => setPattern((e.target as HTMLInputElement).value)}
                data-testid="action-pattern"
              />
            )}
            <input
              autoFocus={!asksPattern}
              class="filter reason"
              placeholder="Reason (required): what you saw and why this reset helps"
              value={reason}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
              data-testid="action-reason"
            />
            <div class="alert-actions">
              <button type="submit" disabled={!ready || (refusal !== null && !refusal.overridable)} data-testid="action-confirm">
                {busy ? "Sending…" : VERB[kind].split(" ")[0]}
              </button>
              <button type="button" onClick={onClose}>
                Cancel
              </button>
            </div>
          </form>
        )}
        {offerOverride && (
          <div class="alert-actions">
            <button class="danger" disabled={!ready} onClick={() => send(true)} data-testid="action-override">
              {VERB[kind].split(" ")[0]} anyway (override)
            </button>
            <span class="meta">sends the reset despite the check, with your reason</span>
          </div>
        )}
        {result && (
          <p class={`outcome ${result.tone}`} data-testid="action-outcome">
            {result.text}
          </p>
        )}
        {perInstance.length > 0 && (
          <ul class="instance-outcomes" data-testid="instance-outcomes">
            {perInstance.map((o) => (
              <li key={o.id} class={`outcome ${o.tone}`} data-outcome-instance={o.id}>
                <strong>{o.id}</strong> {o.status}
                {o.http !== undefined && ` · HTTP ${o.http}`} · {o.text}
              </li>
            ))}
          </ul>
        )}
        {outcome && (
          <div class="alert-actions">
            <button onClick={onClose}>Close</button>
          </div>
        )}
      </div>
    </div>
  );
}

/** A small action button (reset a breaker, clear a cache); it does not open the service behind it. */
export function ResetButton({
  service,
  breaker,
  kind = "reset_breaker",
  onReset,
}: {
  service: string;
  breaker?: Breaker;
  kind?: ActionKind;
  onReset: (t: ResetTarget) => void;
}) {
  const label = { reset_breaker: "reset", force_open_breaker: "force open", disable_breaker: "disable", clear_cache: "clear cache", invalidate_cache_pattern: "invalidate" }[kind];
  return (
    <button
      class="mini"
      title={`${label} (asks for a reason first)`}
      data-reset={kind === "reset_breaker" ? `${service}/${breaker?.name ?? ""}` : undefined}
      data-action={`${kind}:${service}/${breaker?.name ?? ""}`}
      onClick={(e) => {
        e.stopPropagation();
        onReset({ service, breaker, kind });
      }}
    >
      {label}
    </button>
  );
}
