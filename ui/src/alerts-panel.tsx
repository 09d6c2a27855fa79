// The alerts panel: what is firing and unhandled first, then acknowledged, pending and
// silenced alerts, the silences themselves, and the recently resolved. Acknowledge asks
// for a comment; silence for a reason; both go to the store through the engine.
import { useState } from "preact/hooks";
import { acknowledgeAlert, errorText, removeSilence, silenceAlerts } from "./backend";
import type { ActiveAlert } from "./bindings/ActiveAlert";
import type { AlertsState } from "./bindings/AlertsState";
import { groupAlerts, severityTone } from "./alerts-view";
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
          {list.map((a) => (
            <AlertRow key={`${a.rule}|${a.service}|${a.subject}`} alert={a} now={now} onChanged={onChanged} />
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
