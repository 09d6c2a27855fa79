import { describe, expect, it } from "vitest";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import { actionTarget, auditCsv, canConfirm, outcomeText } from "./actions-view";

const base: ActionOutcome = {
  request: { service: "s", kind: "reset_breaker", target: "x", reason: "r", override_checks: false },
  operator: "ana",
  started_at: "2026-11-23T10:00:00Z",
  finished_at: "2026-11-23T10:00:01Z",
  status: "done",
  message: "200: reset",
  duration_ms: 12,
  override_available: false,
};

describe("action results", () => {
  it("leads with the verification", () => {
    expect(outcomeText({ ...base, verification: { kind: "verified", state: "closed", after_ms: 600 } })).toEqual({ text: "verified: closed after 0.6 s", tone: "ok" });
    expect(outcomeText({ ...base, verification: { kind: "not_verified", state: "open", after_ms: 10000, message: "still open after 10 s" } }).tone).toBe("bad");
  });

  it("says when the outcome is unknown rather than guessing", () => {
    expect(outcomeText({ ...base, status: "unknown", message: "no answer within 5s" })).toEqual({ text: "outcome unknown: no answer within 5s", tone: "bad" });
  });

  it("confirms only with a reason and nothing in flight", () => {
    expect(canConfirm("  ", false)).toBe(false);
    expect(canConfirm("draining the queue", false)).toBe(true);
    expect(canConfirm("draining the queue", true)).toBe(false);
  });
});

describe("action targets", () => {
  it("takes the typed pattern for an invalidation, and nothing until one is typed", () => {
    expect(actionTarget("invalidate_cache_pattern", undefined, "  market_data:*  ")).toBe("market_data:*");
    expect(actionTarget("invalidate_cache_pattern", undefined, "   ")).toBeUndefined();
    expect(actionTarget("invalidate_cache_pattern", "exchange_api", "")).toBeUndefined();
  });
  it("takes the breaker for breaker actions, and none for a whole-cache clear", () => {
    expect(actionTarget("reset_breaker", "exchange_api", "ignored")).toBe("exchange_api");
    expect(actionTarget("clear_cache", undefined, "")).toBeUndefined();
  });
});

describe("audit export", () => {
  it("quotes what needs quoting", () => {
    const csv = auditCsv([
      { id: 1, at_ms: Date.parse("2026-11-23T10:00:00Z"), operator: "ana", service: "orders", target: "x", action: "reset_breaker", reason: 'said "now", please', override_checks: false, http_status: 200, message: "ok", duration_ms: 12 },
    ]);
    expect(csv.split("\n")[1]).toBe('2026-11-23T10:00:00.000Z,ana,orders,x,reset_breaker,"said ""now"", please",false,200,ok,12,');
  });

  it("has an instance column, after the service, when a row went to one instance", () => {
    const row = { id: 1, at_ms: Date.parse("2026-11-23T10:00:00Z"), operator: "ana", service: "checkout", target: "db", action: "reset_breaker", reason: "r", override_checks: false, http_status: 200, message: "ok", duration_ms: 12, verified_state: "closed" };
    const csv = auditCsv([{ ...row, instance: "127.0.0.1:4002" }, row]).split("\n");
    expect(csv[0]).toBe("time,operator,service,instance,target,action,reason,override,http_status,message,duration_ms,verified_state");
    expect(csv[1]).toBe("2026-11-23T10:00:00.000Z,ana,checkout,127.0.0.1:4002,db,reset_breaker,r,false,200,ok,12,closed");
    expect(csv[2]).toBe("2026-11-23T10:00:00.000Z,ana,checkout,,db,reset_breaker,r,false,200,ok,12,closed");
    expect(auditCsv([row]).split("\n")[0]).not.toContain("instance");
  });
});
