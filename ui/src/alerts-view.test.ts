import { describe, expect, it } from "vitest";
import type { ActiveAlert } from "./bindings/ActiveAlert";
import { acknowledgeable, groupAlerts, groupByRule, servicesLine, servicesWithFiringAlerts, severityTone } from "./alerts-view";

function alert(partial: Partial<ActiveAlert>): ActiveAlert {
  return {
    severity: "warning",
    phase: "firing",
    since: "2026-11-23T10:00:00Z",
    description: "",
    silenced: false,
    resolving: false,
    rule: "r",
    service: "s",
    subject: "",
    ...partial,
  };
}

describe("alerts panel", () => {
  it("groups by what needs the engineer, worst severity first", () => {
    const groups = groupAlerts([
      alert({ rule: "warn" }),
      alert({ rule: "crit", severity: "critical" }),
      alert({ rule: "acked", acknowledged: { by: "ana", comment: "on it", at: "2026-11-23T10:01:00Z" } }),
      alert({ rule: "soon", phase: "pending" }),
      alert({ rule: "quiet", silenced: true }),
    ]);
    expect(groups.firing.map((a) => a.rule)).toEqual(["crit", "warn"]);
    expect(groups.acknowledged.map((a) => a.rule)).toEqual(["acked"]);
    expect(groups.pending.map((a) => a.rule)).toEqual(["soon"]);
    expect(groups.silenced.map((a) => a.rule)).toEqual(["quiet"]);
  });

  it("only unhandled firing alerts lift a service", () => {
    const lifted = servicesWithFiringAlerts([
      alert({ service: "a" }),
      alert({ service: "b", phase: "pending" }),
      alert({ service: "c", silenced: true }),
    ]);
    expect([...lifted]).toEqual(["a"]);
  });

  it("colours severities like the tray", () => {
    expect(severityTone("critical")).toBe("bad");
    expect(severityTone("warning")).toBe("warn");
    expect(severityTone(null)).toBe("unknown");
  });
});

describe("alerts grouped by rule", () => {
  it("counts each rule's alerts and the services affected, worst severity first, then the largest", () => {
    const groups = groupByRule([
      alert({ rule: "stale", service: "svc10" }),
      alert({ rule: "stale", service: "svc2" }),
      alert({ rule: "stale", service: "svc2", subject: "other" }),
      alert({ rule: "down", service: "svc1", severity: "critical" }),
      alert({ rule: "cpu", service: "svc3" }),
    ]);
    expect(groups.map((g) => [g.rule, g.alerts.length, g.services])).toEqual([
      ["down", 1, ["svc1"]],
      ["stale", 3, ["svc2", "svc10"]],
      ["cpu", 1, ["svc3"]],
    ]);
  });

  it("takes the worst severity of the group", () => {
    expect(groupByRule([alert({ severity: "info" }), alert({ severity: "high", service: "t" })])[0]?.severity).toBe("high");
  });

  it("names a few services and counts the rest", () => {
    expect(servicesLine(["a", "b"], 3)).toBe("a, b");
    expect(servicesLine(["a", "b", "c", "d", "e"], 3)).toBe("a, b, c and 2 more");
  });

  it("acknowledges just what fires unacknowledged", () => {
    const [group] = groupByRule([
      alert({ service: "a" }),
      alert({ service: "b", phase: "pending" }),
      alert({ service: "c", acknowledged: { by: "ana", comment: "on it", at: "2026-11-23T10:01:00Z" } }),
    ]);
    expect(group && acknowledgeable(group).map((a) => a.service)).toEqual(["a"]);
  });
});
