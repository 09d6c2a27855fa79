// "Export snapshot": the incident as one file, for the services and window on screen
// (all services and the default window unless filtered or paused). Shows progress per
// service while it runs (a long window over many services takes a while), then where
// it went, with "open" and "show in folder".
import { useState } from "preact/hooks";
import { errorText, exportSnapshot, type ExportProgress, type ExportResult, openLastExport, revealLastExport } from "./backend";

/** What to export: the services shown and the window looked at, when they are chosen. */
export interface ExportChoice {
  services?: string[];
  sinceMs?: number;
  untilMs?: number;
}

export function useExport(choose: () => ExportChoice) {
  const [progress, setProgress] = useState<ExportProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const start = () => {
    if (running) return;
    setRunning(true);
    setProblem(null);
    setResult(null);
    setProgress(null);
    exportSnapshot(setProgress, choose())
      .then(setResult)
      .catch((e: unknown) => setProblem(errorText(e)))
      .finally(() => setRunning(false));
  };
  return { start, running, progress, result, problem, dismiss: () => (setResult(null), setProblem(null)) };
}

export function ExportStatus({ state }: { state: ReturnType<typeof useExport> }) {
  if (state.running) {
    return (
      <div class="banner" data-testid="export-progress">
        <span class="spinner" /> Exporting the incident snapshot
        {state.progress && ` — ${state.progress.done} of ${state.progress.total} services (${state.progress.service})`}…
      </div>
    );
  }
  if (state.problem) {
    return (
      <div class="banner error" data-testid="export-problem">
        Export failed: {state.problem} <button onClick={state.dismiss}>Dismiss</button>
      </div>
    );
  }
  if (state.result) {
    return (
      <div class="banner ok" data-testid="export-done" data-html={state.result.html} data-json={state.result.json}>
        Snapshot written: {state.result.html} ({state.result.events} events, {state.result.services} services; JSON beside it){" "}
        <button onClick={() => openLastExport().catch(() => undefined)}>Open</button>{" "}
        <button onClick={() => revealLastExport().catch(() => undefined)}>Show in folder</button>{" "}
        <button onClick={state.dismiss}>Dismiss</button>
      </div>
    );
  }
  return null;
}
