import { describe, expect, it } from "vitest";
import { offsets, visibleRange } from "./windowing";

describe("windowing", () => {
  const starts = offsets([40, 100, 100, 100, 100, 30]);

  it("sums heights", () => expect(starts).toEqual([0, 40, 140, 240, 340, 440, 470]));

  it("takes the items that intersect the viewport", () => {
    expect(visibleRange(starts, 0, 150, 0)).toEqual([0, 3]);
    expect(visibleRange(starts, 150, 100, 0)).toEqual([2, 4]);
    expect(visibleRange(starts, 460, 100, 0)).toEqual([5, 6]);
  });

  it("adds the overscan on both sides", () => expect(visibleRange(starts, 240, 50, 100)).toEqual([2, 5]));

  it("is empty for an empty list", () => expect(visibleRange(offsets([]), 0, 500, 500)).toEqual([0, 0]));

  it("stays small for a huge list", () => {
    const many = offsets(new Array(100_000).fill(30));
    const [start, end] = visibleRange(many, 1_500_000, 900, 900);
    expect(start).toBe(49_970);
    expect(end - start).toBe(90);
  });
});
