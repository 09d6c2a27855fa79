// @vitest-environment jsdom
// The team's alerts in the panel, with the window's IPC boundary replaced by a recorder
// of the commands it sends (the Rust side is tested against a real Alertmanager).
import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import type { TeamAlerts } from "./bindings/TeamAlerts";
import { TeamAlertsSection } from "./team-alerts";

const sent: { cmd: string; args: unknown }[] = [];
let refuse: { code: string; message: string } | null = null;
(window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
  invoke: (cmd: string, args: unknown) => {
    sent.push({ cmd, args });
    return refuse ? Promise.reject(refuse) : Promise.resolve({ silence_id: "s-new", ends_at: "2026-12-06T12:00:00Z" });
  },
  transformCallback: () => 0,
};

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

const view: TeamAlerts = {
  status: { kind: "ok" },
  place: "127.0.0.1:9093",
  read_at: "2026-12-06T10:00:00Z",
  alerts: [
    {
      id: "fp1",
      name: "BreakerOpen",
      labels: { alertname: "BreakerOpen", job: "payments", name: "ledger" },
      annotations: {},
      summary: "ledger breaker open",
      runbook_url: "https://runbooks.example/breaker",
      starts_at: "2026-12-06T09:58:00Z",
      state: "active",
      severity: "critical",
      silences: [],
      inhibited: false,
    },
    {
      id: "fp2",
      name: "DiskFull",
      labels: { alertname: "DiskFull", job: "db" },
      annotations: {},
      starts_at: "2026-12-06T09:00:00Z",
      state: "suppressed",
      severity: "warning",
      acknowledged_by: "ana",
      inhibited: false,
      silences: [
        {
          id: "s1",
          state: "active",
          matchers: [{ name: "alertname", value: "DiskFull", isRegex: false, isEqual: true }],
          starts_at: "2026-12-06T09:01:00Z",
          ends_at: "2026-12-06T10:01:00Z",
          created_by: "ana",
          comment: "ACK! growing the volume",
          acknowledgement: true,
        },
      ],
    },
  ],
  silences: [],
};

function type(box: HTMLInputElement, text: string) {
  act(() => {
    box.value = text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

describe("the team's alerts in the panel", () => {
  it("shows them marked as the team's, acknowledges with a comment and shows Alertmanager's refusal", async () => {
    const host = document.createElement("div");
    document.body.appendChild(host);
    act(() => {
      render(<TeamAlertsSection view={view} now={Date.parse("2026-12-06T10:00:05Z")} />, host);
    });
    expect(host.querySelector("[data-testid=team-status]")?.textContent).toBe("Alertmanager at 127.0.0.1:9093: read 5 s ago");
    const firing = host.querySelector("[data-testid=team-firing] [data-team-alert=fp1]") as HTMLElement;
    expect(firing.textContent).toContain("team");
    expect(firing.textContent).toContain('job="payments", name="ledger"');
    expect(firing.textContent).toContain("ledger breaker open");
    expect((firing.querySelector("[data-testid=team-runbook]") as HTMLAnchorElement).href).toBe("https://runbooks.example/breaker");
    const acked = host.querySelector("[data-testid=team-acknowledged-list] [data-team-alert=fp2]") as HTMLElement;
    expect(acked.querySelector("[data-testid=team-acknowledged]")?.textContent).toContain("acknowledged by ana");
    expect(acked.querySelector("[data-testid=team-acknowledge]")).toBeNull();

    // Alertmanager refuses: its reason stays in the form, which stays open.
    refuse = { code: "alertmanager_refused", message: "Alertmanager refused (400): silence invalid: end time can't be in the past" };
    act(() => (firing.querySelector("[data-testid=team-acknowledge]") as HTMLButtonElement).click());
    act(() => (firing.querySelector("[data-testid=team-submit]") as HTMLButtonElement).click());
    expect(firing.querySelector("[data-testid=team-problem]")?.textContent).toBe("say what you are doing about it");
    expect(sent).toEqual([]);
    type(firing.querySelector("[data-testid=team-comment]") as HTMLInputElement, "on it");
    act(() => (firing.querySelector("[data-testid=team-submit]") as HTMLButtonElement).click());
    await settle();
    expect(sent).toEqual([{ cmd: "acknowledge_team_alert", args: { alertId: "fp1", comment: "on it" } }]);
    expect(firing.querySelector("[data-testid=team-problem]")?.textContent).toContain("end time can't be in the past");

    // Accepted: the form closes.
    refuse = null;
    act(() => (firing.querySelector("[data-testid=team-submit]") as HTMLButtonElement).click());
    await settle();
    expect(firing.querySelector("[data-testid=team-comment]")).toBeNull();

    // Silence with a reason and a duration; expire the acknowledgement.
    sent.length = 0;
    act(() => (firing.querySelector("[data-testid=team-silence]") as HTMLButtonElement).click());
    type(firing.querySelector("[data-testid=team-comment]") as HTMLInputElement, "ledger maintenance");
    type(firing.querySelector("[data-testid=team-duration]") as HTMLInputElement, "30m");
    act(() => (firing.querySelector("[data-testid=team-submit]") as HTMLButtonElement).click());
    await settle();
    act(() => (acked.querySelector("[data-testid=team-expire]") as HTMLButtonElement).click());
    await settle();
    expect(sent).toEqual([
      { cmd: "silence_team_alert", args: { alertId: "fp1", reason: "ledger maintenance", duration: "30m" } },
      { cmd: "expire_team_silence", args: { silenceId: "s1" } },
    ]);
  });

  it("names an Alertmanager that cannot be read and shows nothing without one", () => {
    const host = document.createElement("div");
    act(() => {
      render(<TeamAlertsSection view={{ ...view, status: { kind: "failing", message: "Alertmanager at 127.0.0.1:9093 cannot be reached: timed out" } }} now={Date.parse("2026-12-06T10:02:00Z")} />, host);
    });
    const banner = host.querySelector("[data-testid=team-status]") as HTMLElement;
    expect(banner.className).toContain("warning");
    expect(banner.textContent).toBe("Alertmanager at 127.0.0.1:9093 cannot be reached: timed out. Showing what was read 2 min ago. Switchyard's own rules keep working.");
    act(() => {
      render(<TeamAlertsSection view={{ ...view, status: { kind: "off" } }} now={0} />, host);
    });
    expect(host.innerHTML).toBe("");
  });
});
