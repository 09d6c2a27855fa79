import { describe, expect, it } from "vitest";
import type { TeamAlert } from "./bindings/TeamAlert";
import type { TeamAlerts } from "./bindings/TeamAlerts";
import type { TeamSilence } from "./bindings/TeamSilence";
import { formProblem, groupTeamAlerts, teamPill, labelsLine, matchersLine, safeLink, silenceLine, teamStatusLine } from "./team-alerts-view";

function alert(id: string, patch: Partial<TeamAlert> = {}): TeamAlert {
  return {
    id,
    name: "BreakerOpen",
    labels: { alertname: "BreakerOpen", job: "payments", name: "ledger" },
    annotations: {},
    starts_at: "2026-12-06T10:00:00Z",
    state: "active",
    severity: "warning",
    silences: [],
    inhibited: false,
    ...patch,
  };
}

const ack: TeamSilence = {
  id: "s1",
  state: "active",
  matchers: [{ name: "alertname", value: "BreakerOpen", isRegex: false, isEqual: true }],
  starts_at: "2026-12-06T10:01:00Z",
  ends_at: "2026-12-06T11:01:00Z",
  created_by: "ana",
  comment: "ACK! looking at the ledger",
  acknowledgement: true,
};

describe("the team's alerts in the panel", () => {
  it("puts unhandled first, worst and oldest first, then acknowledged, then silenced", () => {
    const groups = groupTeamAlerts([
      alert("a", { severity: "warning", starts_at: "2026-12-06T09:00:00Z" }),
      alert("b", { severity: "critical" }),
      alert("c", { acknowledged_by: "ana" }),
      alert("d", { silenced_by: "bo" }),
      alert("e", { inhibited: true }),
      alert("f", { severity: "warning", starts_at: "2026-12-06T08:00:00Z" }),
    ]);
    expect(groups.firing.map((a) => a.id)).toEqual(["b", "f", "a"]);
    expect(groups.acknowledged.map((a) => a.id)).toEqual(["c"]);
    expect(groups.silenced.map((a) => a.id)).toEqual(["d", "e"]);
  });

  it("names the Alertmanager, how fresh its alerts are, and says when it cannot be read", () => {
    const now = Date.parse("2026-12-06T10:00:30Z");
    const view: TeamAlerts = { status: { kind: "ok" }, place: "127.0.0.1:9093", read_at: "2026-12-06T10:00:25Z", alerts: [], silences: [] };
    expect(teamStatusLine(view, now)).toEqual({ text: "Alertmanager at 127.0.0.1:9093: read 5 s ago", failing: false });
    const down: TeamAlerts = { ...view, status: { kind: "failing", message: "Alertmanager at 127.0.0.1:9093 cannot be reached: connection refused; is it running?" } };
    expect(teamStatusLine(down, now)).toEqual({
      text: "Alertmanager at 127.0.0.1:9093 cannot be reached: connection refused; is it running? Showing what was read 5 s ago. Switchyard's own rules keep working.",
      failing: true,
    });
    expect(teamStatusLine({ ...view, status: { kind: "off" } }, now)).toBeNull();
  });

  it("words labels, matchers and who acknowledged, distinct from a plain silence", () => {
    expect(labelsLine({ alertname: "X", pod: "p-1", job: "payments" })).toBe('job="payments", pod="p-1"');
    expect(matchersLine([...ack.matchers, { name: "pod", value: "p-.*", isRegex: true, isEqual: false }])).toBe('alertname="BreakerOpen", pod!~"p-.*"');
    const time = (iso: string) => iso.slice(11, 16);
    expect(silenceLine(ack, time)).toBe("acknowledged by ana until 11:01: looking at the ledger");
    expect(silenceLine({ ...ack, acknowledgement: false, comment: "maintenance", created_by: "bo" }, time)).toBe("silenced by bo until 11:01: maintenance");
  });

  it("opens only web links and checks the forms before sending", () => {
    expect(safeLink("https://runbooks.example/breaker")).toBe("https://runbooks.example/breaker");
    expect(safeLink("javascript:alert(1)")).toBeNull();
    expect(safeLink("file:///etc/passwd")).toBeNull();
    expect(safeLink(undefined)).toBeNull();
    expect(formProblem("ack", "  ", "")).toBe("say what you are doing about it");
    expect(formProblem("ack", "on it", "")).toBeNull();
    expect(formProblem("silence", "maintenance", "2 hours")).toBe("a duration such as 30m, 2h or 1d");
    expect(formProblem("silence", "ACK! sneaky", "1h")).toMatch(/acknowledge instead/);
    expect(formProblem("silence", "maintenance", "2h")).toBeNull();
  });

  it("counts on the Alerts tab only what nobody has taken, with its worst severity", () => {
    const view: TeamAlerts = {
      status: { kind: "ok" },
      alerts: [alert("a", { severity: "warning" }), alert("b", { severity: "high" }), alert("c", { severity: "critical", acknowledged_by: "ana" })],
      silences: [],
    };
    expect(teamPill(view)).toEqual({ count: 2, worst: "high" });
    expect(teamPill({ ...view, alerts: [] })).toBeNull();
    expect(teamPill(null)).toBeNull();
  });
});
