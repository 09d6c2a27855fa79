import { describe, expect, it } from "vitest";
import type { ProbeReport } from "./bindings/ProbeReport";
import type { SessionInfo } from "./bindings/SessionInfo";
import { EditGate, EMPTY_FORM, entryOf, headerKind, keyringAccount, probeKey, probeView, sessionChange } from "./services-view";

function report(partial: Partial<ProbeReport["observation"]>): ProbeReport {
  return {
    detected: true,
    suggested_name: "orders",
    observation: { service: "orders", profile: "health-contract", observed_at: "2026-12-06T05:00:00Z", reachability: { kind: "reachable", latency_ms: 12.4 }, ...partial },
  };
}

describe("the probe as the dialog shows it", () => {
  it("says what was read", () => {
    const view = probeView(
      report({
        health: { status: "degraded", version: "1.2.0", dependencies: [{ name: "db", status: "OK" } as never] },
        breakers: [{ name: "exchange_api", state: "open" } as never, { name: "db", state: "closed" } as never],
        samples: [{ series: "queue.depth", value: 3 } as never],
      }),
    );
    expect(view.reachable).toBe(true);
    expect(view.profile).toBe("health-contract");
    expect(view.lines).toEqual(["answered in 12 ms", "health degraded, version 1.2.0, 1 dependency", "2 breakers, 1 open: exchange_api, db", "1 sample: queue.depth"]);
  });

  it("says precisely why nothing could be read", () => {
    const view = probeView(report({ profile: "unknown", reachability: { kind: "refused", message: "connection refused by 127.0.0.1:9/health; is the service running?" } }));
    expect(view).toEqual({ reachable: false, profile: "unknown", kind: "refused", lines: ["connection refused by 127.0.0.1:9/health; is the service running?"] });
  });
});

describe("header values", () => {
  it("are references, harmless literals or secrets", () => {
    expect(headerKind("X-Key", "env:ORDERS_KEY")).toBe("reference");
    expect(headerKind("Authorization", "keyring:switchyard/orders")).toBe("reference");
    expect(headerKind("Accept", "application/json")).toBe("literal");
    expect(headerKind("Authorization", "Bearer abc")).toBe("secret");
    expect(headerKind("X-Key", "env:")).toBe("secret");
    expect(headerKind("X-Key", " ")).toBe("empty");
  });

  it("name their keyring account after the service and header", () => {
    expect(keyringAccount("orders api", "X-Internal-Key")).toBe("orders-api-X-Internal-Key");
  });
});

describe("the form becomes the entry the core writes", () => {
  const form = { ...EMPTY_FORM, url: " http://127.0.0.1:8001/ ", name: "orders", tags: "team:payments, prod,", headers: [["X-Key", "env:K"], ["", "ignored"]] as [string, string][] };

  it("with a trimmed URL, tags and named headers", () => {
    expect(entryOf(form)).toEqual({ name: "orders", base_url: "http://127.0.0.1:8001", profile: null, tags: ["team:payments", "prod"], headers: [["X-Key", "env:K"]] });
  });

  it("refusing a secret typed as a header value, without repeating it", () => {
    const refused = entryOf({ ...form, headers: [["Authorization", "Bearer hunter2"]] });
    expect(refused).toBe("Header Authorization holds a secret: store it in the keyring, or write env:NAME.");
  });

  it("asking for a URL and a name", () => {
    expect(entryOf({ ...form, url: "orders" })).toMatch(/base URL/);
    expect(entryOf({ ...form, name: " " })).toMatch(/name/);
  });

  it("needing a new probe only when what is probed changes", () => {
    expect(probeKey({ ...form, name: "other", tags: "" })).toBe(probeKey(form));
    expect(probeKey({ ...form, url: "http://127.0.0.1:8002" })).not.toBe(probeKey(form));
  });
});

describe("session news", () => {
  const info: SessionInfo = { config_source: "demo", demo: true, version: "0.1.0", run: 0 };
  it("reloads the page for a new console, and only updates it for a refused edit", () => {
    expect(sessionChange(info, { ...info, config_source: "/home/me/.config/switchyard/switchyard.toml", demo: false, run: 1 })).toBe("reload");
    expect(sessionChange(info, { ...info, config_problem: "switchyard.toml:4: unknown key `base_ur`" })).toBe("update");
    expect(sessionChange(null, { ...info, run: 3 })).toBe("update");
  });
});

describe("the edit gate", () => {
  it("holds a page reload until the edit's answer is in", async () => {
    const gate = new EditGate();
    let answer: (v: string) => void = () => undefined;
    const edit = gate.track(new Promise<string>((resolve) => (answer = resolve)));
    const done: string[] = [];
    gate.whenIdle(() => done.push("reload"));
    expect(done).toEqual([]);
    answer("applied");
    expect(await edit).toBe("applied");
    expect(done).toEqual(["reload"]);
    gate.whenIdle(() => done.push("at once"));
    expect(done).toEqual(["reload", "at once"]);
  });
});
