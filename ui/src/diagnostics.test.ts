// @vitest-environment jsdom
// The page's own diagnostics, as the end-to-end tests and the window bench read them.
import { beforeEach, describe, expect, it } from "vitest";
import { recordCost, recordFirstValueShown, timed } from "./diagnostics";

describe("diagnostics", () => {
  beforeEach(() => {
    delete window.switchyardDiagnostics;
  });

  it("keeps the first time a value was shown, not later ones", () => {
    recordFirstValueShown(1000);
    recordFirstValueShown(2000);
    expect(window.switchyardDiagnostics?.firstValueShownAt).toBe(1000);
  });

  it("sums each part's milliseconds and calls, counts included", () => {
    recordCost("render", 2.5);
    recordCost("render", 1.5);
    recordCost("batch-services", 0, 30);
    expect(window.switchyardDiagnostics?.costs).toEqual({
      render: { ms: 4, calls: 2 },
      "batch-services": { ms: 0, calls: 30 },
    });
  });

  it("times work and passes its result through, also when it throws", () => {
    expect(timed("derive", () => 42)).toBe(42);
    expect(() =>
      timed("derive", () => {
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(window.switchyardDiagnostics?.costs?.derive?.calls).toBe(2);
  });
});
