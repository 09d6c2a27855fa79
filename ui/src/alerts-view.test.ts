import { describe, expect, it } from "vitest";
import type { ActiveAlert } from "./bindings/ActiveAlert";
import { groupAlerts, servicesWithFiringAlerts, severityTone } from "./alerts-view";

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
