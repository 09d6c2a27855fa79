import { describe, expect, it } from "vitest";
import { interpret, NO_KEYS, SHORTCUTS } from "./keys";

describe("shortcuts", () => {
  it("g then b opens the breaker board, g then o the overview", () => {
    const [first, afterG] = interpret("g", NO_KEYS, false);
    expect(first).toBeNull();
    expect(interpret("b", afterG, false)[0]).toEqual({ kind: "go", view: "breakers" });
    expect(interpret("o", afterG, false)[0]).toEqual({ kind: "go", view: "overview" });
    expect(interpret("x", afterG, false)).toEqual([null, NO_KEYS]);
  });

  it("digits pick ranges, slash focuses the filter", () => {
    expect(interpret("1", NO_KEYS, false)[0]).toEqual({ kind: "range", index: 0 });
    expect(interpret("6", NO_KEYS, false)[0]).toEqual({ kind: "range", index: 5 });
    expect(interpret("7", NO_KEYS, false)[0]).toBeNull();
    expect(interpret("/", NO_KEYS, false)[0]).toEqual({ kind: "focus-filter" });
    expect(interpret("e", NO_KEYS, false)[0]).toEqual({ kind: "export" });
  });

  it("w opens watch your own services, and the help lists it", () => {
    expect(interpret("w", NO_KEYS, false)[0]).toEqual({ kind: "services" });
    expect(interpret("w", NO_KEYS, true)[0]).toBeNull();
    expect(SHORTCUTS.some(([key, what]) => key === "w" && what.includes("your own services"))).toBe(true);
  });

  it("keys are text while typing, except Escape", () => {
    expect(interpret("1", NO_KEYS, true)[0]).toBeNull();
    expect(interpret("Escape", NO_KEYS, true)[0]).toEqual({ kind: "back" });
  });
});

describe("overview shortcuts", () => {
  it("v toggles tiles and list, G the grouping, s the list's sort", () => {
    expect(interpret("v", NO_KEYS, false)[0]).toEqual({ kind: "toggle-layout" });
    expect(interpret("G", NO_KEYS, false)[0]).toEqual({ kind: "next-grouping" });
    expect(interpret("s", NO_KEYS, false)[0]).toEqual({ kind: "next-sort" });
    expect(interpret("s", NO_KEYS, true)[0]).toBeNull();
  });
});

describe("detail shortcuts", () => {
  it("i shows or hides a service's instances, and the help lists it", () => {
    expect(interpret("i", NO_KEYS, false)[0]).toEqual({ kind: "toggle-instances" });
    expect(interpret("i", NO_KEYS, true)[0]).toBeNull();
    expect(SHORTCUTS.some(([key, what]) => key === "i" && what.includes("instances"))).toBe(true);
  });
});
