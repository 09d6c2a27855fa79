// What the end-to-end test reads from the page: how long engine updates take to reach
// the screen (bounded, so a long session does not grow it), which subscriptions the
// Rust side has confirmed, so a test acts only once the page is listening, and when the
// first value was on screen (the window bench's first paint with data).

const KEPT = 2000;

declare global {
  interface Window {
    switchyardDiagnostics?: { updateLatenciesMs: number[]; watching?: string[]; firstValueShownAt?: number };
  }
}

function diagnostics() {
  return (window.switchyardDiagnostics ??= { updateLatenciesMs: [] });
}

export function recordWatching(what: string): void {
  (diagnostics().watching ??= []).push(what);
}

export function recordUpdateLatency(ms: number): void {
  const latencies = diagnostics().updateLatenciesMs;
  latencies.push(ms);
  if (latencies.length > KEPT) latencies.shift();
}

/** The first render that showed a service's value, once painted (`Date.now()`). */
export function recordFirstValueShown(at: number): void {
  diagnostics().firstValueShownAt ??= at;
}
