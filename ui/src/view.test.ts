import { describe, expect, it } from "vitest";
import type { Observation } from "./bindings/Observation";
import type { ServiceState } from "./bindings/ServiceState";
import type { StreamStatus } from "./bindings/StreamStatus";
import type { Breaker } from "./bindings/Breaker";
import { boardRows, breakerCounts, breakerMatches, breakerTone, chartedSeries, customRange, engineProblems, filterServices, formatAge, formatLatency, formatRatio, headlines, resolutionNote, isStale, statusView, streamView } from "./view";
import { deriveOverview } from "./overview-model";

/** The overview's order (worst first, then natural name order), as the window derives it. */
function sortWorstFirst(states: ServiceState[], nowMs: number): ServiceState[] {
  return deriveOverview(new Map(states.map((s) => [s.name, s])), nowMs, new Set(), "", "none").ordered;
}

function observation(partial: Partial<Observation>): Observation {
  return {
    service: "svc",
    profile: "health-contract",
    observed_at: "2026-11-23T10:00:00Z",
    reachability: { kind: "reachable", latency_ms: 12 },
    ...partial,
  };
}

function service(name: string, latest?: Observation, lastGood?: Observation): ServiceState {
  return {
    name,
    profile: "health-contract",
    base_url: "http://127.0.0.1:1",
    tags: [],
    poll_interval_ms: 2000,
    latest,
    last_good: lastGood,
    consecutive_failures: 0,
  };
}

const down = observation({ health: { status: "down" } });
const ok = observation({ health: { status: "ok" } });
const refused = observation({ reachability: { kind: "refused", message: "connection refused by 127.0.0.1:1" } });

describe("statusView", () => {
  it("says waiting before the first poll", () => {
    expect(statusView(service("a"))).toEqual({ word: "waiting", tone: "unknown", stale: false });
  });

  it("shows the service's own health when it answered", () => {
    expect(statusView(service("a", down))).toMatchObject({ word: "down", tone: "bad" });
    expect(statusView(service("a", ok))).toMatchObject({ word: "ok", tone: "ok" });
  });

  it("shows why a service could not be read, and that older values are stale", () => {
    const view = statusView(service("a", refused, ok));
    expect(view.word).toBe("refused");
    expect(view.message).toContain("connection refused");
    expect(view.stale).toBe(true);
  });

  it("words multi-part kinds with a space", () => {
    const tooLarge = observation({ reachability: { kind: "too_large", message: "big" } });
    expect(statusView(service("a", tooLarge)).word).toBe("too large");
  });
});

describe("formatting", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");
  it("gives ages in the largest sensible unit", () => {
    expect(formatAge("2026-11-23T09:59:56Z", now)).toBe("4 s ago");
    expect(formatAge("2026-11-23T09:57:00Z", now)).toBe("3 min ago");
    expect(formatAge("2026-11-23T07:00:00Z", now)).toBe("3 h ago");
    expect(formatAge(undefined, now)).toBe("never");
  });

  it("gives latency in ms below a second", () => {
    expect(formatLatency(12.4)).toBe("12 ms");
    expect(formatLatency(1520)).toBe("1.5 s");
    expect(formatLatency(undefined)).toBe("—");
  });

  it("marks values stale after three poll intervals", () => {
    const state = service("a", ok);
    expect(isStale(state, now + 5999)).toBe(false);
    expect(isStale(state, now + 6001)).toBe(true);
  });
});

describe("lists", () => {
  it("sorts worst first, then by name", () => {
    const now = Date.parse("2026-11-23T10:00:01Z");
    const sorted = sortWorstFirst([service("b", ok), service("c", down), service("a", ok), service("d", refused)], now);
    expect(sorted.map((s) => s.name)).toEqual(["c", "d", "a", "b"]);
  });

  it("ranks an open breaker above degraded, and degraded above stale", () => {
    const now = Date.parse("2026-11-23T10:00:01Z");
    const openBreaker = observation({ health: { status: "ok" }, breakers: [{ name: "x", state: "open" }] });
    const degraded = observation({ health: { status: "degraded" } });
    const old = { ...service("stale", ok), poll_interval_ms: 100 };
    const states = [service("fine", ok), old, service("degraded", degraded), service("breaker", openBreaker, openBreaker), service("down", down)];
    expect(sortWorstFirst(states, now).map((s) => s.name)).toEqual(["down", "breaker", "degraded", "stale", "fine"]);
  });
});

describe("breakers and headlines", () => {
  it("colours breaker states", () => {
    expect(breakerTone("open")).toBe("bad");
    expect(breakerTone("half_open")).toBe("warn");
    expect(breakerTone("closed")).toBe("ok");
    expect(breakerTone("something new")).toBe("unknown");
  });

  it("formats ratios as percentages", () => {
    expect(formatRatio(0.125)).toBe("13 %");
    expect(formatRatio(0.05)).toBe("5.0 %");
    expect(formatRatio(0)).toBe("0 %");
    expect(formatRatio(undefined)).toBe("");
  });

  it("picks cache, queue and score figures, flagging the bad ones", () => {
    const samples = [
      { series: "cache.hit_rate", value: 0.42 },
      { series: "queue.depth", value: 900 },
      { series: "queue.capacity", value: 1000 },
      { series: "health.score", value: 87 },
    ];
    const state = service("a", observation({ samples }), observation({ samples }));
    expect(headlines(state)).toEqual([
      { label: "cache hits", value: "42 %", tone: "warn" },
      { label: "queue", value: "900 / 1000", tone: "bad" },
      { label: "health score", value: "87", tone: "ok" },
    ]);
  });
});

describe("streams", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");
  const base: StreamStatus = {
    path: "/api/ws/breakers",
    state: "live",
    since: "2026-11-23T09:59:00Z",
    messages_per_second: 12,
    received: 100,
    invalid: 0,
    unknown: 0,
    oversized: 0,
    dropped: 0,
    server_errors: 0,
    connection_attempts: 1,
  };

  it("shows a live stream's rate and what it had to count", () => {
    expect(streamView(base, now)).toEqual({ label: "live", value: "12 msg/s", tone: "ok" });
    expect(streamView({ ...base, invalid: 2, oversized: 1 }, now).value).toBe("12 msg/s · 3 bad");
  });

  it("says when a refused or broken stream retries", () => {
    const full = { ...base, state: "channel_full" as const, retry_at: "2026-11-23T10:00:14Z", last_error: "channel full: Channel full" };
    expect(streamView(full, now)).toEqual({ label: "channel full", value: "retry in 14 s · channel full: Channel full", tone: "bad" });
    expect(streamView({ ...base, state: "backing_off", retry_at: "2026-11-23T10:00:02Z" }, now).value).toBe("retry in 2 s");
  });

  it("flags flooding with the dropped count", () => {
    expect(streamView({ ...base, state: "flooding", messages_per_second: 5000, dropped: 4500 }, now)).toEqual({
      label: "flooding",
      value: "5000 msg/s · 4500 dropped",
      tone: "warn",
    });
  });
});

describe("dashboard lists", () => {
  const breaker = (name: string, state: Breaker["state"], failure_rate?: number): Breaker => ({ name, state, failure_rate });
  const withBreakers = (name: string, breakers: Breaker[]) => service(name, observation({ breakers }), observation({ breakers }));

  it("filters by name, profile and tag", () => {
    const a = { ...service("orders"), tags: ["payments"] };
    const b = service("wallet");
    expect(filterServices([a, b], "PAY").map((s) => s.name)).toEqual(["orders"]);
    expect(filterServices([a, b], "wal").map((s) => s.name)).toEqual(["wallet"]);
    expect(filterServices([a, b], "  ")).toHaveLength(2);
  });

  it("sorts the breaker board by state, failure rate or name", () => {
    const states = [
      withBreakers("a", [breaker("x", "closed", 0.01), breaker("y", "open", 0.5)]),
      withBreakers("b", [breaker("z", "half_open", 0.9)]),
    ];
    expect(boardRows(states, "state").map((r) => r.breaker.name)).toEqual(["y", "z", "x"]);
    expect(boardRows(states, "failure_rate").map((r) => r.breaker.name)).toEqual(["z", "y", "x"]);
    expect(boardRows(states, "name").map((r) => `${r.service}/${r.breaker.name}`)).toEqual(["a/x", "a/y", "b/z"]);
  });

  it("charts the telling series first and skips the reference ones", () => {
    const samples = ["metrics.zeta", "queue.capacity", "queue.depth", "cache.hit_rate", "metrics.alpha"].map((series) => ({ series, value: 1 }));
    const state = service("a", observation({ samples }), observation({ samples }));
    expect(chartedSeries(state)).toEqual(["cache.hit_rate", "queue.depth", "metrics.alpha", "metrics.zeta"]);
  });
});

describe("tiles", () => {
  it("counts breakers by state, worst first", () => {
    const breakers: Breaker[] = [
      { name: "a", state: "closed" },
      { name: "b", state: "open" },
      { name: "c", state: "closed" },
      { name: "d", state: "half_open" },
    ];
    const state = service("s", observation({ breakers }), observation({ breakers }));
    expect(breakerCounts(state)).toEqual([
      { state: "open", count: 1, tone: "bad" },
      { state: "half_open", count: 1, tone: "warn" },
      { state: "closed", count: 2, tone: "ok" },
    ]);
  });
});

describe("custom range", () => {
  it("turns two local times into minutes before an end", () => {
    const range = customRange("2026-11-23T10:00", "2026-11-23T12:30");
    expect(range).toEqual({ minutes: 150, untilMs: Date.parse("2026-11-23T12:30") });
  });

  it("says what is wrong with a bad pair", () => {
    expect(customRange("2026-11-23T12:00", "2026-11-23T11:00")).toBe("the end must come after the start");
    expect(customRange("", "2026-11-23T11:00")).toBe("pick both a start and an end");
  });
});

describe("chart notes", () => {
  it("say whether a chart shows raw samples or roll-ups with their band", () => {
    expect(resolutionNote("raw", 1432)).toBe("raw samples · 1,432 points");
    expect(resolutionNote("minute", 1440)).toBe("1-minute roll-ups: mean, min–max band · 1,440 points");
    expect(resolutionNote("engine prod · warning: store b down", 1001)).toBe("from engine prod · warning: store b down · 1,001 points");
    expect(resolutionNote("hour", 1)).toBe("1-hour roll-ups: mean, min–max band · 1 point");
  });
});

describe("the breaker board's filters", () => {
  it("open takes forced open too; other takes what is neither open, half open nor closed", () => {
    expect(breakerMatches("forced_open", "open")).toBe(true);
    expect(breakerMatches("half_open", "open")).toBe(false);
    expect(breakerMatches("half_open", "half_open")).toBe(true);
    expect(breakerMatches("disabled", "other")).toBe(true);
    expect(breakerMatches("closed", "other")).toBe(false);
    expect(breakerMatches("closed", "all")).toBe(true);
  });

  it("sorts names naturally: svc2 before svc10, cb2 before cb10", () => {
    const breakers = observation({ breakers: [{ name: "cb10", state: "closed" }, { name: "cb2", state: "closed" }] });
    const states = [service("svc10", breakers, breakers), service("svc2", breakers, breakers)];
    expect(boardRows(states, "name").map((r) => `${r.service}/${r.breaker.name}`)).toEqual(["svc2/cb2", "svc2/cb10", "svc10/cb2", "svc10/cb10"]);
  });
});

describe("services read from a team's engine", () => {
  const fromEngine = (name: string, stale?: string): ServiceState => ({
    ...service(name, ok, ok),
    profile: "engine",
    engine: {
      engine: "prod",
      instances: [{ name: "10.0.0.5:8080", health: "ok" }],
      summary: "1 of 2 instances down",
      stale: stale === undefined ? undefined : { reason: stale, since: "2026-11-23T10:00:05Z" },
    },
  });

  it("say how many instances are down, and why their values are stale, without calling them down", () => {
    const fresh = statusView(fromEngine("orders"));
    expect(fresh).toMatchObject({ word: "ok", tone: "ok", message: "1 of 2 instances down" });
    const gone = fromEngine("orders", "engine prod: connection refused by 127.0.0.1:9090/api/v1/query");
    expect(statusView(gone)).toMatchObject({ word: "ok", message: "engine prod: connection refused by 127.0.0.1:9090/api/v1/query" });
    expect(isStale(gone, Date.parse("2026-11-23T10:00:01Z"))).toBe(true);
  });

  it("put one banner per engine that cannot be read", () => {
    const reason = "engine prod: timed out";
    const states = [fromEngine("a", reason), fromEngine("b", reason), fromEngine("c", "no longer reported by engine prod"), fromEngine("d")];
    expect(engineProblems(states)).toEqual([reason]);
  });
});
