// Keyboard shortcuts as a pure function of the key pressed and the one before it, so the
// two-key sequences (`g` then `b`) are unit-tested without a DOM.

export type Command =
  | { kind: "focus-filter" }
  | { kind: "range"; index: number }
  | { kind: "go"; view: "overview" | "breakers" | "alerts" | "actions" }
  | { kind: "help" }
  | { kind: "back" }
  | { kind: "toggle-theme" }
  | { kind: "toggle-live" }
  | { kind: "export" }
  | { kind: "toggle-layout" }
  | { kind: "next-grouping" }
  | { kind: "next-sort" }
  | { kind: "services" }
  | { kind: "toggle-instances" };

export interface KeyState {
  /** The previous key, when it starts a sequence. */
  pending: "g" | null;
}

export const NO_KEYS: KeyState = { pending: null };

/** What a key means, and the state for the next key. `typing` is true in a text field. */
export function interpret(key: string, state: KeyState, typing: boolean): [Command | null, KeyState] {
  if (key === "Escape") return [{ kind: "back" }, NO_KEYS];
  if (typing) return [null, NO_KEYS];
  if (state.pending === "g") {
    if (key === "b") return [{ kind: "go", view: "breakers" }, NO_KEYS];
    if (key === "o") return [{ kind: "go", view: "overview" }, NO_KEYS];
    if (key === "a") return [{ kind: "go", view: "alerts" }, NO_KEYS];
    if (key === "l") return [{ kind: "go", view: "actions" }, NO_KEYS];
    return [null, NO_KEYS];
  }
  switch (key) {
    case "g":
      return [null, { pending: "g" }];
    case "/":
      return [{ kind: "focus-filter" }, NO_KEYS];
    case "?":
      return [{ kind: "help" }, NO_KEYS];
    case "t":
      return [{ kind: "toggle-theme" }, NO_KEYS];
    case "p":
      return [{ kind: "toggle-live" }, NO_KEYS];
    case "e":
      return [{ kind: "export" }, NO_KEYS];
    case "v":
      return [{ kind: "toggle-layout" }, NO_KEYS];
    case "G":
      return [{ kind: "next-grouping" }, NO_KEYS];
    case "s":
      return [{ kind: "next-sort" }, NO_KEYS];
    case "w":
      return [{ kind: "services" }, NO_KEYS];
    case "i":
      return [{ kind: "toggle-instances" }, NO_KEYS];
  }
  if (/^[1-6]$/.test(key)) return [{ kind: "range", index: Number(key) - 1 }, NO_KEYS];
  return [null, NO_KEYS];
}

export const SHORTCUTS: [string, string][] = [
  ["/", "filter services"],
  ["1 – 6", "time range: 15 m, 1 h, 6 h, 24 h, 7 d, 30 d"],
  ["p", "pause or follow live"],
  ["g then o", "overview"],
  ["g then b", "breaker board"],
  ["g then a", "alerts"],
  ["g then l", "actions (the audit log)"],
  ["v", "overview as tiles or as a compact list"],
  ["G", "group the overview by the next tag key, profile, or not at all"],
  ["s", "sort the compact list by state, name, latency or age"],
  ["i", "a service's instances, in its detail: show or hide"],
  ["e", "export the incident snapshot"],
  ["w", "watch your own services: add, edit, remove"],
  ["t", "light or dark theme"],
  ["Esc", "back, close"],
  ["?", "this help"],
];
