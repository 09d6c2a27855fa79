// The team's alerts (from Alertmanager) in the alerts panel, above Switchyard's own:
// marked as the team's, with their labels, summary and description, a runbook link, the
// silences that cover them and who acknowledged. Acknowledge asks for a comment (an
// `ACK!` silence by the operator, seen by the whole team), silence for a reason and a
// duration, and a silence can be expired; Alertmanager's reason is shown in the form
// when it refuses. Keyboard-first like the rest of the panel: Tab to a button, Enter
// to open its form, type, Enter to send, Esc or Cancel to close.
import { useState } from "preact/hooks";
import { acknowledgeTeamAlert, errorText, expireTeamSilence, openRunbook, silenceTeamAlert } from "./backend";
import type { TeamAlert } from "./bindings/TeamAlert";
import type { TeamAlerts } from "./bindings/TeamAlerts";
import type { TeamSilence } from "./bindings/TeamSilence";
import { severityTone } from "./alerts-view";
import { formProblem, groupTeamAlerts, labelsLine, matchersLine, safeLink, silenceLine, teamStatusLine } from "./team-alerts-view";
import { formatAge } from "./view";

const time = (iso: string) => new Date(iso).toLocaleString();

function ExpireButton({ silence, onProblem }: { silence: TeamSilence; onProblem: (text: string | null) => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      disabled={busy}
      data-testid="team-expire"
      onClick={() => {
        setBusy(true);
        expireTeamSilence(silence.id)
          .then(() => onProblem(null))
          .catch((e: unknown) => onProblem(errorText(e)))
          .finally(() => setBusy(false));
      }}
    >
      Expire
    </button>
  );
}

function TeamAlertRow({ alert, now }: { alert: TeamAlert; now: number }) {
  const [mode, setMode] = useState<"idle" | "ack" | "silence">("idle");
  const [text, setText] = useState("");
  const [duration, setDuration] = useState("2h");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const runbook = safeLink(alert.runbook_url);
  const close = () => {
    setMode("idle");
    setText("");
    setProblem(null);
  };
  const submit = () => {
    const wrong = formProblem(mode === "silence" ? "silence" : "ack", text, duration);
    if (wrong) {
      setProblem(wrong);
      return;
    }
    setBusy(true);
    const done = mode === "ack" ? acknowledgeTeamAlert(alert.id, text.trim()) : silenceTeamAlert(alert.id, text.trim(), duration.trim());
    done
      .then(close)
      .catch((e: unknown) => setProblem(errorText(e)))
      .finally(() => setBusy(false));
  };
  const handled = alert.acknowledged_by !== undefined || alert.silenced_by !== undefined;
  return (
    <li class={`alert team ${severityTone(alert.severity)}`} data-team-alert={alert.id} data-state={alert.state}>
      <div class="alert-head">
        <span class={`badge ${severityTone(alert.severity)}`}>{alert.severity}</span>
        <span class="badge unknown" title="from the team's Alertmanager">team</span>
        <strong>{alert.name}</strong>
        <span class="meta">
          {labelsLine(alert.labels)} · since {formatAge(alert.starts_at, now).replace(" ago", "")}
          {alert.inhibited && " · inhibited"}
        </span>
      </div>
      {alert.summary && <div>{alert.summary}</div>}
      {alert.description && <div class="meta">{alert.description}</div>}
      {runbook && (
        <div class="meta">
          runbook:{" "}
          <a
            href={runbook}
            data-testid="team-runbook"
            onClick={(e) => {
              e.preventDefault();
              openRunbook(runbook).catch((err: unknown) => setProblem(errorText(err)));
            }}
          >
            {runbook}
          </a>
        </div>
      )}
      {alert.silences.map((s) => (
        <div key={s.id} class="meta" data-testid={s.acknowledgement ? "team-acknowledged" : "team-silenced"}>
          {silenceLine(s, time)} <span class="meta">({matchersLine(s.matchers)})</span> <ExpireButton silence={s} onProblem={setProblem} />
        </div>
      ))}
      {mode === "idle" ? (
        <div class="alert-actions">
          {!handled && (
            <button onClick={() => setMode("ack")} data-testid="team-acknowledge">
              Acknowledge
            </button>
          )}
          <button onClick={() => setMode("silence")} data-testid="team-silence">
            Silence…
          </button>
          {problem && <span class="problem">{problem}</span>}
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
            placeholder={mode === "ack" ? "comment: what you are doing (the team sees it)" : "reason for the silence"}
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            data-testid="team-comment"
          />
          {mode === "silence" && (
            <input class="filter duration" aria-label="duration" value={duration} onInput={(e) => setDuration((e.target as HTMLInputElement).value)} data-testid="team-duration" />
          )}
          <button type="submit" disabled={busy} data-testid="team-submit">
            {mode === "ack" ? "Acknowledge" : "Silence"}
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
          {problem && (
            <span class="problem" data-testid="team-problem">
              {problem}
            </span>
          )}
        </form>
      )}
    </li>
  );
}

/** The team's alerts; nothing without `[alertmanager]`. */
export function TeamAlertsSection({ view, now }: { view: TeamAlerts | null; now: number }) {
  const [problem, setProblem] = useState<string | null>(null);
  if (!view) return null;
  const status = teamStatusLine(view, now);
  if (!status) return null;
  const groups = groupTeamAlerts(view.alerts);
  const list = (title: string, alerts: TeamAlert[], testid: string) =>
    alerts.length > 0 && (
      <section data-testid={testid}>
        <h4>
          {title} <span class="meta">{alerts.length}</span>
        </h4>
        <ul class="alerts">
          {alerts.map((a) => (
            <TeamAlertRow key={a.id} alert={a} now={now} />
          ))}
        </ul>
      </section>
    );
  const loose = view.silences.filter((s) => !view.alerts.some((a) => a.silences.some((c) => c.id === s.id)));
  return (
    <section class="team-alerts" data-testid="team-alerts">
      <h3>
        The team's alerts <span class="meta">{view.alerts.length}</span>
      </h3>
      <div class={status.failing ? "banner warning" : "meta"} data-testid="team-status">
        {status.text}
      </div>
      {view.alerts.length === 0 && view.status.kind === "ok" && <p class="empty">Alertmanager holds no alerts.</p>}
      {list("Firing", groups.firing, "team-firing")}
      {list("Acknowledged", groups.acknowledged, "team-acknowledged-list")}
      {list("Silenced", groups.silenced, "team-silenced-list")}
      {loose.length > 0 && (
        <section>
          <h4>Other silences</h4>
          <ul class="alerts">
            {loose.map((s) => (
              <li key={s.id} class="alert unknown" data-team-silence={s.id}>
                {silenceLine(s, time)} <span class="meta">({matchersLine(s.matchers)}, {s.state})</span> <ExpireButton silence={s} onProblem={setProblem} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {problem && <span class="problem">{problem}</span>}
    </section>
  );
}
