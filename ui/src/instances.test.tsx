// @vitest-environment jsdom
// A service of several instances as the window shows it: the tile and the list row count
// them and say how many are down, combined breakers say on how many instances they are
// in their state (tile, board, detail), the detail lists the instances on demand (500 of
// them windowed, order held under the pointer, gone ones greyed), the audit log gets an
// instance column, and a section opened by key does not move what the pointer is on.
// The IPC boundary is replaced by a recorder that answers as the test says.
import { render } from "preact";
import { act } from "preact/test-utils";
import { useState } from "preact/hooks";
import { afterEach, describe, expect, it } from "vitest";
import type { ActionRecord } from "./bindings/ActionRecord";
import type { Observation } from "./bindings/Observation";
import type { Replica } from "./bindings/Replica";
import type { ServiceState } from "./bindings/ServiceState";
import { ActionsPanel } from "./actions-panel";
import { BreakerBoard } from "./breakers";
import { Detail } from "./detail";
import { InstancesSection } from "./instances";
import { Overview } from "./overview";
import { deriveOverview } from "./overview-model";
import { keepUnderPointer, trackPointer } from "./pointer-anchor";

/** What each command answers; anything else resolves to null. */
const answers = new Map<string, unknown>();
(window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
  invoke: (cmd: string) => Promise.resolve(answers.get(cmd) ?? null),
  transformCallback: () => 0,
};
// jsdom has no layout: charts wait for a width that never comes.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const NOW = Date.parse("2026-11-23T10:00:00Z");
const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

function replica(id: string, extra: Partial<Replica> = {}): Replica {
  return { id, base_url: `http://${id}`, health: "ok", reachability: { kind: "reachable", latency_ms: 4 }, breakers: [["db", "closed"]], ...extra };
}

function service(name: string, instances: Replica[] | undefined, observation: Partial<Observation> = {}, summary?: string): ServiceState {
  const latest: Observation = {
    service: name,
    profile: "breaker-registry",
    observed_at: "2026-11-23T09:59:59Z",
    reachability: { kind: "reachable", latency_ms: 9 },
    health: { status: "ok" },
    breakers: [{ name: "db", state: "closed" }],
    actions: ["reset_breaker"],
    ...observation,
  };
  return {
    name,
    profile: "breaker-registry",
    base_url: `http://${name}.internal:8080`,
    tags: [],
    poll_interval_ms: 2000,
    latest,
    last_good: latest,
    consecutive_failures: 0,
    replicas: instances && { discovery: `${instances.length} instances listed`, instances, summary },
  };
}

/** The demo's replicated service: one of three replicas has its breaker open, another is down. */
const checkout = service(
  "checkout",
  [replica("127.0.0.1:4001"), replica("127.0.0.1:4002", { breakers: [["db", "open"]] }), replica("127.0.0.1:4003", { health: "down", reachability: { kind: "refused", message: "connection refused" } })],
  { health: { status: "degraded" }, breakers: [{ name: "db", state: "open", reason: "open on 1 of 3 instances" }] },
  "1 of 3 instances down",
);

const host = document.createElement("div");
document.body.appendChild(host);
afterEach(() => {
  act(() => render(null, host));
  answers.clear();
});

const el = (selector: string) => host.querySelector(selector) as HTMLElement | null;
const text = (selector: string) => el(selector)?.textContent ?? null;

function overview(states: ServiceState[], layout: "tiles" | "list") {
  act(() =>
    render(
      <Overview
        data={deriveOverview(new Map(states.map((s) => [s.name, s])), NOW, new Set(), "", "none")}
        groupBy="none"
        layout={layout}
        listSort="state"
        onListSort={() => undefined}
        now={NOW}
        sparklines={new Map()}
        onSelect={() => undefined}
        onReset={() => undefined}
      />,
      host,
    ),
  );
}

describe("a service of several instances in the overview", () => {
  it("counts its instances on the tile, says how many are down, and how its breaker stands across them", () => {
    overview([checkout, service("plain", undefined)], "tiles");
    const tile = el("article[data-service=checkout]");
    expect(tile?.querySelector("[data-testid=instance-count]")?.textContent).toBe("3 instances");
    expect(tile?.querySelector(".problem")?.textContent).toBe("1 of 3 instances down");
    const db = tile?.querySelector("li[data-breaker=db]") as HTMLElement;
    expect(db.dataset.state).toBe("open");
    expect(db.dataset.aggregate).toBe("open on 1 of 3");
    expect(db.querySelector("[data-testid=breaker-aggregate]")?.textContent).toBe("open on 1 of 3");
    expect(db.querySelector("[data-testid=breaker-spread]")?.textContent).toBe(" (open 1 · closed 2)");
    // A service of one address says nothing of instances.
    const plain = el("article[data-service=plain]");
    expect(plain?.querySelector("[data-testid=instance-count]")).toBeNull();
    expect(plain?.querySelector("li[data-breaker=db]")?.textContent).toContain("db closed");
  });

  it("counts them in the list row too, and puts 'no instances' first, as a problem", () => {
    const none = service("aaa-empty", [], { reachability: { kind: "dns", message: "no instances: dns empty.internal:80 found none" }, health: undefined }, "no instances");
    overview([checkout, service("plain", undefined), none], "list");
    const rows = Array.from(host.querySelectorAll("[data-list-service]")) as HTMLElement[];
    expect(rows.map((r) => [r.dataset.listService, r.dataset.status])).toEqual([
      ["aaa-empty", "no instances"],
      ["checkout", "degraded"],
      ["plain", "ok"],
    ]);
    expect(rows[0]?.className).toContain("bad");
    // The badge says it; no count beside the name.
    expect(rows[0]?.querySelector("[data-testid=instance-count]")).toBeNull();
    expect(rows[0]?.querySelector(".list-problem")?.textContent).toBe("no instances: dns empty.internal:80 found none");
    expect(rows[1]?.querySelector("[data-testid=instance-count]")?.textContent).toBe(" · 3 instances");
    expect(rows[1]?.querySelector(".list-problem")?.textContent).toBe("1 of 3 instances down");
  });
});

describe("combined breakers on the board", () => {
  it("sorts and filters on the combined state, and says how it stands across instances", () => {
    const states = [service("aaa", undefined), checkout, service("zzz", undefined, { breakers: [{ name: "db", state: "half_open" }] })];
    act(() => render(<BreakerBoard states={states} range={{ minutes: 15 }} theme="dark" now={NOW} onReset={() => undefined} />, host));
    const rows = () => (Array.from(host.querySelectorAll("[data-board-breaker]")) as HTMLElement[]).map((r) => r.dataset.boardBreaker);
    // Two of its three instances are closed: the combined breaker is open, worst first.
    expect(rows()).toEqual(["checkout/db", "zzz/db", "aaa/db"]);
    const line = el("[data-board-breaker='checkout/db']");
    expect(line?.querySelector("[data-testid=board-aggregate]")?.textContent).toBe("open on 1 of 3");
    expect(line?.querySelector("[data-testid=board-spread]")?.textContent).toBe("open 1 · closed 2");
    expect(line?.textContent).not.toContain("instances"); // the core's reason is not said twice
    expect(el("[data-board-breaker='aaa/db'] [data-testid=board-aggregate]")).toBeNull();
    expect(el("[data-board-breaker='aaa/db'] [data-testid=board-spread]")).toBeNull();
    act(() => (el("[data-board-filter=open]") as HTMLButtonElement).click());
    expect(rows()).toEqual(["checkout/db"]);
    act(() => (el("[data-board-filter=closed]") as HTMLButtonElement).click());
    expect(rows()).toEqual(["aaa/db"]);
  });
});

/** The detail's Instances section with its open state held as the window holds it. */
function Section({ state }: { state: ServiceState }) {
  const [open, setOpen] = useState(false);
  return <InstancesSection state={state} now={NOW} open={open} onToggle={() => setOpen((o) => !o)} />;
}

const instanceRows = () => (Array.from(host.querySelectorAll("[data-instance]")) as HTMLElement[]).map((r) => r.dataset.instance);

describe("the instances in a service's detail", () => {
  it("are collapsed at first, with the count and the worst state in the header", async () => {
    answers.set("recent_actions", []);
    act(() => render(<Detail state={checkout} range={{ minutes: 15 }} theme="dark" now={NOW} />, host));
    await settle();
    expect(el("[data-testid=detail] [data-testid=instance-count]")?.textContent).toBe(" · 3 instances");
    expect(el("[data-testid=detail] li[data-breaker=db]")?.dataset.aggregate).toBe("open on 1 of 3");
    expect(el("[data-testid=instances]")?.dataset.open).toBe("false");
    expect(text("[data-testid=instances-summary]")).toBe("3 instances · worst: 1 down · 1 with a breaker open · 3 instances listed");
    expect(el("[data-testid=instances-toggle]")?.className).toContain("bad");
    expect(instanceRows()).toEqual([]);
    // A service of one address has no such section.
    act(() => render(<Detail state={service("plain", undefined)} range={{ minutes: 15 }} theme="dark" now={NOW} />, host));
    expect(el("[data-testid=instances]")).toBeNull();
  });

  it("offer one chart line per instance, or the combination, for a service polled at several", async () => {
    answers.set("recent_actions", []);
    act(() => render(<Detail state={checkout} range={{ minutes: 15 }} theme="dark" now={NOW} />, host));
    await settle();
    const choice = () => el("[data-testid=chart-per-instance]");
    expect(choice()?.getAttribute("aria-pressed")).toBe("false");
    expect(choice()?.textContent).toBe("combined");
    act(() => choice()?.click());
    expect(choice()?.getAttribute("aria-pressed")).toBe("true");
    expect(choice()?.textContent).toBe("one line per instance");
    // A service of one address has one line to draw.
    act(() => render(<Detail state={service("plain", undefined)} range={{ minutes: 15 }} theme="dark" now={NOW} />, host));
    expect(choice()).toBeNull();
  });

  it("open on a click: a row per instance in natural order, each with its health, reachability, breakers and values", () => {
    const state = service("orders", [
      replica("10.0.0.10:80", { samples: [{ series: "cache.hit_rate", value: 0.91 }, { series: "queue.depth", value: 3 }] }),
      replica("10.0.0.9:80", { health: "down", reachability: { kind: "timeout", message: "no answer within 2 s" } }),
      replica("10.0.0.2:80", { health: "down", breakers: [["db", "open"]], gone_since: "2026-11-23T09:58:00Z" }),
    ]);
    act(() => render(<Section state={state} />, host));
    act(() => el("[data-testid=instances-toggle]")?.click());
    expect(instanceRows()).toEqual(["10.0.0.2:80", "10.0.0.9:80", "10.0.0.10:80"]);
    const row = (id: string) => host.querySelector(`[data-instance='${id}']`) as HTMLElement;
    expect(row("10.0.0.10:80").textContent).toBe("10.0.0.10:80ok4 msdb closedcache hits 91 % queue 3 ");
    expect(row("10.0.0.9:80").querySelector(".badge")?.className).toBe("badge bad");
    expect(row("10.0.0.9:80").querySelector(".reach")?.textContent).toBe("timeout: no answer within 2 s");
    // Gone is greyed with its age, never down.
    expect(row("10.0.0.2:80").className).toBe("instance-row gone");
    expect(row("10.0.0.2:80").dataset.health).toBe("gone 2 min ago");
    expect(row("10.0.0.2:80").querySelector(".badge")?.className).toBe("badge unknown");
    act(() => el("[data-testid=instances-toggle]")?.click());
    expect(instanceRows()).toEqual([]);
  });

  it("stay readable at 500: a windowed list, a screenful in the DOM", () => {
    const many = service(
      "fleet",
      Array.from({ length: 500 }, (_, i) => replica(`10.0.${Math.floor(i / 250)}.${i % 250}:8080`, { health: i === 321 ? "down" : "ok" })),
    );
    act(() => render(<Section state={many} />, host));
    expect(text("[data-testid=instances-summary]")).toBe("500 instances · worst: 1 down · 500 instances listed");
    act(() => el("[data-testid=instances-toggle]")?.click());
    expect(el("[data-testid=instances-window]")?.dataset.items).toBe("500");
    const shown = instanceRows();
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.length).toBeLessThan(120);
    expect(shown.slice(0, 3)).toEqual(["10.0.0.0:8080", "10.0.0.1:8080", "10.0.0.2:8080"]);
  });

  it("hold their order while the pointer rests on them", () => {
    const before = service("orders", [replica("b:1"), replica("c:1")]);
    const after = service("orders", [replica("a:1"), replica("b:1", { health: "down" }), replica("c:1")]);
    let show: (s: ServiceState) => void = () => undefined;
    function Live() {
      const [state, setState] = useState(before);
      show = setState;
      return <Section state={state} />;
    }
    act(() => render(<Live />, host));
    act(() => el("[data-testid=instances-toggle]")?.click());
    const rows = el(".instance-rows") as HTMLElement;
    act(() => void rows.dispatchEvent(new Event("pointerenter")));
    act(() => show(after));
    // The newcomer sorts first but comes last while held; b:1 shows its fresh state in place.
    expect(instanceRows()).toEqual(["b:1", "c:1", "a:1"]);
    expect(el("[data-instance='b:1']")?.dataset.health).toBe("down");
    act(() => void rows.dispatchEvent(new Event("pointerleave")));
    expect(instanceRows()).toEqual(["a:1", "b:1", "c:1"]);
  });
});

describe("a section opened by key", () => {
  it("scrolls so that what the pointer rests on stays where it was", () => {
    const stop = trackPointer();
    const scroller = document.createElement("main");
    scroller.style.overflowY = "auto";
    const under = document.createElement("div");
    scroller.appendChild(under);
    document.body.appendChild(scroller);
    // jsdom has no layout: the element's top is what the test says, before and after.
    let top = 300;
    under.getBoundingClientRect = () => ({ top }) as DOMRect;
    const elementFromPoint = document.elementFromPoint as typeof document.elementFromPoint | undefined;
    document.elementFromPoint = () => under;
    window.dispatchEvent(Object.assign(new Event("pointermove"), { clientX: 40, clientY: 310 }));
    let frame: (() => void) | null = null;
    keepUnderPointer(
      () => (top = 720), // a section of 420 px opened above it
      (run) => (frame = run),
    );
    expect(scroller.scrollTop).toBe(0);
    (frame as (() => void) | null)?.();
    expect(scroller.scrollTop).toBe(420);
    stop();
    // No pointer on the window: the change alone.
    let changed = false;
    keepUnderPointer(() => (changed = true), () => {
      throw new Error("nothing to keep in place");
    });
    expect(changed).toBe(true);
    if (elementFromPoint) document.elementFromPoint = elementFromPoint;
    scroller.remove();
  });
});

describe("the audit log", () => {
  const row = (id: number, instance?: string): ActionRecord => ({
    id,
    at_ms: NOW - 60_000,
    operator: "ana",
    service: "checkout",
    target: "db",
    action: "reset_breaker",
    reason: "recovered",
    override_checks: false,
    http_status: 200,
    message: "reset",
    verified_state: "closed",
    instance,
  });

  it("has an instance column when a row went to one instance", async () => {
    answers.set("recent_actions", [row(2, "127.0.0.1:4002"), row(1)]);
    act(() => render(<ActionsPanel now={NOW} />, host));
    await settle();
    const headers = Array.from(host.querySelectorAll("th")).map((th) => th.textContent);
    expect(headers).toEqual(["When", "Who", "Action", "Instance", "Reason", "Answer", "Verified"]);
    expect(Array.from(host.querySelectorAll("[data-testid=action-instance]")).map((td) => td.textContent)).toEqual(["127.0.0.1:4002", "—"]);
    act(() => render(null, host));
    answers.set("recent_actions", [row(1)]);
    act(() => render(<ActionsPanel now={NOW} />, host));
    await settle();
    expect(Array.from(host.querySelectorAll("th")).map((th) => th.textContent)).not.toContain("Instance");
  });
});
