// @vitest-environment jsdom
import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceState } from "./bindings/ServiceState";
import { Overview } from "./overview";
import { applyBatch, deriveOverview, type Fleet, type GroupBy } from "./overview-model";
import type { Layout } from "./overview";

const NOW = Date.parse("2026-11-23T10:00:01Z");

function service(i: number, status: "ok" | "down" = "ok"): ServiceState {
  const latest = { service: `svc${i}`, profile: "health-contract", observed_at: "2026-11-23T10:00:00Z", reachability: { kind: "reachable" as const, latency_ms: 5 }, health: { status } };
  return { name: `svc${i}`, profile: "health-contract", base_url: `http://127.0.0.1:${i}`, tags: [`team:t${i % 10}`], poll_interval_ms: 1000, latest, last_good: latest, consecutive_failures: 0 };
}

function fleetOf(count: number): Fleet {
  return new Map(Array.from({ length: count }, (_, i) => [`svc${i}`, service(i)]));
}

const host = document.createElement("div");
document.body.appendChild(host);
afterEach(() => render(null, host));

function show(fleet: Fleet, groupBy: GroupBy = "none", layout: Layout = "tiles", onShown?: (names: readonly string[]) => void) {
  act(() => {
    render(
      <Overview
        data={deriveOverview(fleet, NOW, new Set(), "", groupBy)}
        groupBy={groupBy}
        layout={layout}
        listSort="state"
        onListSort={() => undefined}
        now={NOW}
        sparklines={new Map()}
        onSelect={() => undefined}
        onReset={() => undefined}
        onShown={onShown}
      />,
      host,
    );
  });
}

const tiles = () => Array.from(host.querySelectorAll("article[data-service]")).map((a) => (a as HTMLElement).dataset.service);

describe("the overview at 5,000 services", () => {
  it("puts just a screenful of tiles in the DOM, in natural order", () => {
    show(fleetOf(5000));
    const shown = tiles();
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(60);
    expect(shown.slice(0, 3)).toEqual(["svc0", "svc1", "svc2"]);
  });

  it("tells which services' tiles are in the page, so only their sparklines are drawn", () => {
    let shown: readonly string[] = [];
    show(fleetOf(5000), "none", "tiles", (names) => (shown = names));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toEqual(tiles());
    show(fleetOf(12), "none", "tiles", (names) => (shown = names));
    expect(shown.length).toBe(12);
  });

  it("puts just a screenful of rows in the compact list", () => {
    show(fleetOf(5000), "none", "list");
    const rows = host.querySelectorAll("[data-list-service]");
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(120);
  });

  it("collapses healthy groups and opens and raises the one with a broken service", () => {
    const fleet = applyBatch(fleetOf(60), [service(57, "down")]);
    show(fleet, "tag:team");
    const groups = Array.from(host.querySelectorAll("[data-group]")) as HTMLElement[];
    expect(groups.length).toBe(10);
    expect(groups[0]?.dataset.group).toBe("t7");
    expect(groups[0]?.dataset.open).toBe("true");
    expect(groups[0]?.textContent).toContain("6 services");
    expect(groups[0]?.textContent).toContain("1 down");
    expect(groups.slice(1).every((g) => g.dataset.open === "false")).toBe(true);
    expect(tiles()).toEqual(["svc57", "svc7", "svc17", "svc27", "svc37", "svc47"]);
  });

  it("holds the order while the pointer is on it, and applies it when it leaves", () => {
    const fleet = fleetOf(100);
    show(fleet);
    const scroller = host.querySelector("[data-testid=overview-window]") as HTMLElement;
    act(() => {
      scroller.dispatchEvent(new Event("pointerenter"));
    });
    show(applyBatch(fleet, [service(50, "down")]));
    expect(tiles()[0]).toBe("svc0");
    act(() => {
      scroller.dispatchEvent(new Event("pointerleave"));
    });
    expect(tiles()[0]).toBe("svc50");
  });
});
