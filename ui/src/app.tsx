// The window: a header with the fleet's summary, tabs (overview, breaker board), the
// time range, and the selected service's detail. State arrives from Rust; this file only
// arranges it and turns keys into commands.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { fetchAlerts, fetchFleet, fetchSession, fetchPreferences, fetchSparklines, savePreferences, watchAlerts, watchFleet, watchSecondLaunch, watchSession, watchStoreHealth, watchTeamAlerts } from "./backend";
import { ServicesDialog } from "./services-dialog";
import { configEdits, sessionChange } from "./services-view";
import { ActionDialog, type ResetTarget } from "./action-dialog";
import { ExportStatus, useExport } from "./export-button";
import { ActionsPanel } from "./actions-panel";
import { AlertsPanel } from "./alerts-panel";
import { servicesWithFiringAlerts, severityTone } from "./alerts-view";
import type { AlertsState } from "./bindings/AlertsState";
import type { TeamAlerts } from "./bindings/TeamAlerts";
import { TeamAlertsSection } from "./team-alerts";
import { teamPill } from "./team-alerts-view";
import { recordArrivalLatency, recordCost, recordFirstValueShown, recordMark, recordUpdateLatency, recordWatching, timed } from "./diagnostics";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { Theme } from "./bindings/Theme";
import { BreakerBoard } from "./breakers";
import { Detail, type RangeChoice } from "./detail";
import { interpret, NO_KEYS, SHORTCUTS } from "./keys";
import { keepUnderPointer, trackPointer } from "./pointer-anchor";
import { type Layout, Overview } from "./overview";
import { applyBatch, deriveOverview, mergeSnapshot, type Fleet, type GroupBy, groupingChoices, groupingLabel, LIST_SORTS, type ListSort, summarize } from "./overview-model";
import { customRange, engineProblems, filterServices, RANGES } from "./view";

type View = "overview" | "breakers" | "alerts" | "actions";

/** A custom range: two local times; applying it pauses the view on that window. */
function CustomRange({ onPick }: { onPick: (range: RangeChoice) => void }) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState("");
  const [until, setUntil] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  if (!open) {
    return (
      <button onClick={() => setOpen(true)} data-testid="custom-range">
        custom…
      </button>
    );
  }
  const apply = () => {
    const range = customRange(from, until);
    if (typeof range === "string") {
      setProblem(range);
      return;
    }
    onPick(range);
    setOpen(false);
    setProblem(null);
  };
  return (
    <span class="custom-range">
      <input type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
      <span>to</span>
      <input type="datetime-local" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
      <button onClick={apply}>show</button>
      <button onClick={() => setOpen(false)}>cancel</button>
      {problem && <span class="problem">{problem}</span>}
    </span>
  );
}

/** The sparklines (the last 15 minutes) of the tiles in the page, refreshed every few
 * seconds: they are drawn from the history, so a timer re-reads it (the live values are
 * pushed). A tile that comes on screen gets its line at once; the others are not drawn. */
function useSparklines(enabled: boolean, shown: readonly string[]): Map<string, string> {
  const [lines, setLines] = useState(new Map<string, string>());
  const linesRef = useRef(lines);
  linesRef.current = lines;
  const shownRef = useRef(shown);
  shownRef.current = shown;
  const load = useCallback((names: readonly string[]) => {
    if (names.length === 0) return;
    const asked = performance.now();
    fetchSparklines(15, 240, 28, names)
      .then((drawn) => {
        // One call's round trip (drawn in Rust, carried over IPC), and how many it drew.
        recordCost("sparkline-round-trip", performance.now() - asked);
        recordCost("sparklines", 0, drawn.length);
        setLines((current) => {
          const next = new Map(current);
          for (const line of drawn) next.set(line.service, line.svg);
          return next;
        });
      })
      .catch(() => setLines(new Map()));
  }, []);
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => load(shownRef.current), 5000);
    return () => clearInterval(timer);
  }, [enabled, load]);
  useEffect(() => {
    if (enabled) load(shown.filter((name) => !linesRef.current.has(name)));
  }, [enabled, load, shown]);
  return lines;
}

/** Why the history is not being written (disk full, read-only), as the console pushes it. */
function useHistoryProblem(enabled: boolean): string | null {
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (!enabled) return;
    watchStoreHealth(setProblem)
      .then(() => recordWatching("store-health"))
      .catch(() => setProblem(null));
  }, [enabled]);
  return problem;
}

/** True for a few seconds after Switchyard was launched again on this history. */
function useSecondLaunchNotice(): boolean {
  const [shownAt, setShownAt] = useState<number | null>(null);
  useEffect(() => {
    watchSecondLaunch(() => setShownAt(Date.now()))
      .then(() => recordWatching("second-launch"))
      .catch(() => undefined);
  }, []);
  useEffect(() => {
    if (shownAt === null) return;
    const timer = setTimeout(() => setShownAt(null), 8000);
    return () => clearTimeout(timer);
  }, [shownAt]);
  return shownAt !== null;
}

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
  const renderStarted = performance.now();
  const [session, setSession] = useState<SessionInfo | null>(null);
  // The fleet keyed by name; each batch replaces only the services it carries.
  const [fleet, setFleet] = useState<Fleet>(new Map());
  const services = useMemo(() => [...fleet.values()], [fleet]);
  const [groupBy, setGroupBy] = useState<GroupBy>("none");
  const [layout, setLayout] = useState<Layout>("tiles");
  const [listSort, setListSort] = useState<ListSort>("state");
  const [loadError, setLoadError] = useState<string | null>(null);
  const [view, setView] = useState<View>("overview");
  const [selected, setSelected] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const [range, setRange] = useState<RangeChoice>({ minutes: 15 });
  const [theme, setTheme] = useState<Theme>("dark");
  const [preferencesRead, setPreferencesRead] = useState(false);
  const [help, setHelp] = useState(false);
  // A service's Instances section: collapsed whenever another service is opened.
  const [instancesOpen, setInstancesOpen] = useState(false);
  useEffect(() => setInstancesOpen(false), [selected]);
  useEffect(() => trackPointer(), []);
  const filterInput = useRef<HTMLInputElement>(null);
  const pendingRender = useRef<(string | undefined)[]>([]);
  // The observation each service was last measured with: a batch that carries a
  // service for another reason (its stream's status changed) repeats an observation
  // already on screen, whose age is not the update path's latency.
  const measuredObservation = useRef(new Map<string, string>());
  const firstBatchSeen = useRef(false);
  const firstValueShown = useRef(false);
  const [alerts, setAlerts] = useState<AlertsState | null>(null);
  const [teamAlerts, setTeamAlerts] = useState<TeamAlerts | null>(null);
  const [resetTarget, setResetTarget] = useState<ResetTarget | null>(null);
  const [servicesOpen, setServicesOpen] = useState(false);
  const sessionRef = useRef<SessionInfo | null>(null);
  sessionRef.current = session;
  // The export takes what is on screen: the filtered services, and a paused or custom range.
  const exporter = useExport(() => ({
    services: filter.trim() === "" ? undefined : filterServices(services, filter).map((s) => s.name),
    sinceMs: range.untilMs === undefined ? undefined : range.untilMs - range.minutes * 60_000,
    untilMs: range.untilMs,
  }));
  const reloadAlerts = () => {
    fetchAlerts()
      .then(setAlerts)
      .catch(() => undefined);
  };
  const keyState = useRef(NO_KEYS);
  const groupingsRef = useRef<GroupBy[]>(["none"]);
  const now = useNow(1000);
  const [shownTiles, setShownTiles] = useState<readonly string[]>([]);
  const sparklines = useSparklines(session !== null && !session.error, shownTiles);
  const historyProblem = useHistoryProblem(session !== null && !session.error);
  // The theme and live range of the last start come back; changes are saved at once
  // (on the Rust side, so quitting right after loses nothing). A paused or custom
  // range is a look at the past: the last live one stays remembered.
  const rememberedRange = useRef(15);
  useEffect(() => {
    fetchPreferences()
      .then((p) => {
        setTheme(p.theme);
        setRange({ minutes: p.range_minutes });
        rememberedRange.current = p.range_minutes;
      })
      .catch(() => undefined)
      .finally(() => {
        setPreferencesRead(true);
        recordWatching("preferences");
      });
  }, []);
  useEffect(() => {
    if (!preferencesRead) return;
    if (range.untilMs === undefined && RANGES.some((r) => r.minutes === range.minutes)) rememberedRange.current = range.minutes;
    savePreferences({ theme, range_minutes: rememberedRange.current }).catch(() => undefined);
  }, [preferencesRead, theme, range.minutes, range.untilMs]);
  const launchedAgain = useSecondLaunchNotice();

  useEffect(() => {
    // Subscribe before the first read so no update falls between the two.
    recordMark("page started", Math.round(performance.timeOrigin));
    recordMark("scripts ran");
    watchFleet((update) => {
      const arrivedAt = Date.now();
      // The first batch is the fleet as it was when the page subscribed, much of it
      // observed while the page was loading: the state to start from, not updates.
      const initial = !firstBatchSeen.current;
      firstBatchSeen.current = true;
      if (initial) recordMark(`first batch (${update.services.length} services)`, arrivedAt);
      for (const service of update.services) {
        const observedAt = service.latest?.observed_at;
        if (!observedAt || measuredObservation.current.get(service.name) === observedAt) continue;
        measuredObservation.current.set(service.name, observedAt);
        if (initial) continue;
        pendingRender.current.push(observedAt);
        recordArrivalLatency(arrivedAt - Date.parse(observedAt));
      }
      recordCost("batch-services", 0, update.services.length);
      setFleet((current) => timed("apply-batch", () => applyBatch(current, update.services)));
    })
      .then(() => Promise.all([fetchSession(), fetchFleet()]))
      .then(([info, fleet]) => {
        recordMark(`fleet read (${fleet.length} services)`);
        setSession(info);
        setFleet((current) => mergeSnapshot(current, fleet));
      })
      .catch((e: unknown) => setLoadError(String(e)));
  }, []);

  // After each render (Preact runs effects after the next frame), how long the rendered
  // updates took from observation to screen, and when the first value was shown (read by
  // the end-to-end test and the window bench to measure the update path).
  useEffect(() => {
    const renderedAt = Date.now();
    if (!firstValueShown.current && [...fleet.values()].some((s) => Boolean(s.latest))) {
      firstValueShown.current = true;
      recordFirstValueShown(renderedAt);
    }
    for (const observedAt of pendingRender.current.splice(0)) {
      if (observedAt) recordUpdateLatency(renderedAt - Date.parse(observedAt));
    }
  }, [fleet]);

  useEffect(() => {
    // Alert changes arrive on their own channel; a clicked notification opens its service.
    watchAlerts((notice) => {
      if (notice.type === "changed") {
        setAlerts((current) => (current ? { ...current, active: notice.active, worst: notice.worst, recent: [...current.recent, ...notice.events].slice(-200) } : current));
      } else {
        setView("overview");
        setSelected(notice.service);
      }
    })
      .then(reloadAlerts)
      .catch(() => undefined);
  }, []);

  useEffect(() => {
    // The team's alerts (Alertmanager), when configured: each new read on its channel.
    watchTeamAlerts(setTeamAlerts).catch(() => undefined);
    // A new configuration applied (from the dialog or a saved edit) is a new console:
    // the page subscribes afresh to it; a refused edit only updates the banner.
    watchSession((info) => {
      if (sessionChange(sessionRef.current, info) === "reload") configEdits.whenIdle(() => window.location.reload());
      else setSession(info);
    })
      .then(() => recordWatching("session"))
      .catch(() => undefined);
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target?.tagName === "INPUT" || target?.tagName === "TEXTAREA";
      const [command, next] = interpret(event.key, keyState.current, typing);
      keyState.current = next;
      if (!command) return;
      event.preventDefault();
      switch (command.kind) {
        case "focus-filter":
          setView("overview");
          setSelected(null);
          filterInput.current?.focus();
          break;
        case "range": {
          const choice = RANGES[command.index];
          if (choice) setRange((r) => ({ minutes: choice.minutes, untilMs: r.untilMs }));
          break;
        }
        case "go":
          setView(command.view);
          setSelected(null);
          break;
        case "help":
          setHelp((h) => !h);
          break;
        case "back":
          if (help) setHelp(false);
          else if (selected) setSelected(null);
          else if (typing) target?.blur();
          break;
        case "export":
          exporter.start();
          break;
        case "services":
          setServicesOpen(true);
          break;
        case "toggle-instances":
          if (selected) keepUnderPointer(() => setInstancesOpen((o) => !o));
          break;
        case "toggle-theme":
          setTheme((t) => (t === "dark" ? "light" : "dark"));
          break;
        case "toggle-layout":
          setView("overview");
          setLayout((l) => (l === "tiles" ? "list" : "tiles"));
          break;
        case "next-grouping":
          setView("overview");
          setGroupBy((g) => {
            const choices = groupingsRef.current;
            return choices[(choices.indexOf(g) + 1) % choices.length] ?? "none";
          });
          break;
        case "next-sort":
          setListSort((s) => LIST_SORTS[(LIST_SORTS.indexOf(s) + 1) % LIST_SORTS.length] ?? "state");
          break;
        case "toggle-live":
          setRange((r) => (r.untilMs === undefined ? { minutes: r.minutes, untilMs: Date.now() } : { minutes: r.minutes }));
          break;
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [help, selected, exporter]);

  // Derived once per batch (and once a second, as ages move), never per tile.
  const active = alerts?.active;
  const teamCount = teamPill(teamAlerts);
  const alerting = useMemo(() => servicesWithFiringAlerts(active ?? []), [active]);
  const firing = useMemo(() => (active ?? []).filter((a) => a.phase === "firing").length, [active]);
  const summary = useMemo(() => timed("summary", () => summarize(services, now, firing)), [services, now, firing]);
  const groupings = useMemo(() => timed("groupings", () => groupingChoices(services)), [services]);
  groupingsRef.current = groupings;
  const overview = useMemo(() => timed("derive-overview", () => deriveOverview(fleet, now, alerting, filter, groupBy)), [fleet, now, alerting, filter, groupBy]);
  // The whole render of the window, children and DOM changes included: layout effects
  // run once the DOM is committed.
  useLayoutEffect(() => recordCost("render", performance.now() - renderStarted));
  const detail = selected ? fleet.get(selected) : undefined;
  const live = range.untilMs === undefined;
  return (
    <div class="shell">
      <header class="topbar">
        <h1>Switchyard</h1>
        <span class="source" title={session?.database ?? ""} data-testid="config-source">
          {session ? (session.demo ? "demo fleet" : session.config_source) : "starting…"}
        </span>
        <button class={session?.demo ? "primary" : ""} onClick={() => setServicesOpen(true)} title="w" data-testid="watch-own-services">
          {session?.demo ? "Watch your own services" : "Services"}
        </button>
        <nav class="tabs">
          <button class={view === "overview" && !detail ? "active" : ""} onClick={() => (setView("overview"), setSelected(null))} data-tab="overview">
            Overview
          </button>
          <button class={view === "breakers" && !detail ? "active" : ""} onClick={() => (setView("breakers"), setSelected(null))} data-tab="breakers">
            Breakers
          </button>
          <button class={view === "actions" && !detail ? "active" : ""} onClick={() => (setView("actions"), setSelected(null))} data-tab="actions">
            Actions
          </button>
          <button class={view === "alerts" && !detail ? "active" : ""} onClick={() => (setView("alerts"), setSelected(null), reloadAlerts())} data-tab="alerts">
            Alerts
            {(alerts?.active.length ?? 0) > 0 && (
              <span class={`pill ${severityTone(alerts?.worst)}`} data-testid="alert-count">
                {alerts?.active.length}
              </span>
            )}
            {teamCount && (
              <span class={`pill ${severityTone(teamCount.worst)}`} data-testid="team-alert-count" title="the team's alerts (Alertmanager) nobody has taken">
                team {teamCount.count}
              </span>
            )}
          </button>
        </nav>
        <span class="counts" data-testid="counts">
          <span class={`count ${summary.down > 0 ? "bad" : "quiet"}`} data-count="down">{summary.down} down</span>
          <span class={`count ${summary.openBreakers > 0 ? "bad" : "quiet"}`} data-count="open-breakers">{summary.openBreakers} open breaker{summary.openBreakers === 1 ? "" : "s"}</span>
          <span class={`count ${summary.degraded > 0 ? "warn" : "quiet"}`} data-count="degraded">{summary.degraded} degraded</span>
          <span class={`count ${summary.stale > 0 ? "warn" : "quiet"}`} data-count="stale">{summary.stale} stale</span>
          <span class={`count ${summary.firing > 0 ? "bad" : "quiet"}`} data-count="firing">{summary.firing} firing</span>
          <span class="count ok" data-count="total">{summary.total} service{summary.total === 1 ? "" : "s"}</span>
        </span>
      </header>
      <div class="toolbar">
        <input
          ref={filterInput}
          class="filter"
          placeholder="Filter by name, profile or tag  ( / )"
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          data-testid="filter"
        />
        <select value={groupBy} onChange={(e) => setGroupBy((e.target as HTMLSelectElement).value as GroupBy)} title="G" data-testid="group-by">
          {groupings.map((g) => (
            <option key={g} value={g}>
              {g === "none" ? "no grouping" : `group by ${groupingLabel(g)}`}
            </option>
          ))}
        </select>
        <button onClick={() => (setView("overview"), setLayout((l) => (l === "tiles" ? "list" : "tiles")))} title="v" data-testid="layout">
          {layout === "tiles" ? "≡ list" : "▦ tiles"}
        </button>
        <span class="ranges" data-testid="ranges">
          {RANGES.map((r, index) => (
            <button
              key={r.label}
              class={range.minutes === r.minutes ? "active" : ""}
              title={`key ${index + 1}`}
              data-range={r.minutes}
              onClick={() => setRange((current) => ({ minutes: r.minutes, untilMs: current.untilMs }))}
            >
              {r.label}
            </button>
          ))}
        </span>
        <CustomRange onPick={(r) => setRange(r)} />
        <button class={`live ${live ? "on" : ""}`} onClick={() => setRange((r) => (live ? { minutes: r.minutes, untilMs: Date.now() } : { minutes: r.minutes }))} title="p">
          {live ? "● live" : "❚❚ paused"}
        </button>
        <button onClick={exporter.start} disabled={exporter.running} title="e" data-testid="export-snapshot">
          Export snapshot
        </button>
        <button class="help-button" onClick={() => setHelp(true)} title="?">
          ?
        </button>
      </div>
      <ExportStatus state={exporter} />
      {loadError && <div class="banner error">Cannot reach the console's core: {loadError}</div>}
      {launchedAgain && (
        <div class="banner ok" data-testid="second-launch">
          Switchyard is already open on this history: this is that window.
        </div>
      )}
      {session?.warning && (
        <div class="banner warning" data-testid="session-warning">
          {session.warning}
        </div>
      )}
      {engineProblems(services).map((problem) => (
        <div class="banner warning" data-testid="engine-problem" key={problem}>
          {problem}
        </div>
      ))}
      {historyProblem && (
        <div class="banner warning" data-testid="history-problem">
          {historyProblem}
        </div>
      )}
      {session?.config_problem && (
        <div class="banner error" data-testid="config-problem">
          {session.config_problem}
        </div>
      )}
      {session?.error && (
        <div class="banner error" data-testid="session-error">
          {session.error}
        </div>
      )}
      <main>
        {detail ? (
          <Detail
            state={detail}
            range={range}
            theme={theme}
            now={now}
            instancesOpen={instancesOpen}
            onToggleInstances={() => keepUnderPointer(() => setInstancesOpen((o) => !o))}
            onReset={setResetTarget}
          />
        ) : view === "actions" ? (
          <ActionsPanel now={now} />
        ) : view === "alerts" ? (
          <>
            <TeamAlertsSection view={teamAlerts} now={now} />
            <AlertsPanel state={alerts} now={now} onChanged={reloadAlerts} />
          </>
        ) : view === "breakers" ? (
          <BreakerBoard states={services} range={range} theme={theme} now={now} onReset={setResetTarget} />
        ) : overview.ordered.length > 0 ? (
          <Overview
            data={overview}
            groupBy={groupBy}
            layout={layout}
            listSort={listSort}
            onListSort={setListSort}
            now={now}
            sparklines={sparklines}
            onSelect={setSelected}
            onReset={setResetTarget}
            onShown={setShownTiles}
          />
        ) : (
          !session?.error && <p class="empty">{services.length === 0 ? "No services yet. Waiting for the first polls…" : "No service matches the filter."}</p>
        )}
      </main>
      {servicesOpen && <ServicesDialog demo={session?.demo ?? false} configPath={session?.config_path} onClose={() => setServicesOpen(false)} />}
      {resetTarget && <ActionDialog target={resetTarget} state={fleet.get(resetTarget.service)} now={now} onClose={() => setResetTarget(null)} />}
      {help && (
        <div class="overlay" onClick={() => setHelp(false)} data-testid="help">
          <div class="help">
            <h2>Keyboard</h2>
            <dl>
              {SHORTCUTS.map(([key, what]) => (
                <div key={key}>
                  <dt>{key}</dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
            {session && <p class="version" data-testid="version">Switchyard {session.version}</p>}
          </div>
        </div>
      )}
    </div>
  );
}
