// Which items of a long list are on screen: prefix sums of the items' heights and a
// binary search, so scrolling costs O(log n) and rendering only what is visible.
// Pure, so it is unit-tested without a layout engine.

/** `offsets[i]` is where item `i` starts; the last entry is the total height. */
export function offsets(heights: readonly number[]): number[] {
  const out = new Array<number>(heights.length + 1);
  out[0] = 0;
  for (let i = 0; i < heights.length; i += 1) out[i + 1] = (out[i] ?? 0) + (heights[i] ?? 0);
  return out;
}

/** The first item whose bottom is below `y`. */
function firstEndingAfter(starts: readonly number[], y: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid + 1] ?? Infinity) <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The items `[start, end)` that intersect `[scrollTop - overscan, scrollTop + viewport + overscan]`. */
export function visibleRange(starts: readonly number[], scrollTop: number, viewport: number, overscan: number): [number, number] {
  const count = starts.length - 1;
  if (count <= 0) return [0, 0];
  const top = Math.max(0, scrollTop - overscan);
  const bottom = scrollTop + viewport + overscan;
  const start = Math.min(firstEndingAfter(starts, top), count);
  let end = start;
  while (end < count && (starts[end] ?? Infinity) < bottom) end += 1;
  return [start, end];
}
