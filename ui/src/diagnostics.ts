// Measurements the end-to-end test reads from the page: how long engine updates take to
// reach the screen. Bounded, so a long session does not grow it.

const KEPT = 2000;

declare global {
  interface Window {
    switchyardDiagnostics?: { updateLatenciesMs: number[] };
  }
}

export function recordUpdateLatency(ms: number): void {
  const diagnostics = (window.switchyardDiagnostics ??= { updateLatenciesMs: [] });
  diagnostics.updateLatenciesMs.push(ms);
  if (diagnostics.updateLatenciesMs.length > KEPT) diagnostics.updateLatenciesMs.shift();
}
