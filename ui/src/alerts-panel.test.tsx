// @vitest-environment jsdom
// The panel at 1,000 alerts, with the window's IPC boundary replaced by a recorder of
// the commands it sends (the Rust side of these commands is tested in the core).
import { render } from "preact";
import { act } from "preact/test-utils";
import { describe, expect, it } from "vitest";
import type { ActiveAlert } from "./bindings/ActiveAlert";
import type { AlertsState } from "./bindings/AlertsState";
import { AlertsPanel } from "./alerts-panel";

const sent: { cmd: string; args: unknown }[] = [];
(window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
  invoke: (cmd: string, args: unknown) => {
    sent.push({ cmd, args });
    return Promise.resolve(cmd === "alert_rules" ? [] : null);
  },
  transformCallback: () => 0,
};

function alert(i: number, rule: string): ActiveAlert {
  return { severity: "warning", phase: "firing", since: "2026-11-23T10:00:00Z", description: "", silenced: false, resolving: false, rule, service: `svc${i}`, subject: "" };
}

const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 0)));

describe("the alerts panel at 1,000 alerts", () => {
  it("groups by rule, collapses the crowd, and acknowledges or silences a whole group at once", async () => {
    const host = document.createElement("div");
    document.body.appendChild(host);
    const active = [...Array.from({ length: 1000 }, (_, i) => alert(i, "stale")), alert(5, "cpu hot")];
    const state: AlertsState = { active, worst: "warning", worst_unhandled: "warning", recent: [], silences: [], rules_saved: null };
    act(() => {
      render(<AlertsPanel state={state} now={Date.parse("2026-11-23T10:01:00Z")} onChanged={() => undefined} />, host);
    });
    const groups = Array.from(host.querySelectorAll("[data-alert-group]")) as HTMLElement[];
    expect(groups.map((g) => [g.dataset.alertGroup, g.dataset.count, g.dataset.open])).toEqual([
      ["stale", "1000", "false"],
      ["cpu hot", "1", "true"],
    ]);
    expect(groups[0]?.querySelector("[data-testid=group-summary]")?.textContent).toBe("1000 alerts on 1000 services: svc0, svc1, svc2, svc3, svc4, svc5 and 994 more");
    expect(host.querySelectorAll("li[data-alert]").length).toBe(1);

    act(() => (groups[0]?.querySelector(".caret") as HTMLButtonElement).click());
    expect(host.querySelectorAll("li[data-alert]").length).toBe(101);

    act(() => (groups[0]?.querySelector("[data-testid=acknowledge-group]") as HTMLButtonElement).click());
    const box = host.querySelector("[data-testid=group-comment]") as HTMLInputElement;
    act(() => {
      box.value = "fleet-wide network blip, on it";
      box.dispatchEvent(new Event("input", { bubbles: true }));
    });
    sent.length = 0;
    act(() => (host.querySelector("[data-testid=group-submit]") as HTMLButtonElement).click());
    for (let i = 0; i < 100 && sent.length < 1000; i += 1) await settle();
    const acks = sent.filter((s) => s.cmd === "acknowledge_alert");
    expect(acks.length).toBe(1000);
    expect(acks[999]?.args).toEqual({ key: { rule: "stale", service: "svc999", subject: "" }, comment: "fleet-wide network blip, on it" });

    await settle();
    act(() => (groups[0]?.querySelector("[data-testid=silence-group]") as HTMLButtonElement).click());
    const reason = host.querySelector("[data-testid=group-comment]") as HTMLInputElement;
    act(() => {
      reason.value = "known, fixing";
      reason.dispatchEvent(new Event("input", { bubbles: true }));
    });
    sent.length = 0;
    act(() => (host.querySelector("[data-testid=group-submit]") as HTMLButtonElement).click());
    await settle();
    expect(sent.filter((s) => s.cmd === "silence_alerts").map((s) => s.args)).toEqual([{ target: { rule: "stale" }, duration: "1h", reason: "known, fixing" }]);
    render(null, host);
  });
});
