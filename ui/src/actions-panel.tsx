// The audit log: every action of the last day, who, why, what the service said, and
// whether the console saw it take; on a service of several instances, which instance
// each request went to (a column shown when a row has one).
import { useEffect, useState } from "preact/hooks";
import { errorText, onActionLogged, recentActions } from "./backend";
import type { ActionRecord } from "./bindings/ActionRecord";
import { auditCsv, hasInstances } from "./actions-view";
import { formatAge } from "./view";

export function ActionsPanel({ now, service }: { now: number; service?: string }) {
  const [rows, setRows] = useState<ActionRecord[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [csv, setCsv] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      recentActions(24)
        .then(setRows)
        .catch((e: unknown) => setProblem(errorText(e)));
    load();
    // Re-read when the console says a row was written or completed, not on a timer.
    return onActionLogged(load);
  }, []);
  if (problem) return <p class="problem">Cannot read the audit log: {problem}</p>;
  if (!rows) return <p class="empty">Reading the audit log…</p>;
  const shown = service ? rows.filter((r) => r.service === service) : rows;
  if (shown.length === 0) return <p class="empty">No actions in the last 24 hours.</p>;
  const instances = hasInstances(shown);
  return (
    <div>
      <button onClick={() => setCsv(csv === null ? auditCsv(shown) : null)} data-testid="export-actions">
        {csv === null ? "Export as CSV" : "Hide CSV"}
      </button>
      {csv !== null && <pre class="toml">{csv}</pre>}
    <table class="services" data-testid="actions-panel">
      <thead>
        <tr>
          <th>When</th>
          <th>Who</th>
          <th>Action</th>
          {instances && <th>Instance</th>}
          <th>Reason</th>
          <th>Answer</th>
          <th>Verified</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((r) => (
          <tr key={r.id} data-action-row={`${r.service}/${r.target ?? ""}`} data-instance={r.instance}>
            <td class="meta" title={new Date(r.at_ms).toISOString()}>
              {formatAge(new Date(r.at_ms).toISOString(), now)}
            </td>
            <td>{r.operator}</td>
            <td>
              <div class="name">{r.action.replace("_", " ")}</div>
              <div class="meta">
                {r.service}
                {r.target && ` / ${r.target}`}
                {r.override_checks && " · override"}
              </div>
            </td>
            {instances && <td data-testid="action-instance">{r.instance ?? "—"}</td>}
            <td>{r.reason}</td>
            <td class="meta">
              {r.http_status ?? "—"} {r.message}
              {r.duration_ms !== undefined && ` · ${Math.round(r.duration_ms)} ms`}
            </td>
            <td data-testid="verified">{r.verified_state ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
