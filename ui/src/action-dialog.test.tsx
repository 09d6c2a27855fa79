// @vitest-environment jsdom
// The action dialog as an engineer meets it: what it shows before anything is sent (the
// breaker's state and the plan the Rust side made), what it sends across the IPC boundary
// (replaced here by a recorder that answers each command as the test says), the reason it
// insists on, Enter and Esc, the override step and the outcome lines. The checks and the
// request itself are the core's (tested there); this is the window's half.
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ActionDialog, type ResetTarget } from "./action-dialog";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ActionPlan } from "./bindings/ActionPlan";
import type { ActionRequest } from "./bindings/ActionRequest";
import type { ServiceState } from "./bindings/ServiceState";

/** Every command the dialog sent, in order, with its arguments. */
const sent: { cmd: string; args: unknown }[] = [];
/** How each command answers; a command without an answer fails the test loudly. */
const answers = new Map<string, (args: { request: ActionRequest }) => Promise<unknown>>();
(window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
  invoke: (cmd: string, args: { request: ActionRequest }) => {
    sent.push({ cmd, args });
    const answer = answers.get(cmd);
    return answer ? answer(args) : Promise.reject(new Error(`unexpected command ${cmd}`));
  },
  transformCallback: () => 0,
};

const NOW = Date.parse("2026-11-23T10:00:00Z");
const PLACE = "127.0.0.1:8080";

/** A pending answer the test settles when it wants to. */
function later<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The plan the core would make for `request` (only the fields the dialog reads matter). */
function planFor(request: ActionRequest, path: string, effect: string): ActionPlan {
  return { request, profile: "breaker-registry", method: "POST", place: PLACE, path, effect, description: `POST ${PLACE}${path} — ${effect}` };
}

function outcome(request: ActionRequest, extra: Partial<ActionOutcome>): ActionOutcome {
  return {
    request,
    operator: "oncall",
    started_at: "2026-11-23T10:00:01Z",
    finished_at: "2026-11-23T10:00:01Z",
    status: "done",
    message: "reset",
    duration_ms: 40,
    override_available: false,
    ...extra,
  };
}

/** A refusal as the shell sends it (`IpcError` with the refusal's details). */
const refused = (message: string, refusal: string, overridable: boolean) => ({ code: "refused", message, details: { refusal, overridable } });

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

let host: HTMLElement;
let closed = 0;

beforeEach(() => {
  sent.length = 0;
  answers.clear();
  closed = 0;
  host = document.createElement("div");
  document.body.appendChild(host);
});

afterEach(() => {
  act(() => render(null, host));
  host.remove();
});

async function open(target: ResetTarget) {
  act(() => render(<ActionDialog target={target} now={NOW} onClose={() => (closed += 1)} />, host));
  await settle();
}

const registryReset: ResetTarget = {
  service: "registry",
  breaker: { name: "exchange_api", state: "half_open", since: "2026-11-23T09:59:57Z", failure_rate: 0.25, failure_count: 7 },
};
const RESET_PATH = "/api/circuit-breakers/exchange_api/reset";
const RESET_EFFECT = "resets breaker exchange_api of registry to CLOSED: calls go through again at once";

const el = <T extends Element = HTMLElement>(selector: string) => host.querySelector(selector) as T | null;
const text = (selector: string) => el(selector)?.textContent ?? null;
const confirmButton = () => el<HTMLButtonElement>("[data-testid=action-confirm]");
const reasonBox = () => el<HTMLInputElement>("[data-testid=action-reason]");
const runs = () => sent.filter((s) => s.cmd === "run_action").map((s) => (s.args as { request: ActionRequest }).request);

function typeInto(box: HTMLInputElement | null, value: string) {
  if (!box) throw new Error("no input to type into");
  act(() => {
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

/** Enter in a text box, as a browser handles it: the keydown, then (jsdom does not do
 * this part) the form's implicit submission, which clicks its default button unless that
 * button is disabled. */
function pressEnter(box: HTMLInputElement | null) {
  if (!box) throw new Error("no input to press Enter in");
  act(() => {
    const unhandled = box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
    const button = box.form?.querySelector("button[type=submit]") as HTMLButtonElement | null;
    if (unhandled && button && !button.disabled) button.click();
  });
}

/** Answers plan_action with the reset's plan, and run_action with `run`. */
function answerReset(run?: (request: ActionRequest) => Promise<unknown>) {
  answers.set("plan_action", ({ request }) => Promise.resolve(planFor(request, RESET_PATH, RESET_EFFECT)));
  if (run) answers.set("run_action", ({ request }) => run(request));
}

describe("the action dialog", () => {
  it("shows what, in which state since when, and the plan the core made, asking for it with a preview reason", async () => {
    answerReset();
    await open(registryReset);
    expect(text("h2")).toBe("Reset exchange_api on registry?");
    expect(text("p.meta")).toBe("now half open since 3 s · failure rate 25 % · 7 failures");
    expect(el("p.meta strong")?.textContent).toBe("half open");
    expect(text("[data-testid=action-plan]")).toBe(`POST ${PLACE}${RESET_PATH} — ${RESET_EFFECT}`);
    expect(el("[data-testid=action-refusal]")).toBeNull();
    expect(sent).toEqual([
      { cmd: "plan_action", args: { request: { service: "registry", kind: "reset_breaker", target: "exchange_api", reason: "preview", override_checks: false } } },
    ]);
    // Nothing to confirm until there is a reason; no override offered for a sound plan.
    expect(confirmButton()?.textContent).toBe("Reset");
    expect(confirmButton()?.disabled).toBe(true);
    expect(el("[data-testid=action-override]")).toBeNull();
    expect(el("[data-testid=action-outcome]")).toBeNull();
  });

  it("names each action and the service when there is no breaker", async () => {
    answers.set("plan_action", ({ request }) => Promise.resolve(planFor(request, "/api/cache/clear", "evicts every entry of registry's cache")));
    await open({ service: "registry", kind: "clear_cache" });
    expect(text("h2")).toBe("Clear the cache of registry?");
    expect(el("p.meta")).toBeNull();
    expect(confirmButton()?.textContent).toBe("Clear");
    expect(sent.map((s) => s.args)).toEqual([{ request: { service: "registry", kind: "clear_cache", target: undefined, reason: "preview", override_checks: false } }]);
    act(() => render(null, host));
    sent.length = 0;
    answers.set("plan_action", ({ request }) => Promise.resolve(planFor(request, "/actuator/circuitbreakers/inventory", "forces breaker inventory open")));
    await open({ service: "shop", kind: "force_open_breaker", breaker: { name: "inventory", state: "closed" } });
    expect(text("h2")).toBe("Force open inventory on shop?");
    expect(text("p.meta")).toBe("now closed");
    expect(confirmButton()?.textContent).toBe("Force");
    expect(sent.map((s) => s.args)).toEqual([{ request: { service: "shop", kind: "force_open_breaker", target: "inventory", reason: "preview", override_checks: false } }]);
  });

  it("requires a reason: Enter and a submitted form send nothing without one", async () => {
    answerReset(() => Promise.reject(new Error("must not be sent")));
    await open(registryReset);
    pressEnter(reasonBox());
    typeInto(reasonBox(), "   ");
    expect(confirmButton()?.disabled).toBe(true);
    pressEnter(reasonBox());
    // However the form comes to be submitted (a script, a browser that ignores the
    // disabled button), a blank reason sends nothing.
    act(() => reasonBox()?.form?.requestSubmit());
    await settle();
    expect(runs()).toEqual([]);
    expect(el("[data-testid=action-outcome]")).toBeNull();
  });

  it("sends the reset once on Enter with the trimmed reason, shows it on its way, then the verified outcome", async () => {
    const answer = later<ActionOutcome>();
    answerReset(() => answer.promise);
    await open(registryReset);
    typeInto(reasonBox(), "  exchange recovered; letting traffic back  ");
    expect(confirmButton()?.disabled).toBe(false);
    pressEnter(reasonBox());
    expect(runs()).toEqual([{ service: "registry", kind: "reset_breaker", target: "exchange_api", reason: "exchange recovered; letting traffic back", override_checks: false }]);
    // On its way: the button says so and takes no second press.
    expect(confirmButton()?.textContent).toBe("Sending…");
    expect(confirmButton()?.disabled).toBe(true);
    pressEnter(reasonBox());
    expect(runs().length).toBe(1);

    const request = runs()[0] as ActionRequest;
    await act(async () => {
      answer.resolve(outcome(request, { http_status: 200, verification: { kind: "verified", state: "closed", after_ms: 640 } }));
      await answer.promise;
    });
    await settle();
    expect(text("[data-testid=action-outcome]")).toBe("verified: closed after 0.6 s");
    expect(el("[data-testid=action-outcome]")?.className).toBe("outcome ok");
    // Done: no form left to send again, and a Close button that closes.
    expect(reasonBox()).toBeNull();
    expect(confirmButton()).toBeNull();
    expect(el("[data-testid=action-override]")).toBeNull();
    const close = Array.from(host.querySelectorAll("button")).find((b) => b.textContent === "Close");
    act(() => close?.click());
    expect(closed).toBe(1);
    expect(runs().length).toBe(1);
  });

  it("sends one request for two clicks in the same instant", async () => {
    const answer = later<ActionOutcome>();
    answerReset(() => answer.promise);
    await open(registryReset);
    typeInto(reasonBox(), "double click");
    act(() => {
      confirmButton()?.click();
      confirmButton()?.click();
    });
    expect(runs().length).toBe(1);
    await act(async () => {
      answer.resolve(outcome(runs()[0] as ActionRequest, {}));
      await answer.promise;
    });
  });

  it("says plainly when the service did not do it", async () => {
    answerReset((request) =>
      Promise.resolve(outcome(request, { verification: { kind: "not_verified", state: "open", after_ms: 10000, message: "exchange_api is still open after 10s (expected closed)" } })),
    );
    await open(registryReset);
    typeInto(reasonBox(), "retry");
    pressEnter(reasonBox());
    await settle();
    expect(text("[data-testid=action-outcome]")).toBe("not verified: exchange_api is still open after 10s (expected closed)");
    expect(el("[data-testid=action-outcome]")?.className).toBe("outcome bad");
  });

  it("shows a refusal at send time, and holds the confirm button when it cannot be overridden", async () => {
    answerReset(() => Promise.reject(refused("registry is already being acted on (reset_breaker exchange_api); wait for it to finish", "in_flight", false)));
    await open(registryReset);
    typeInto(reasonBox(), "recovered");
    pressEnter(reasonBox());
    await settle();
    expect(text("[data-testid=action-refusal]")).toBe("registry is already being acted on (reset_breaker exchange_api); wait for it to finish");
    expect(el("[data-testid=action-outcome]")).toBeNull();
    // Not overridable: no override, and the confirm button is held.
    expect(el("[data-testid=action-override]")).toBeNull();
    expect(confirmButton()?.textContent).toBe("Reset");
    expect(confirmButton()?.disabled).toBe(true);
  });

  it("turns an overridable refusal into an explicit second step that sends override_checks with the reason", async () => {
    const message = "circuit_breaker is already closed: the service would refuse the reset (409, not active); confirm with override to send it anyway";
    answers.set("plan_action", () => Promise.reject(refused(message, "already_in_state", true)));
    answers.set("run_action", ({ request }) =>
      Promise.resolve(outcome(request, { message: "trading resumed", verification: { kind: "verified", state: "closed", after_ms: 1250 } })),
    );
    await open({ service: "halt", breaker: { name: "circuit_breaker", state: "closed", failure_count: 0 } });
    expect(text("[data-testid=action-refusal]")).toBe(message);
    expect(el("[data-testid=action-plan]")).toBeNull();
    const override = () => el<HTMLButtonElement>("[data-testid=action-override]");
    expect(override()?.textContent).toBe("Reset anyway (override)");
    // The override needs the reason too.
    expect(override()?.disabled).toBe(true);
    act(() => override()?.click());
    expect(runs()).toEqual([]);

    typeInto(reasonBox(), " testing the guard ");
    expect(override()?.disabled).toBe(false);
    act(() => override()?.click());
    await settle();
    expect(runs()).toEqual([{ service: "halt", kind: "reset_breaker", target: "circuit_breaker", reason: "testing the guard", override_checks: true }]);
    expect(text("[data-testid=action-outcome]")).toBe("verified: closed after 1.3 s");
    expect(el("[data-testid=action-refusal]")).toBeNull();
    expect(override()).toBeNull();
  });

  it("offers the override after a 409 the service answered, and sends it only when asked", async () => {
    answerReset((request) =>
      Promise.resolve(
        request.override_checks
          ? outcome(request, { message: "reset (override)", verification: { kind: "verified", state: "closed", after_ms: 300 } })
          : outcome(request, { status: "refused", http_status: 409, message: "circuit breaker not active", override_available: true, verification: { kind: "not_checked", message: "the action was refused" } }),
      ),
    );
    await open({ service: "halt", breaker: { name: "circuit_breaker", state: "open" } });
    typeInto(reasonBox(), "market reopened");
    pressEnter(reasonBox());
    await settle();
    expect(runs().map((r) => r.override_checks)).toEqual([false]);
    expect(text("[data-testid=action-outcome]")).toBe("refused by the service: circuit breaker not active");
    expect(el("[data-testid=action-outcome]")?.className).toBe("outcome warn");
    act(() => el<HTMLButtonElement>("[data-testid=action-override]")?.click());
    await settle();
    expect(runs()).toEqual([
      { service: "halt", kind: "reset_breaker", target: "circuit_breaker", reason: "market reopened", override_checks: false },
      { service: "halt", kind: "reset_breaker", target: "circuit_breaker", reason: "market reopened", override_checks: true },
    ]);
    expect(text("[data-testid=action-outcome]")).toBe("verified: closed after 0.3 s");
  });

  it("asks for a pattern before planning an invalidation, and sends the pattern it planned", async () => {
    const effect = "evicts the entries of registry's cache matching `market_data:*`";
    answers.set("plan_action", ({ request }) => Promise.resolve(planFor(request, "/api/cache/invalidate/pattern", effect)));
    answers.set("run_action", ({ request }) => Promise.resolve(outcome(request, { message: "12 entries invalidated", verification: { kind: "not_checked", message: "a cache action" } })));
    await open({ service: "registry", kind: "invalidate_cache_pattern" });
    expect(text("h2")).toBe("Invalidate cache keys of registry?");
    expect(sent).toEqual([]);
    expect(el("[data-testid=action-plan]")).toBeNull();
    typeInto(reasonBox(), "stale quotes after the feed restart");
    expect(confirmButton()?.disabled).toBe(true);
    pressEnter(reasonBox());
    expect(runs()).toEqual([]);

    typeInto(el<HTMLInputElement>("[data-testid=action-pattern]"), " market_data:* ");
    await settle();
    expect(sent.map((s) => s.args)).toEqual([
      { request: { service: "registry", kind: "invalidate_cache_pattern", target: "market_data:*", reason: "preview", override_checks: false } },
    ]);
    expect(text("[data-testid=action-plan]")).toBe(`POST ${PLACE}/api/cache/invalidate/pattern — ${effect}`);
    pressEnter(el<HTMLInputElement>("[data-testid=action-pattern]"));
    await settle();
    expect(runs()).toEqual([{ service: "registry", kind: "invalidate_cache_pattern", target: "market_data:*", reason: "stale quotes after the feed restart", override_checks: false }]);
    expect(text("[data-testid=action-outcome]")).toBe("done: 12 entries invalidated");
  });

  it("closes on Esc before the window's own shortcuts see the key, and on Cancel, sending nothing", async () => {
    const seenByWindow: string[] = [];
    const shortcuts = (event: KeyboardEvent) => seenByWindow.push(event.key);
    // The window's shortcuts listen on the window, registered before the dialog opens.
    window.addEventListener("keydown", shortcuts);
    try {
      answerReset(() => Promise.reject(new Error("must not be sent")));
      await open(registryReset);
      typeInto(reasonBox(), "changed my mind");
      act(() => {
        reasonBox()?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
      });
      expect(closed).toBe(1);
      expect(seenByWindow).toEqual([]);
      // Other keys are the window's as usual.
      act(() => {
        reasonBox()?.dispatchEvent(new KeyboardEvent("keydown", { key: "x", bubbles: true }));
      });
      expect(seenByWindow).toEqual(["x"]);
      const cancel = Array.from(host.querySelectorAll("button")).find((b) => b.textContent === "Cancel");
      act(() => cancel?.click());
      expect(closed).toBe(2);
      expect(runs()).toEqual([]);
      // Closed for good: Esc belongs to the window again.
      act(() => render(null, host));
      window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
      expect(seenByWindow).toEqual(["x", "Escape"]);
      expect(closed).toBe(2);
    } finally {
      window.removeEventListener("keydown", shortcuts);
    }
  });
});

describe("the action dialog on a service of several instances", () => {
  const replica = (id: string, state: "open" | "closed" | "half_open") => ({ id, base_url: `http://${id}`, health: "ok" as const, breakers: [["db", state]] as [string, "open" | "closed" | "half_open"][] });
  /** The service as the window shows it: db open on two of its three replicas. */
  const checkout = (states: ["open" | "closed" | "half_open", "open" | "closed" | "half_open", "open" | "closed" | "half_open"]): ServiceState => ({
    name: "checkout",
    profile: "breaker-registry",
    base_url: "http://checkout.internal:8080",
    tags: [],
    poll_interval_ms: 1000,
    consecutive_failures: 0,
    replicas: { discovery: "3 instances listed", instances: [replica("127.0.0.1:4001", states[0]), replica("127.0.0.1:4002", states[1]), replica("127.0.0.1:4003", states[2])] },
  });
  const target: ResetTarget = { service: "checkout", breaker: { name: "db", state: "open", reason: "open on 2 of 3 instances" } };
  const path = "/api/circuit-breakers/db/reset";
  /** The batch plan the core makes: one plan per open instance, sending nothing itself. */
  function batchPlan(request: ActionRequest): ActionPlan {
    const one = (instance: string) => ({ ...planFor({ ...request, instance }, path, "resets db"), place: instance });
    return { ...planFor(request, path, "resets db"), place: "2 of 3 instances", description: `POST ${path} to 2 of 3 instances: 127.0.0.1:4002, 127.0.0.1:4003`, instances: [one("127.0.0.1:4002"), one("127.0.0.1:4003")] };
  }
  const show = async (state: ServiceState) => {
    act(() => render(<ActionDialog target={target} state={state} now={NOW} onClose={() => (closed += 1)} />, host));
    await settle();
  };
  const listed = () => Array.from(host.querySelectorAll("[data-plan-instance]")).map((li) => `${(li as HTMLElement).dataset.planInstance} ${(li as HTMLElement).dataset.state ?? "?"}`);

  it("lists the instances it sends to before sending, each with its breaker's state now", async () => {
    answers.set("plan_action", ({ request }) => Promise.resolve(batchPlan(request)));
    await show(checkout(["closed", "open", "half_open"]));
    expect(text("p.meta strong")).toBe("open on 1 of 3");
    expect(text("[data-testid=action-plan]")).toBe(`POST ${path} — resets db`);
    expect(text("[data-testid=action-instances] p")).toBe("Sends 1 request to each of 2 of 3 instances:");
    expect(listed()).toEqual(["127.0.0.1:4002 open", "127.0.0.1:4003 half_open"]);
    expect(el("[data-plan-instance='127.0.0.1:4002'] .badge")?.className).toBe("badge bad");
    expect(runs()).toEqual([]);
    // The states follow the service while the dialog is open.
    await show(checkout(["closed", "closed", "half_open"]));
    expect(listed()).toEqual(["127.0.0.1:4002 closed", "127.0.0.1:4003 half_open"]);
  });

  it("shows partial success in the warn tone, with each instance's own outcome under it", async () => {
    answers.set("plan_action", ({ request }) => Promise.resolve(batchPlan(request)));
    answers.set("run_action", ({ request }) => {
      const at = (instance: string, extra: Partial<ActionOutcome>) => outcome({ ...request, instance }, { http_status: 200, ...extra });
      return Promise.resolve(
        outcome(request, {
          status: "partial",
          message: "1 of 2 closed; 127.0.0.1:4003 not verified: db is still open after 10s (expected closed)",
          instances: [
            at("127.0.0.1:4002", { verification: { kind: "verified", state: "closed", after_ms: 700 } }),
            at("127.0.0.1:4003", { verification: { kind: "not_verified", state: "open", after_ms: 10000, message: "db is still open after 10s (expected closed)" } }),
          ],
        }),
      );
    });
    await show(checkout(["closed", "open", "open"]));
    typeInto(reasonBox(), "upstream recovered");
    pressEnter(reasonBox());
    await settle();
    expect(runs()).toEqual([{ service: "checkout", kind: "reset_breaker", target: "db", reason: "upstream recovered", override_checks: false }]);
    expect(text("[data-testid=action-outcome]")).toBe("partly done: 1 of 2 closed; 127.0.0.1:4003 not verified: db is still open after 10s (expected closed)");
    expect(el("[data-testid=action-outcome]")?.className).toBe("outcome warn");
    const lines = Array.from(host.querySelectorAll("[data-outcome-instance]")) as HTMLElement[];
    expect(lines.map((l) => [l.dataset.outcomeInstance, l.className, l.textContent])).toEqual([
      ["127.0.0.1:4002", "outcome ok", "127.0.0.1:4002 done · HTTP 200 · verified: closed after 0.7 s"],
      ["127.0.0.1:4003", "outcome bad", "127.0.0.1:4003 done · HTTP 200 · not verified: db is still open after 10s (expected closed)"],
    ]);
  });

  it("lists nothing more for a service of one address", async () => {
    answerReset();
    await open(registryReset);
    expect(el("[data-testid=action-instances]")).toBeNull();
  });
});
