// The window: a header with the fleet's summary and the list of services, kept live by
// engine events. State arrives from Rust; this file only arranges it.
import { useEffect, useState } from "preact/hooks";
import { fetchFleet, fetchSession, onEngineEvent } from "./backend";
import type { ServiceState } from "./bindings/ServiceState";
import type { SessionInfo } from "./bindings/SessionInfo";
import { ServiceTable } from "./service-table";
import { sortWorstFirst, toneCounts, upsertService } from "./view";

/** Ages on screen move every second even when no new observation arrives. */
function useNow(periodMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

export function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [services, setServices] = useState<ServiceState[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const now = useNow(1000);

  useEffect(() => {
    let unlisten: (() => void) | undefined;
    // Subscribe before the first read so no update falls between the two.
    onEngineEvent((event) => {
      if (event.type === "service_updated") {
        setServices((current) => upsertService(current, event.state));
      }
    })
      .then((stop) => {
        unlisten = stop;
        return Promise.all([fetchSession(), fetchFleet()]);
      })
      .then(([info, fleet]) => {
        setSession(info);
        setServices(fleet);
      })
      .catch((e: unknown) => setLoadError(String(e)));
    return () => unlisten?.();
  }, []);

  const counts = toneCounts(services);
  return (
    <div class="shell">
      <header class="topbar">
        <h1>Switchyard</h1>
        <span class="source" title={session?.database ?? ""}>
          {session ? (session.demo ? "demo fleet" : session.config_source) : "starting…"}
        </span>
        <span class="counts" data-testid="counts">
          <span class="count bad">{counts.bad} down</span>
          <span class="count warn">{counts.warn} degraded</span>
          <span class="count ok">{counts.ok} ok</span>
          {counts.unknown > 0 && <span class="count unknown">{counts.unknown} unknown</span>}
        </span>
      </header>
      {loadError && <div class="banner error">Cannot reach the console's core: {loadError}</div>}
      {session?.error && <div class="banner error" data-testid="session-error">{session.error}</div>}
      <main>
        {services.length > 0 ? (
          <ServiceTable services={sortWorstFirst(services)} now={now} />
        ) : (
          !session?.error && <p class="empty">No services yet. Waiting for the first polls…</p>
        )}
      </main>
    </div>
  );
}
