// @vitest-environment jsdom
import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import type { Breaker } from "./bindings/Breaker";
import type { ServiceState } from "./bindings/ServiceState";
import { BreakerBoard } from "./breakers";

function service(i: number): ServiceState {
  const breakers: Breaker[] = Array.from({ length: 8 }, (_, b) => ({ name: `cb${b}`, state: i === 733 && b === 5 ? "open" : "closed" }));
  const latest = { service: `svc${i}`, profile: "breaker-registry", observed_at: "2026-11-23T10:00:00Z", reachability: { kind: "reachable" as const, latency_ms: 5 }, health: { status: "ok" as const }, breakers };
  return { name: `svc${i}`, profile: "breaker-registry", base_url: `http://127.0.0.1:${i}`, tags: [`team:t${i % 10}`], poll_interval_ms: 1000, latest, last_good: latest, consecutive_failures: 0 };
}

// jsdom has no layout: the state timeline's chart waits for a width that never comes.
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

describe("the breaker board at 8,000 breakers", () => {
  it("puts a screenful of rows in the DOM, worst first, and filters by state and group", () => {
    const host = document.createElement("div");
    document.body.appendChild(host);
    const states = Array.from({ length: 1000 }, (_, i) => service(i));
    act(() => {
      render(<BreakerBoard states={states} range={{ minutes: 15 }} theme="dark" now={Date.parse("2026-11-23T10:00:01Z")} onReset={() => undefined} />, host);
    });
    const rows = () => Array.from(host.querySelectorAll("[data-board-breaker]")).map((r) => (r as HTMLElement).dataset.boardBreaker);
    expect(rows().length).toBeLessThan(60);
    expect(rows()[0]).toBe("svc733/cb5");
    expect(host.querySelector("[data-testid=board-count]")?.textContent).toBe("8000 of 8000 breakers");
    act(() => (host.querySelector("[data-board-filter=open]") as HTMLButtonElement).click());
    expect(rows()).toEqual(["svc733/cb5"]);
    act(() => (host.querySelector("[data-board-filter=all]") as HTMLButtonElement).click());
    const select = host.querySelector("[data-testid=board-group]") as HTMLSelectElement;
    act(() => {
      select.value = "tag:team=t3";
      select.dispatchEvent(new Event("change"));
    });
    expect(host.querySelector("[data-testid=board-count]")?.textContent).toBe("800 of 8000 breakers");
    expect(rows().slice(0, 2)).toEqual(["svc733/cb5", "svc3/cb0"]);
    render(null, host);
  });
});
