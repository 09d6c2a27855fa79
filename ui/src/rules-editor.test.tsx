// @vitest-environment jsdom
// The rule editor as an engineer meets it: the rules in force with each field in its
// input, what Save sends across the IPC boundary (replaced here by a recorder that answers
// as the test says), the engine's refusal shown under the field it is about, Discard and
// Export. Which rules are sound is the engine's call (tested in the core); this is the
// window's half: sending exactly what was typed and pointing at what was refused.
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RuleSpec } from "./bindings/RuleSpec";
import type { RuleView } from "./bindings/RuleView";
import { RulesEditor } from "./rules-editor";

/** Every command the editor sent, in order, with its arguments. */
const sent: { cmd: string; args: unknown }[] = [];
/** How each command answers; a command without an answer fails the test loudly. */
const answers = new Map<string, (args: unknown) => Promise<unknown>>();
(window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
  invoke: (cmd: string, args: unknown) => {
    sent.push({ cmd, args });
    const answer = answers.get(cmd);
    return answer ? answer(args) : Promise.reject(new Error(`unexpected command ${cmd}`));
  },
  transformCallback: () => 0,
};

const cpuHot: RuleSpec = {
  name: "cpu hot",
  select: { service: "registry", series: "system.cpu_percent" },
  when: "> 80",
  for: "1m",
  severity: "high",
  description: "CPU over 80 %: requests will queue",
};
const breakerOpen: RuleSpec = { name: "breaker open", select: { tags: ["prod"], breaker_state: true }, when: "state is open", keep_firing: "30s" };
const queueFull: RuleSpec = { name: "queue full", select: { ratio: ["queue.depth", "queue.capacity"] }, when: ">= 0.9" };

/** The rules in force, as `alert_rules` answers: one configured, one built in, one a
 * service declared (not editable here). */
const IN_FORCE: RuleView[] = [
  { spec: cpuHot, origin: { kind: "config" }, summary: "system.cpu_percent > 80 for 1m on registry" },
  { spec: breakerOpen, origin: { kind: "default" }, summary: "breaker state is open on #prod" },
  { spec: queueFull, origin: { kind: "service", service: "orders" }, summary: "queue.depth / queue.capacity >= 0.9 on orders" },
];

const RECOVER_REFUSED = "`>= 95` is on the same side as `> 80`; recovery goes the other way (<= or <)";
const WHEN_REFUSED = "breaker state is a state; write `state is closed`";
/** What `save_alert_rules` rejects with when the engine refuses the set. */
const rejected = {
  code: "invalid_rules",
  message: `alert \`cpu hot\`: recover: ${RECOVER_REFUSED} (and 1 more)`,
  details: {
    errors: [
      { rule: "cpu hot", field: "recover", message: RECOVER_REFUSED },
      { rule: "breaker open", field: "when", message: WHEN_REFUSED },
    ],
  },
};

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

let host: HTMLElement;

beforeEach(() => {
  sent.length = 0;
  answers.clear();
  answers.set("alert_rules", () => Promise.resolve(IN_FORCE));
  host = document.createElement("div");
  document.body.appendChild(host);
});

afterEach(() => {
  act(() => render(null, host));
  host.remove();
});

async function open() {
  act(() => render(<RulesEditor />, host));
  await settle();
}

const cell = (rule: string, field: string) => host.querySelector(`tr[data-rule="${rule}"] input[data-field="${field}"]`) as HTMLInputElement;
const status = () => host.querySelector("[data-testid=rules-status]")?.textContent ?? null;
const button = (label: string) => Array.from(host.querySelectorAll("button")).find((b) => b.textContent === label) as HTMLButtonElement;
const commands = () => sent.map((s) => s.cmd);

function edit(rule: string, field: string, value: string) {
  const box = cell(rule, field);
  act(() => {
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** Each row's rule, what it selects, and every field as its input shows it. */
function rows() {
  return Array.from(host.querySelectorAll("tr[data-rule]")).map((row) => ({
    rule: (row as HTMLElement).dataset.rule,
    name: row.querySelector(".name")?.textContent,
    selects: row.querySelector(".meta")?.textContent,
    fields: Object.fromEntries(Array.from(row.querySelectorAll("input")).map((i) => [i.dataset.field, i.value])),
  }));
}

/** Every refusal on screen: the rule, the field whose cell it sits under, the message. */
function refusals() {
  return Array.from(host.querySelectorAll("[data-testid=rule-error]")).map((e) => ({
    rule: (e.closest("tr") as HTMLElement).dataset.rule,
    field: e.closest("td")?.querySelector("input")?.dataset.field,
    message: e.textContent,
  }));
}

const invalid = () => Array.from(host.querySelectorAll("input.invalid")).map((i) => `${(i.closest("tr") as HTMLElement).dataset.rule}/${(i as HTMLInputElement).dataset.field}`);

describe("the rule editor", () => {
  it("lists the rules a person may edit, each field in its input, and the services' own rules apart", async () => {
    await open();
    expect(sent).toEqual([{ cmd: "alert_rules", args: {} }]);
    expect(Array.from(host.querySelectorAll("thead th")).map((th) => th.textContent)).toEqual(["Rule", "when", "for", "recover", "keep firing", "severity"]);
    expect(rows()).toEqual([
      { rule: "cpu hot", name: "cpu hot", selects: "system.cpu_percent on registry", fields: { when: "> 80", for: "1m", recover: "", keep_firing: "", severity: "high" } },
      { rule: "breaker open", name: "breaker open", selects: "breaker state on #prod", fields: { when: "state is open", for: "", recover: "", keep_firing: "30s", severity: "" } },
    ]);
    // An empty field says what empty means.
    expect(["when", "for", "recover", "keep_firing", "severity"].map((f) => cell("breaker open", f).placeholder)).toEqual(["< 0.7", "at once", "when `when` stops", "none", "warning"]);
    const declared = Array.from(host.querySelectorAll("ul.alerts li")).map((li) => li.textContent);
    expect(declared).toEqual(["queue full queue.depth / queue.capacity >= 0.9 on orders"]);
    expect(refusals()).toEqual([]);
    expect(status()).toBeNull();
  });

  it("sends nothing while typing, then saves the whole set as typed, an emptied field left out, and reloads", async () => {
    await open();
    edit("cpu hot", "recover", "< 75");
    edit("cpu hot", "for", "  ");
    edit("breaker open", "severity", "critical");
    expect(commands()).toEqual(["alert_rules"]);
    let answer: (rules: RuleView[]) => void = () => undefined;
    answers.set("save_alert_rules", () => new Promise((resolve) => (answer = resolve)));
    act(() => button("Save rules").click());
    expect(status()).toBe("saving…");
    const saved = sent.filter((s) => s.cmd === "save_alert_rules").map((s) => s.args);
    const { for: _for, ...cpuHotWithoutFor } = cpuHot;
    // Strict: an emptied field is absent, not "" or undefined; the service's rule is not sent.
    expect(saved).toStrictEqual([{ rules: [{ ...cpuHotWithoutFor, recover: "< 75" }, { ...breakerOpen, severity: "critical" }] }]);
    await act(async () => {
      answer(IN_FORCE);
      await Promise.resolve();
    });
    await settle();
    expect(status()).toBe("Saved; the engine evaluates the new rules from now on.");
    expect(commands()).toEqual(["alert_rules", "save_alert_rules", "alert_rules"]);
  });

  it("shows each refusal under the field it is about, marks that input, and says what the engine said", async () => {
    await open();
    edit("cpu hot", "recover", ">= 95");
    edit("breaker open", "when", "> 1");
    answers.set("save_alert_rules", () => Promise.reject(rejected));
    act(() => button("Save rules").click());
    await settle();
    expect(refusals()).toEqual([
      { rule: "cpu hot", field: "recover", message: RECOVER_REFUSED },
      { rule: "breaker open", field: "when", message: WHEN_REFUSED },
    ]);
    expect(invalid()).toEqual(["cpu hot/recover", "breaker open/when"]);
    expect(status()).toBe(rejected.message);
    // What was typed stays, to be corrected.
    expect(cell("cpu hot", "recover").value).toBe(">= 95");

    // Corrected and saved: the marks go.
    edit("cpu hot", "recover", "< 75");
    edit("breaker open", "when", "state is open");
    answers.set("save_alert_rules", () => Promise.resolve(IN_FORCE));
    act(() => button("Save rules").click());
    await settle();
    expect(refusals()).toEqual([]);
    expect(invalid()).toEqual([]);
    expect(status()).toBe("Saved; the engine evaluates the new rules from now on.");
  });

  it("shows any other failure as the status, marking no field", async () => {
    await open();
    answers.set("save_alert_rules", () => Promise.reject({ code: "engine_stopped", message: "the console is stopping" }));
    act(() => button("Save rules").click());
    await settle();
    expect(status()).toBe("the console is stopping");
    expect(refusals()).toEqual([]);
    answers.set("save_alert_rules", () => Promise.reject(new Error("the IPC bridge is gone")));
    act(() => button("Save rules").click());
    await settle();
    expect(status()).toBe("the IPC bridge is gone");
  });

  it("discards the edits and the marks by reading the rules in force again", async () => {
    await open();
    edit("cpu hot", "recover", ">= 95");
    answers.set("save_alert_rules", () => Promise.reject(rejected));
    act(() => button("Save rules").click());
    await settle();
    sent.length = 0;
    act(() => button("Discard changes").click());
    await settle();
    expect(commands()).toEqual(["alert_rules"]);
    expect(cell("cpu hot", "recover").value).toBe("");
    expect(refusals()).toEqual([]);
    expect(invalid()).toEqual([]);
    expect(status()).toBeNull();
  });

  it("exports the set as TOML to paste into the configuration", async () => {
    const toml = '[[alert]]\nname = "cpu hot"\nselect = { service = "registry", series = "system.cpu_percent" }\nwhen = "> 80"\n';
    answers.set("export_alert_rules", () => Promise.resolve(toml));
    await open();
    expect(host.querySelector("pre.toml")).toBeNull();
    act(() => button("Export as TOML").click());
    await settle();
    expect(sent.at(-1)).toEqual({ cmd: "export_alert_rules", args: {} });
    expect(host.querySelector("pre.toml")?.textContent).toBe(toml);
  });

  it("says why when the rules cannot be read", async () => {
    answers.set("alert_rules", () => Promise.reject({ code: "no_engine", message: "the console has not started" }));
    await open();
    expect(status()).toBe("Cannot read the rules: the console has not started");
    expect(rows()).toEqual([]);
  });
});
