// The rules by which a service of several instances reads: counted, combined breakers
// spread over their instances, instance rows (gone never down), held order, and the
// action dialog's per-instance plan and outcomes. Pure functions, fixtures as the core sends them.
import { describe, expect, it } from "vitest";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ActionPlan } from "./bindings/ActionPlan";
import type { ActionRequest } from "./bindings/ActionRequest";
import type { Observation } from "./bindings/Observation";
import type { Replica } from "./bindings/Replica";
import type { Replicas } from "./bindings/Replicas";
import type { ServiceState } from "./bindings/ServiceState";
import {
  breakerSpread,
  holdInstances,
  instanceCountLabel,
  instanceOutcomes,
  instanceRow,
  instancesHeader,
  plannedInstances,
  serviceInstances,
} from "./instances-view";
import { deriveOverview, summarize } from "./overview-model";
import { statusView } from "./view";

const NOW = Date.parse("2026-11-23T10:00:00Z");

function replica(id: string, extra: Partial<Replica> = {}): Replica {
  return { id, base_url: `http://${id}`, health: "ok", reachability: { kind: "reachable", latency_ms: 4 }, breakers: [["db", "closed"]], ...extra };
}

function replicated(instances: Replica[], extra: Partial<Replicas> = {}, observation: Partial<Observation> = {}): ServiceState {
  const latest: Observation = {
    service: "checkout",
    profile: "breaker-registry",
    observed_at: "2026-11-23T09:59:59Z",
    reachability: { kind: "reachable", latency_ms: 9 },
    health: { status: "ok" },
    breakers: [{ name: "db", state: "closed" }],
    ...observation,
  };
  return {
    name: "checkout",
    profile: "breaker-registry",
    base_url: "http://checkout.internal:8080",
    tags: [],
    poll_interval_ms: 2000,
    latest,
    last_good: latest.reachability.kind === "reachable" ? latest : undefined,
    consecutive_failures: 0,
    replicas: { discovery: "3 instances listed", instances, ...extra },
  };
}

/** The demo's replicated service: one of three replicas has its breaker open. */
const divergent = replicated(
  [replica("127.0.0.1:4010"), replica("127.0.0.1:4002", { breakers: [["db", "open"]] }), replica("127.0.0.1:4003")],
  {},
  { breakers: [{ name: "db", state: "open", reason: "open on 1 of 3 instances" }] },
);

describe("a service's instances", () => {
  it("lists replicas in natural order, and an engine's instances alike", () => {
    expect(serviceInstances(divergent).map((i) => i.id)).toEqual(["127.0.0.1:4002", "127.0.0.1:4003", "127.0.0.1:4010"]);
    const engine: ServiceState = {
      ...divergent,
      replicas: undefined,
      engine: { engine: "prom", instances: [{ name: "web-10", health: "ok", breakers: [["db", "open"]] }, { name: "web-2", health: "down" }] },
    };
    expect(serviceInstances(engine)).toEqual([
      { id: "web-2", health: "down", breakers: [], samples: [] },
      { id: "web-10", health: "ok", breakers: [["db", "open"]], samples: [] },
    ]);
    expect(instanceCountLabel(engine)).toBe("2 instances");
    expect(breakerSpread(engine, "db", "open")?.text).toBe("open 1 · unseen 1");
    // One address, or an engine's service of one instance: nothing to count.
    expect(instanceCountLabel({ ...divergent, replicas: undefined })).toBeUndefined();
    expect(instanceCountLabel({ ...engine, engine: { engine: "prom", instances: [{ name: "web-1", health: "ok" }] } })).toBeUndefined();
  });

  it("counts the present ones, and says how many are gone", () => {
    expect(instanceCountLabel(divergent)).toBe("3 instances");
    const oneGone = replicated([replica("a:1"), replica("b:1", { gone_since: "2026-11-23T09:58:00Z" })]);
    expect(instanceCountLabel(oneGone)).toBe("1 instance · 1 gone");
    expect(instanceCountLabel(replicated([]))).toBe("no instances");
  });
});

describe("a service of several instances on its tile", () => {
  it("says how many are down in its message line", () => {
    const state = replicated([replica("a:1"), replica("b:1", { health: "down" }), replica("c:1")], { summary: "1 of 3 instances down" }, { health: { status: "degraded" } });
    expect(statusView(state)).toMatchObject({ word: "degraded", tone: "warn", message: "1 of 3 instances down" });
  });

  it("shows why discovery failed beside the instances it kept", () => {
    const state = replicated([replica("a:1")], { discovery_error: "dns checkout.internal: no record found" });
    expect(statusView(state)).toMatchObject({ word: "ok", message: "dns checkout.internal: no record found" });
  });

  it("never reads 'no instances' as healthy, and the overview counts it as a problem", () => {
    const none = replicated([], { summary: "no instances" }, { reachability: { kind: "dns", message: "no instances: 3 instances listed found none" }, health: undefined });
    const view = statusView(none);
    expect(view).toMatchObject({ word: "no instances", tone: "bad", message: "no instances: 3 instances listed found none" });
    // Even a combination that reads reachable and ok, with every instance gone.
    const allGone = replicated([replica("a:1", { gone_since: "2026-11-23T09:58:00Z" })], { summary: "no instances" });
    expect(statusView(allGone)).toMatchObject({ word: "no instances", tone: "bad" });
    const healthy = { ...replicated([replica("a:1")]), name: "aaa" };
    const fleet = new Map([healthy, { ...allGone, name: "zzz" }].map((s) => [s.name, s]));
    expect(deriveOverview(fleet, NOW, new Set(), "", "none").ordered.map((s) => s.name)).toEqual(["zzz", "aaa"]);
    expect(summarize(fleet.values(), NOW, 0)).toMatchObject({ total: 2, down: 1, ok: 1 });
  });

  it("is only waiting before discovery first answers", () => {
    expect(statusView({ ...replicated([]), latest: undefined, last_good: undefined })).toMatchObject({ word: "waiting", tone: "unknown" });
  });
});

describe("a combined breaker", () => {
  it("says on how many instances it is in its state, and how the others stand", () => {
    expect(breakerSpread(divergent, "db", "open")).toEqual({
      aggregate: "open on 1 of 3",
      counts: [
        { state: "open", count: 1, tone: "bad" },
        { state: "closed", count: 2, tone: "ok" },
      ],
      text: "open 1 · closed 2",
    });
    const closed = replicated([replica("a:1"), replica("b:1"), replica("c:1")]);
    expect(breakerSpread(closed, "db", "closed")?.aggregate).toBe("closed on 3 of 3");
  });

  it("leaves gone instances out, and counts those that do not report it as unseen", () => {
    const state = replicated([
      replica("a:1", { breakers: [["db", "half_open"]] }),
      replica("b:1", { breakers: undefined, health: "unknown", reachability: undefined }),
      replica("c:1", { breakers: [["db", "open"]], gone_since: "2026-11-23T09:58:00Z" }),
    ]);
    expect(breakerSpread(state, "db", "half_open")).toMatchObject({ aggregate: "half open on 1 of 2", text: "half open 1 · unseen 1" });
  });

  it("has no spread on a service of one address", () => {
    expect(breakerSpread({ ...divergent, replicas: undefined }, "db", "open")).toBeUndefined();
  });
});

describe("the Instances section", () => {
  it("heads with the count, the worst state, the gone and where they come from", () => {
    const state = replicated(
      [replica("a:1"), replica("b:1", { health: "down" }), replica("c:1", { health: "degraded" }), replica("d:1", { health: "down", gone_since: "2026-11-23T09:58:00Z" })],
      { discovery: "dns checkout.internal:8080" },
    );
    expect(instancesHeader(state)).toEqual({ count: 3, worst: "down", tone: "bad", text: "3 instances · worst: 1 down · 1 gone · dns checkout.internal:8080" });
    expect(instancesHeader(replicated([replica("a:1", { breakers: [["db", "open"]] })]))).toMatchObject({ tone: "ok", text: "1 instance · all ok · 1 with a breaker open · 3 instances listed" });
    expect(instancesHeader(replicated([]))).toMatchObject({ count: 0, tone: "bad", text: "none · 3 instances listed" });
  });

  it("reads each instance: health, latency or why not, breakers, values; gone is grey, never down", () => {
    const up = instanceRow(
      {
        id: "a:1",
        health: "ok",
        reachability: { kind: "reachable", latency_ms: 12.4 },
        breakers: [["db", "open"]],
        samples: [
          { series: "cache.hit_rate", value: 0.82 },
          { series: "queue.depth", value: 7 },
          { series: "queue.capacity", value: 100 },
        ],
      },
      NOW,
    );
    expect(up).toEqual({
      id: "a:1",
      word: "ok",
      tone: "ok",
      gone: false,
      reach: "12 ms",
      reachTone: "ok",
      breakers: [{ name: "db", state: "open", tone: "bad" }],
      figures: [
        { label: "cache hits", value: "82 %" },
        { label: "queue", value: "7 / 100" },
      ],
    });
    const refused = instanceRow({ id: "b:1", health: "down", reachability: { kind: "refused", message: "connection refused" }, breakers: [], samples: [] }, NOW);
    expect(refused).toMatchObject({ word: "down", tone: "bad", reach: "refused: connection refused", reachTone: "bad" });
    const gone = instanceRow({ id: "c:1", health: "down", breakers: [["db", "open"]], samples: [], goneSince: "2026-11-23T09:58:00Z" }, NOW);
    expect(gone).toMatchObject({ word: "gone 2 min ago", tone: "unknown", gone: true, breakers: [{ name: "db", state: "open", tone: "unknown" }] });
  });

  it("holds the rows' order while the pointer rests on them", () => {
    const row = (id: string, word = "ok") => instanceRow({ id, health: word as "ok", breakers: [], samples: [] }, NOW);
    const held = [row("a:1"), row("b:1"), row("c:1")];
    // b:1 dropped, a new a:0 sorts first, a:1 went down: a:1 and c:1 stay where they were.
    const fresh = [row("a:0"), row("a:1", "down"), row("c:1")];
    const shown = holdInstances(fresh, held);
    expect(shown.map((r) => `${r.id} ${r.word}`)).toEqual(["a:1 down", "b:1 ok", "c:1 ok", "a:0 ok"]);
    expect(holdInstances(fresh, null).map((r) => r.id)).toEqual(["a:0", "a:1", "c:1"]);
  });
});

describe("an action on several instances", () => {
  const request: ActionRequest = { service: "checkout", kind: "reset_breaker", target: "db", reason: "preview", override_checks: false };
  const one = (instance: string): ActionPlan => ({
    request: { ...request, instance },
    profile: "breaker-registry",
    method: "POST",
    place: instance,
    path: "/api/circuit-breakers/db/reset",
    effect: "resets db",
    description: `POST ${instance}/api/circuit-breakers/db/reset`,
  });
  const batch: ActionPlan = { ...one("x"), request, place: "2 of 3 instances", description: "POST /api/circuit-breakers/db/reset to 2 of 3 instances: …", instances: [one("127.0.0.1:4002"), one("127.0.0.1:4003")] };

  it("lists the instances it goes to, each with its breaker's state now", () => {
    const state = replicated([replica("127.0.0.1:4002", { breakers: [["db", "open"]] }), replica("127.0.0.1:4003", { breakers: [["db", "half_open"]] }), replica("127.0.0.1:4010")]);
    expect(plannedInstances(batch, state)).toEqual({
      intro: "Sends 1 request to each of 2 of 3 instances:",
      rows: [
        { id: "127.0.0.1:4002", state: "open", tone: "bad" },
        { id: "127.0.0.1:4003", state: "half_open", tone: "warn" },
      ],
    });
    const single = { ...batch, place: "1 of 3 instances", instances: [one("127.0.0.1:4002")] };
    expect(plannedInstances(single, undefined)?.intro).toBe("Sends 1 request to 1 of 3 instances:");
    expect(plannedInstances(one("127.0.0.1:4002"), state)).toBeUndefined();
  });

  it("words each instance's own outcome", () => {
    const base = { operator: "ana", started_at: "2026-11-23T10:00:00Z", finished_at: "2026-11-23T10:00:01Z", message: "reset", duration_ms: 30, override_available: false };
    const combined: ActionOutcome = {
      ...base,
      request,
      status: "partial",
      message: "1 of 2 closed; 127.0.0.1:4003 not verified: db is still open",
      instances: [
        { ...base, request: { ...request, instance: "127.0.0.1:4002" }, status: "done", http_status: 200, verification: { kind: "verified", state: "closed", after_ms: 600 } },
        { ...base, request: { ...request, instance: "127.0.0.1:4003" }, status: "done", http_status: 200, verification: { kind: "not_verified", state: "open", after_ms: 10000, message: "db is still open" } },
      ],
    };
    expect(instanceOutcomes(combined)).toEqual([
      { id: "127.0.0.1:4002", status: "done", http: 200, text: "verified: closed after 0.6 s", tone: "ok" },
      { id: "127.0.0.1:4003", status: "done", http: 200, text: "not verified: db is still open", tone: "bad" },
    ]);
  });
});
