// What the end-to-end test reads from the page: how long engine updates take to reach
// the screen (bounded, so a long session does not grow it), which subscriptions the
// Rust side has confirmed, so a test acts only once the page is listening, and when the
// first value was on screen (the window bench's first paint with data), and what the
// page's parts cost (summed milliseconds and calls, so the bench can say which part of
// the page the CPU goes to: the web view has no profiler we can reach).

const KEPT = 2000;

declare global {
  interface Window {
    switchyardDiagnostics?: {
      updateLatenciesMs: number[];
      /** Observation to its batch reaching the page: the Rust side's share of the above. */
      arrivalLatenciesMs?: number[];
      watching?: string[];
      firstValueShownAt?: number;
      /** When the page reached each step of its start (`Date.now()`), once each. */
      marks?: Record<string, number>;
      costs?: Record<string, { ms: number; calls: number }>;
    };
  }
}

function diagnostics() {
  return (window.switchyardDiagnostics ??= { updateLatenciesMs: [] });
}

export function recordWatching(what: string): void {
  (diagnostics().watching ??= []).push(what);
}

function keep(latencies: number[], ms: number): void {
  latencies.push(ms);
  if (latencies.length > KEPT) latencies.shift();
}

export function recordUpdateLatency(ms: number): void {
  keep(diagnostics().updateLatenciesMs, ms);
}

export function recordArrivalLatency(ms: number): void {
  keep((diagnostics().arrivalLatenciesMs ??= []), ms);
}

/** Notes when the page first reached `step` of its start (the bench's first paint). */
export function recordMark(step: string, at = Date.now()): void {
  (diagnostics().marks ??= {})[step] ??= at;
}

/** The first render that showed a service's value, once painted (`Date.now()`). */
export function recordFirstValueShown(at: number): void {
  diagnostics().firstValueShownAt ??= at;
}

/** Adds `ms` and `calls` to what `part` of the page has cost (a count alone: `ms` 0). */
export function recordCost(part: string, ms: number, calls = 1): void {
  const costs = (diagnostics().costs ??= {});
  const cost = (costs[part] ??= { ms: 0, calls: 0 });
  cost.ms += ms;
  cost.calls += calls;
}

/** Runs `work`, adding its time to `part`'s cost. */
export function timed<T>(part: string, work: () => T): T {
  const started = performance.now();
  try {
    return work();
  } finally {
    recordCost(part, performance.now() - started);
  }
}
