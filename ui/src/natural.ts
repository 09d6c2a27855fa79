// Natural order for every name the window sorts: `svc2` before `svc10`, case-insensitive.
// One collator for the whole UI, so the tiles, the list, the board and the alerts agree.

const COLLATOR = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Natural order: `svc2` before `svc10`, case-insensitive. */
export function naturalCompare(a: string, b: string): number {
  return COLLATOR.compare(a, b);
}
