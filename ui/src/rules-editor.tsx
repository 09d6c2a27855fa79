// The rules in force, editable: condition, for-duration, recovery, keep-firing and
// severity. Saving sends the whole set; the engine checks every rule and the refusal
// marks each bad field with what to write instead. Export gives the set as TOML.
import { useEffect, useState } from "preact/hooks";
import { commandError, errorText, exportAlertRules, fetchAlertRules, saveAlertRules } from "./backend";
import type { RuleError } from "./bindings/RuleError";
import type { RuleSpec } from "./bindings/RuleSpec";
import type { RuleView } from "./bindings/RuleView";
import { applyEdit, EDITABLE, editableRules, errorFor, rejectedErrors } from "./rules-view";

function describeSelect(rule: RuleSpec): string {
  const s = rule.select;
  const subject =
    s.series ?? (s.ratio ? s.ratio.join(" / ") : undefined) ?? (s.increase ? `increase of ${s.increase}` : undefined) ??
    (s.breaker_state !== undefined ? "breaker state" : undefined) ?? (s.health_status ? "health" : undefined) ??
    (s.dependency !== undefined ? "dependency" : undefined) ?? (s.stream_state !== undefined ? "stream state" : undefined) ??
    (s.staleness ? "staleness" : "?");
  const scope = [s.service, ...(s.tags ?? []).map((t) => `#${t}`)].filter(Boolean).join(" ");
  const each = s.per === "instance" ? ", each instance" : "";
  return scope ? `${subject} on ${scope}${each}` : `${subject}${each}`;
}

export function RulesEditor() {
  const [views, setViews] = useState<RuleView[]>([]);
  const [rules, setRules] = useState<RuleSpec[]>([]);
  const [errors, setErrors] = useState<RuleError[]>([]);
  const [status, setStatus] = useState<string | null>(null);
  const [toml, setToml] = useState<string | null>(null);

  const load = () =>
    fetchAlertRules()
      .then((all) => {
        setViews(all);
        setRules(editableRules(all));
      })
      .catch((e: unknown) => setStatus(`Cannot read the rules: ${errorText(e)}`));
  useEffect(() => {
    load();
  }, []);

  const save = () => {
    setStatus("saving…");
    saveAlertRules(rules)
      .then(() => {
        setErrors([]);
        setStatus("Saved; the engine evaluates the new rules from now on.");
        load();
      })
      .catch((e: unknown) => {
        const error = commandError(e);
        setErrors(rejectedErrors(error));
        setStatus(error.message);
      });
  };
  const serviceRules = views.filter((v) => v.origin.kind === "service");
  return (
    <section class="rules" data-testid="rules">
      <h3>Rules</h3>
      <table class="services">
        <thead>
          <tr>
            <th>Rule</th>
            {EDITABLE.map((e) => (
              <th key={e.field}>{e.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rules.map((rule, index) => (
            <tr key={rule.name} data-rule={rule.name}>
              <td>
                <div class="name">{rule.name}</div>
                <div class="meta">{describeSelect(rule)}</div>
              </td>
              {EDITABLE.map(({ field, placeholder }) => {
                const problem = errorFor(errors, rule.name, field);
                const value = (field === "when" ? rule.when : rule[field as "for" | "recover" | "keep_firing" | "severity"]) ?? "";
                return (
                  <td key={field}>
                    <input
                      class={`cell ${problem ? "invalid" : ""}`}
                      value={value}
                      placeholder={placeholder}
                      data-field={field}
                      onInput={(e) => setRules((current) => applyEdit(current, index, field, (e.target as HTMLInputElement).value))}
                    />
                    {problem && <div class="problem" data-testid="rule-error">{problem}</div>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="alert-actions">
        <button onClick={save} data-testid="save-rules">
          Save rules
        </button>
        <button onClick={() => (setErrors([]), load(), setStatus(null))}>Discard changes</button>
        <button onClick={() => exportAlertRules().then(setToml).catch((e: unknown) => setStatus(errorText(e)))}>Export as TOML</button>
        {status && <span class="meta" data-testid="rules-status">{status}</span>}
      </div>
      {toml && (
        <div>
          <p class="meta">Paste into the configuration file to keep these rules there too:</p>
          <pre class="toml">{toml}</pre>
        </div>
      )}
      {serviceRules.length > 0 && (
        <>
          <h3>Declared by services</h3>
          <ul class="alerts">
            {serviceRules.map((v) => (
              <li key={`${v.spec.name}|${v.origin.kind === "service" ? v.origin.service : ""}`} class="alert unknown">
                <strong>{v.spec.name}</strong> <span class="meta">{v.summary}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
