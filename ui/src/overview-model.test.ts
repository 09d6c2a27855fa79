import { describe, expect, it } from "vitest";
import type { Observation } from "./bindings/Observation";
import type { ServiceState } from "./bindings/ServiceState";
import {
  applyBatch,
  deriveOverview,
  type Fleet,
  groupingChoices,
  groupOf,
  groupOpen,
  holdGroups,
  inHeldOrder,
  mergeSnapshot,
  naturalCompare,
  sortForList,
  summarize,
  estimateTileHeight,
  TILE_MAX,
  TILE_MIN,
} from "./overview-model";

const NOW = Date.parse("2026-11-23T10:00:05Z");

function observation(partial: Partial<Observation>): Observation {
  return { service: "svc", profile: "health-contract", observed_at: "2026-11-23T10:00:00Z", reachability: { kind: "reachable", latency_ms: 12 }, ...partial };
}

function service(name: string, status: "ok" | "degraded" | "down", tags: string[] = [], extra: Partial<ServiceState> = {}): ServiceState {
  const latest = observation({ health: { status } });
  return { name, profile: "health-contract", base_url: "http://127.0.0.1:1", tags, poll_interval_ms: 2000, latest, last_good: latest, consecutive_failures: 0, ...extra };
}

function fleetOf(...states: ServiceState[]): Fleet {
  return new Map(states.map((s) => [s.name, s]));
}

describe("natural order", () => {
  it("puts svc2 before svc10 and ignores case", () => {
    expect(["svc10", "svc2", "Svc1", "svc20"].sort(naturalCompare)).toEqual(["Svc1", "svc2", "svc10", "svc20"]);
  });
});

describe("the fleet keyed by name", () => {
  it("replaces just the services in a batch, keeping the others' objects", () => {
    const a = service("a", "ok");
    const b = service("b", "ok");
    const fleet = fleetOf(a, b);
    const b2 = service("b", "down");
    const next = applyBatch(fleet, [b2]);
    expect(next.get("a")).toBe(a);
    expect(next.get("b")).toBe(b2);
    expect(fleet.get("b")).toBe(b);
    expect(applyBatch(fleet, [])).toBe(fleet);
  });

  it("keeps a newer state from the channel over an older full read", () => {
    const newer = service("a", "down", [], { latest: observation({ observed_at: "2026-11-23T10:00:04Z", health: { status: "down" } }) });
    const older = service("a", "ok");
    expect(mergeSnapshot(fleetOf(newer), [older, service("b", "ok")]).get("a")).toBe(newer);
    expect(mergeSnapshot(fleetOf(older), [newer]).get("a")).toBe(newer);
  });
});

describe("the summary bar", () => {
  it("counts down, degraded, stale, open breakers and firing alerts", () => {
    const breakers = observation({ health: { status: "ok" }, breakers: [{ name: "x", state: "open" }, { name: "y", state: "forced_open" }, { name: "z", state: "closed" }] });
    const stale = service("old", "ok", [], { latest: observation({ observed_at: "2026-11-23T09:59:00Z", health: { status: "ok" } }) });
    const summary = summarize([service("a", "down"), service("b", "degraded"), service("c", "ok", [], { last_good: breakers }), stale], NOW, 3);
    expect(summary).toEqual({ total: 4, down: 1, degraded: 1, stale: 1, ok: 2, openBreakers: 2, firing: 3 });
  });
});

describe("grouping", () => {
  const fleet = fleetOf(
    service("svc10", "ok", ["team:payments", "prod"]),
    service("svc2", "ok", ["team:payments"]),
    service("svc3", "ok", ["team:search", "env:staging"]),
    service("svc1", "ok", []),
  );

  it("offers none, profile and every tag key", () => {
    expect(groupingChoices(fleet.values())).toEqual(["none", "profile", "tag:env", "tag:tag", "tag:team"]);
  });

  it("puts a service in its tag's value, or in (no key)", () => {
    expect(groupOf(service("a", "ok", ["team:payments"]), "tag:team")).toBe("payments");
    expect(groupOf(service("a", "ok", ["prod"]), "tag:tag")).toBe("prod");
    expect(groupOf(service("a", "ok", []), "tag:team")).toBe("(no team)");
    expect(groupOf(service("a", "ok", []), "profile")).toBe("health-contract");
  });

  it("counts each group and sorts members in natural order", () => {
    const { groups } = deriveOverview(fleet, NOW, new Set(), "", "tag:team");
    expect(groups.map((g) => [g.name, g.services.map((s) => s.name), g.ok])).toEqual([
      ["(no team)", ["svc1"], 1],
      ["payments", ["svc2", "svc10"], 2],
      ["search", ["svc3"], 1],
    ]);
  });

  it("a broken service in a healthy-looking group sorts that group first and opens it", () => {
    const broken = applyBatch(fleet, [service("svc10", "down", ["team:payments", "prod"])]);
    const { groups } = deriveOverview(broken, NOW, new Set(), "", "tag:team");
    const [first, second] = groups;
    if (!first || !second) throw new Error("two groups expected");
    expect(first.name).toBe("payments");
    expect(first.down).toBe(1);
    expect(first.services[0]?.name).toBe("svc10");
    expect(groupOpen(first, new Map())).toBe(true);
    expect(groupOpen(second, new Map())).toBe(false);
    expect(groupOpen(second, new Map([[second.name, true]]))).toBe(true);
  });

  it("an open breaker or a firing alert makes a service rank before a degraded one", () => {
    const withAlert = deriveOverview(fleetOf(service("a", "degraded"), service("b", "ok")), NOW, new Set(["b"]), "", "none");
    expect(withAlert.ordered.map((s) => s.name)).toEqual(["b", "a"]);
  });

  it("filters as before, by name, profile or tag", () => {
    expect(deriveOverview(fleet, NOW, new Set(), "search", "none").ordered.map((s) => s.name)).toEqual(["svc3"]);
  });
});

describe("the compact list's sorts", () => {
  const slow = service("svc2", "ok", [], { latest: observation({ reachability: { kind: "reachable", latency_ms: 900 }, observed_at: "2026-11-23T10:00:03Z", health: { status: "ok" } }) });
  const old = service("svc10", "ok", [], { latest: observation({ observed_at: "2026-11-23T09:59:59.500Z", health: { status: "ok" } }) });
  const down = service("svc1", "down");
  const { ordered, ranks } = deriveOverview(fleetOf(slow, old, down), NOW, new Set(), "", "none");

  it("by state is worst first", () => expect(sortForList(ordered, ranks, "state").map((s) => s.name)).toEqual(["svc1", "svc2", "svc10"]));
  it("by name is natural", () => expect(sortForList(ordered, ranks, "name").map((s) => s.name)).toEqual(["svc1", "svc2", "svc10"]));
  it("by latency is slowest first", () => expect(sortForList(ordered, ranks, "latency")[0]?.name).toBe("svc2"));
  it("by age is oldest first", () => expect(sortForList(ordered, ranks, "age")[0]?.name).toBe("svc10"));
});

describe("the order held under the pointer", () => {
  it("keeps held services where they were, new ones after", () => {
    expect(inHeldOrder([{ name: "c" }, { name: "a" }, { name: "new" }, { name: "b" }], ["a", "b", "c"]).map((s) => s.name)).toEqual(["a", "b", "c", "new"]);
  });

  it("holds group order and membership order while something new breaks", () => {
    const fleet = fleetOf(service("a1", "ok", ["team:a"]), service("b1", "down", ["team:b"]), service("a2", "ok", ["team:a"]));
    const before = deriveOverview(fleet, NOW, new Set(), "", "tag:team");
    const order = before.groups.flatMap((g) => g.services.map((s) => s.name));
    expect(order).toEqual(["b1", "a1", "a2"]);
    const held = { order, groups: new Set(["a", "b"]), open: new Set(["b"]) };
    const after = deriveOverview(applyBatch(fleet, [service("a2", "down", ["team:a"]), service("b1", "ok", ["team:b"])]), NOW, new Set(), "", "tag:team");
    expect(after.groups.map((g) => g.name)).toEqual(["a", "b"]);
    const shown = holdGroups(after.groups, held);
    expect(shown.map((g) => g.name)).toEqual(["b", "a"]);
    expect(shown[1]?.services.map((s) => s.name)).toEqual(["a1", "a2"]);
    // Groups keep the open state they had when the pointer arrived.
    const [groupA] = after.groups;
    if (!groupA) throw new Error("group a expected");
    expect(groupOpen(groupA, new Map(), held)).toBe(false);
    expect(groupOpen(groupA, new Map(), null)).toBe(true);
    expect(holdGroups(after.groups, null).map((g) => g.name)).toEqual(["a", "b"]);
  });
});

describe("tile heights in the windowed overview", () => {
  it("grows with what the tile shows, within bounds", () => {
    const plain = service("a", "ok");
    const breakers = Array.from({ length: 30 }, (_, i) => ({ name: `cb${i}`, state: "closed" as const }));
    const busy = service("b", "ok", [], { last_good: observation({ health: { status: "ok" }, breakers }) });
    expect(estimateTileHeight(plain, false)).toBe(TILE_MIN);
    expect(estimateTileHeight(plain, true)).toBeGreaterThanOrEqual(estimateTileHeight(plain, false));
    expect(estimateTileHeight(busy, true)).toBe(TILE_MAX);
  });

  it("makes room for a replicated service's summary line and its wider breaker chips", () => {
    const three = observation({ health: { status: "degraded" }, breakers: [0, 1, 2].map((i) => ({ name: `cb${i}`, state: "closed" as const })) });
    const single = service("a", "ok", [], { last_good: three, latest: three });
    const instances = [{ id: "a:1", base_url: "http://a:1", health: "down" as const }];
    const replicated = { ...single, replicas: { discovery: "1 instance listed", instances, summary: "1 of 1 instances down" } };
    // One row of chips, then two; and the summary's line.
    expect(estimateTileHeight(replicated, false) - estimateTileHeight(single, false)).toBe(26 + 20);
  });
});
