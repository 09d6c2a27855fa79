// The alerts panel: what is firing and unhandled first, then acknowledged, pending and
// silenced alerts, the silences themselves, and the recently resolved. Within each, alerts
// are grouped by rule (counts, services affected), a crowd collapsed until opened, and a
// whole group can be acknowledged or its rule silenced at once. Acknowledge asks for a
// comment; silence for a reason; both go to the store through the engine.
import { useState } from "preact/hooks";
import { acknowledgeAlert, errorText, removeSilence, silenceAlerts } from "./backend";
import type { ActiveAlert } from "./bindings/ActiveAlert";
import type { AlertKey } from "./bindings/AlertKey";
import type { AlertsState } from "./bindings/AlertsState";
import { acknowledgeable, groupAlerts, groupByRule, OPEN_UP_TO, type RuleGroup, servicesLine, severityTone } from "./alerts-view";
import { RulesEditor } from "./rules-editor";
import { formatAge } from "./view";

function AlertRow({ alert, now, onChanged }: { alert: ActiveAlert; now: number; onChanged: () => void }) {
  const [mode, setMode] = useState<"idle" | "ack" | "silence">("idle");
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const key = { rule: alert.rule, service: alert.service, subject: alert.subject };
  const submit = () => {
    if (text.trim() === "") {
      setProblem(mode === "ack" ? "say what you are doing about it" : "say why it is silenced");
      return;
    }
    const done = mode === "ack" ? acknowledgeAlert(key, text.trim()) : silenceAlerts({ rule: alert.rule, service: alert.service }, "1h", text.trim());
    done
      .then(() => {
        setMode("idle");
        setText("");
        setProblem(null);
        onChanged();
      })
      .catch((e: unknown) => setProblem(errorText(e)));
  };
  return (
    <li class={`alert ${severityTone(alert.severity)}`} data-alert={`${alert.rule}|${alert.service}|${alert.subject}`} data-phase={alert.phase}>
      <div class="alert-head">
        <span class={`badge ${severityTone(alert.severity)}`}>{alert.severity}</span>
        <strong>{alert.rule}</strong>
        <span class="meta">
          {alert.service}
          {alert.subject && ` / ${alert.subject}`} · {alert.phase} {formatAge(alert.since, now).replace(" ago", "")}
          {alert.value !== undefined && ` · value ${alert.value}`}
          {alert.state && ` · ${alert.state}`}
        </span>
      </div>
      {alert.description && <div class="meta">{alert.description}</div>}
      {alert.acknowledged && (
        <div class="meta" data-testid="acknowledged">
          acknowledged by {alert.acknowledged.by}: “{alert.acknowledged.comment}”
        </div>
      )}
      {alert.silenced_until && <div class="meta">silenced until {new Date(alert.silenced_until).toLocaleTimeString()}</div>}
      {mode === "idle" ? (
        <div class="alert-actions">
          {!alert.acknowledged && alert.phase === "firing" && (
            <button onClick={() => setMode("ack")} data-testid="acknowledge">
              Acknowledge
            </button>
          )}
          {!alert.silenced && <button onClick={() => setMode("silence")}>Silence 1 h</button>}
        </div>
      ) : (
        <form
          class="alert-actions"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <input
            autoFocus
            class="filter"
            placeholder={mode === "ack" ? "comment (who is on it, what you are doing)" : "reason for the silence"}
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            data-testid="alert-comment"
          />
          <button type="submit" data-testid="alert-submit">
            {mode === "ack" ? "Acknowledge" : "Silence"}
          </button>
          <button type="button" onClick={() => setMode("idle")}>
            Cancel
          </button>
          {problem && <span class="problem">{problem}</span>}
        </form>
      )}
    </li>
  );
}

/** At most this many alerts of a group are listed at a time; more on request. */
const PAGE = 100;

/** Acknowledges each alert with the comment, a few requests at a time; how many failed. */
async function acknowledgeAll(keys: AlertKey[], comment: string): Promise<number> {
  let failed = 0;
  for (let i = 0; i < keys.length; i += 16) {
    const results = await Promise.allSettled(keys.slice(i, i + 16).map((key) => acknowledgeAlert(key, comment)));
    failed += results.filter((r) => r.status === "rejected").length;
  }
  return failed;
}

function RuleGroupRow({ group, now, onChanged }: { group: RuleGroup; now: number; onChanged: () => void }) {
  const [open, setOpen] = useState(group.alerts.length <= OPEN_UP_TO);
  const [limit, setLimit] = useState(PAGE);
  const [mode, setMode] = useState<"idle" | "ack" | "silence">("idle");
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = acknowledgeable(group);
  const submit = () => {
    if (text.trim() === "") {
      setProblem(mode === "ack" ? "say what you are doing about it" : "say why it is silenced");
      return;
    }
    setBusy(true);
    const done =
      mode === "ack"
        ? acknowledgeAll(
            pending.map((a) => ({ rule: a.rule, service: a.service, subject: a.subject })),
            text.trim(),
          ).then((failed) => {
            if (failed > 0) throw new Error(`${failed} of ${pending.length} could not be acknowledged`);
          })
        : silenceAlerts({ rule: group.rule }, "1h", text.trim());
    done
      .then(() => {
        setMode("idle");
        setText("");
        setProblem(null);
      })
      .catch((e: unknown) => setProblem(errorText(e)))
      .finally(() => {
        setBusy(false);
        onChanged();
      });
  };
  return (
    <li class={`alert-group ${severityTone(group.severity)}`} data-alert-group={group.rule} data-count={group.alerts.length} data-open={open ? "true" : "false"}>
      <div class="alert-head">
        <button class="caret" onClick={() => setOpen(!open)} aria-expanded={open} title={open ? "collapse" : "expand"}>
          {open ? "▾" : "▸"}
        </button>
        <span class={`badge ${severityTone(group.severity)}`}>{group.severity}</span>
        <strong>{group.rule}</strong>
        <span class="meta" data-testid="group-summary">
          {group.alerts.length} alert{group.alerts.length === 1 ? "" : "s"} on {group.services.length} service{group.services.length === 1 ? "" : "s"}: {servicesLine(group.services)}
        </span>
      </div>
      {mode === "idle" ? (
        (pending.length > 1 || !open) && (
          <div class="alert-actions">
            {pending.length > 0 && (
              <button onClick={() => setMode("ack")} data-testid="acknowledge-group">
                Acknowledge {pending.length}
              </button>
            )}
            <button onClick={() => setMode("silence")} data-testid="silence-group" title="silences this rule on every service for an hour">
              Silence rule 1 h
            </button>
          </div>
        )
      ) : (
        <form
          class="alert-actions"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <input
            autoFocus
            class="filter"
            placeholder={mode === "ack" ? `comment for all ${pending.length} (who is on it, what you are doing)` : "reason for silencing the rule"}
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            data-testid="group-comment"
          />
          <button type="submit" disabled={busy} data-testid="group-submit">
            {mode === "ack" ? `Acknowledge ${pending.length}` : "Silence"}
          </button>
          <button type="button" onClick={() => setMode("idle")}>
            Cancel
          </button>
          {problem && <span class="problem">{problem}</span>}
        </form>
      )}
      {open && (
        <ul class="alerts">
          {group.alerts.slice(0, limit).map((a) => (
            <AlertRow key={`${a.rule}|${a.service}|${a.subject}`} alert={a} now={now} onChanged={onChanged} />
          ))}
          {group.alerts.length > limit && (
            <li class="meta">
              {group.alerts.length - limit} more{" "}
              <button onClick={() => setLimit(limit + PAGE)}>show {Math.min(PAGE, group.alerts.length - limit)} more</button>
            </li>
          )}
        </ul>
      )}
    </li>
  );
}

export function AlertsPanel({ state, now, onChanged }: { state: AlertsState | null; now: number; onChanged: () => void }) {
  if (!state) return <p class="empty">Loading alerts…</p>;
  const groups = groupAlerts(state.active);
  const section = (title: string, list: ActiveAlert[], testid: string) =>
    list.length > 0 && (
      <section data-testid={testid}>
        <h3>
          {title} <span class="meta">{list.length}</span>
        </h3>
        <ul class="alerts">
          {groupByRule(list).map((g) => (
            <RuleGroupRow key={g.rule} group={g} now={now} onChanged={onChanged} />
          ))}
        </ul>
      </section>
    );
  const resolved = state.recent.filter((e) => e.phase === "resolved").slice(-10).reverse();
  return (
    <div class="alerts-panel" data-testid="alerts-panel">
      {state.active.length === 0 && <p class="empty">Nothing is firing. Rules keep watching.</p>}
      {section("Firing", groups.firing, "alerts-firing")}
      {section("Acknowledged", groups.acknowledged, "alerts-acknowledged")}
      {section("Pending", groups.pending, "alerts-pending")}
      {section("Silenced", groups.silenced, "alerts-silenced")}
      {state.silences.length > 0 && (
        <section>
          <h3>Silences</h3>
          <ul class="alerts">
            {state.silences.map((s) => (
              <li key={String(s.id)} class="alert unknown">
                {[s.target.rule, s.target.service].filter(Boolean).join(" on ")} until {new Date(s.until).toLocaleString()} — {s.reason} ({s.by}){" "}
                <button onClick={() => removeSilence(Number(s.id)).then(onChanged)}>Remove</button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <RulesEditor />
      {resolved.length > 0 && (
        <section>
          <h3>Recently resolved</h3>
          <ul class="alerts">
            {resolved.map((e, i) => (
              <li key={i} class="alert ok">
                <strong>{e.rule}</strong> <span class="meta">{e.service} · resolved {formatAge(e.at, now)}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
