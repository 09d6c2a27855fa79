// Pure presentation logic: how a service's state reads on screen. No DOM, no IPC, so
// every rule here is unit-tested. The UI never computes state: it only words it.
import type { Breaker } from "./bindings/Breaker";
import type { HealthStatus } from "./bindings/HealthStatus";
import type { ServiceState } from "./bindings/ServiceState";
import type { StreamStatus } from "./bindings/StreamStatus";
import { naturalCompare } from "./natural";

/** The colour family of a status badge. */
export type Tone = "ok" | "warn" | "bad" | "unknown";

export interface StatusView {
  /** What the badge says: a health word, or why the service could not be read. */
  word: string;
  tone: Tone;
  /** The reachability message, when the service could not be read. */
  message?: string;
  /** True when the health shown is the last good one, not a fresh one. */
  stale: boolean;
}

const HEALTH_TONE: Record<HealthStatus, Tone> = {
  ok: "ok",
  degraded: "warn",
  down: "bad",
  unknown: "unknown",
};

/** How a service's current state reads on its badge. */
export function statusView(state: ServiceState): StatusView {
  const latest = state.latest;
  if (!latest) {
    return { word: "waiting", tone: "unknown", stale: false };
  }
  if (hasNoInstances(state)) {
    // Nothing to poll is never healthy, whatever the combination's fields say.
    const reason = "message" in latest.reachability ? latest.reachability.message : undefined;
    return { word: "no instances", tone: "bad", message: joinNotes(reason, state.replicas?.discovery_error), stale: state.last_good !== undefined };
  }
  if (latest.reachability.kind !== "reachable") {
    return {
      word: latest.reachability.kind.replace("_", " "),
      tone: "bad",
      message: joinNotes(latest.reachability.message, replicaNote(state)),
      stale: state.last_good !== undefined,
    };
  }
  const status = latest.health?.status ?? "unknown";
  // A team's engine: why its values are stale, else how many instances are down; a
  // service polled at several instances: how many are down, and what discovery said.
  const message = state.engine?.stale?.reason ?? state.engine?.summary ?? replicaNote(state);
  return { word: status, tone: HEALTH_TONE[status], message, stale: false };
}

/** A service polled at several instances of which none is left (discovery found none,
 * or every one is gone): "no instances", shown as a problem. Before discovery first
 * answered there is no observation, and the service is only waiting. */
export function hasNoInstances(state: ServiceState): boolean {
  const replicas = state.replicas;
  if (replicas === undefined || state.latest === undefined) return false;
  return replicas.instances.every((i) => i.gone_since !== undefined);
}

/** What a service of several instances says about them: "1 of 3 instances down",
 * "no instances", and why discovery last failed. */
export function replicaNote(state: ServiceState): string | undefined {
  const replicas = state.replicas;
  if (replicas === undefined) return undefined;
  return joinNotes(replicas.summary, replicas.discovery_error);
}

/** Notes joined with " · ", each once (a discovery error may already be the reachability's message). */
function joinNotes(...notes: (string | undefined)[]): string | undefined {
  const out: string[] = [];
  for (const note of notes) if (note && !out.some((o) => o.includes(note))) out.push(note);
  return out.length > 0 ? out.join(" · ") : undefined;
}

/** What the window's banner says about the team's engines: one line per engine that
 * cannot be read, taken from the services it marked stale (each reason names it). */
export function engineProblems(states: Iterable<ServiceState>): string[] {
  const problems = new Set<string>();
  for (const state of states) {
    const reason = state.engine?.stale?.reason;
    if (reason?.startsWith("engine ")) problems.add(reason);
  }
  return [...problems].sort(naturalCompare);
}

/** Poll latency as shown: whole milliseconds below a second, seconds above. */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "4 s ago", "3 min ago", "2 h ago": the age of a value at a glance. */
export function formatAge(observedAt: string | undefined, nowMs: number): string {
  if (observedAt === undefined) return "never";
  const then = Date.parse(observedAt);
  if (Number.isNaN(then)) return "unknown";
  const seconds = Math.max(0, Math.round((nowMs - then) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A value is stale when no observation arrived for three poll intervals. */
export function isStale(state: ServiceState, nowMs: number): boolean {
  if (state.engine?.stale) return true;
  const observedAt = state.latest?.observed_at;
  if (observedAt === undefined) return false;
  return nowMs - Date.parse(observedAt) > 3 * state.poll_interval_ms;
}

/**
 * How bad a service is, 0 being the worst: down or unreadable, then an open breaker,
 * then an unhandled firing alert, then degraded, then stale data, then unknown, then fine
 * (the overview's order, README.md "The dashboard").
 */
export function severityRank(state: ServiceState, nowMs: number, alerting: Set<string> = new Set()): number {
  const tone = statusView(state).tone;
  if (tone === "bad") return 0;
  const breakers = state.last_good?.breakers ?? [];
  if (breakers.some((b) => b.state === "open" || b.state === "forced_open")) return 1;
  if (alerting.has(state.name)) return 2;
  if (tone === "warn") return 3;
  if (isStale(state, nowMs)) return 4;
  if (tone === "unknown") return 5;
  return 6;
}

/** Breaker states as their badge words and tones. */
const BREAKER_TONE: Record<string, Tone> = {
  closed: "ok",
  half_open: "warn",
  open: "bad",
  forced_open: "bad",
  disabled: "unknown",
  metrics_only: "unknown",
  unknown: "unknown",
};

export function breakerTone(state: string): Tone {
  return BREAKER_TONE[state] ?? "unknown";
}

/** "12.5 %" for a ratio; nothing when the service had no rate to give. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return "";
  if (ratio === 0) return "0 %";
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`;
}

/** The headline figures of a service, from the latest reachable observation. */
export interface Headline {
  label: string;
  value: string;
  tone: Tone;
}

export function headlines(state: ServiceState): Headline[] {
  const samples = new Map((state.last_good?.samples ?? []).map((s) => [s.series, s.value]));
  const out: Headline[] = [];
  const hitRate = samples.get("cache.hit_rate");
  if (hitRate !== undefined) {
    out.push({ label: "cache hits", value: formatRatio(hitRate), tone: hitRate < 0.7 ? "warn" : "ok" });
  }
  const depth = samples.get("queue.depth");
  if (depth !== undefined) {
    const capacity = samples.get("queue.capacity");
    const full = capacity !== undefined && capacity > 0 ? depth / capacity : undefined;
    out.push({
      label: "queue",
      value: capacity !== undefined ? `${depth} / ${capacity}` : `${depth}`,
      tone: full !== undefined && full >= 0.8 ? "bad" : "ok",
    });
  }
  const score = samples.get("health.score");
  if (score !== undefined) {
    out.push({ label: "health score", value: `${score}`, tone: score < 40 ? "bad" : score < 70 ? "warn" : "ok" });
  }
  return out;
}

/** How one stream session reads: a word, a tone, and the detail that matters. */
export function streamView(stream: StreamStatus, nowMs: number): Headline {
  const counted = stream.invalid + stream.unknown + stream.oversized;
  const extra = counted > 0 ? ` · ${counted} bad` : "";
  switch (stream.state) {
    case "live":
      return { label: "live", value: `${stream.messages_per_second} msg/s${extra}`, tone: "ok" };
    case "flooding":
      return { label: "flooding", value: `${stream.messages_per_second} msg/s · ${stream.dropped} dropped`, tone: "warn" };
    case "connecting":
      return { label: "connecting", value: "", tone: "unknown" };
    case "stale":
      return { label: "stale", value: stream.last_error ?? "silent", tone: "bad" };
    case "channel_full":
      return { label: "channel full", value: retryText(stream, nowMs), tone: "bad" };
    case "backing_off":
      return { label: "reconnecting", value: retryText(stream, nowMs), tone: "bad" };
  }
}

function retryText(stream: StreamStatus, nowMs: number): string {
  if (stream.retry_at === undefined) return stream.last_error ?? "";
  const seconds = Math.max(0, Math.ceil((Date.parse(stream.retry_at) - nowMs) / 1000));
  return `retry in ${seconds} s${stream.last_error ? ` · ${stream.last_error}` : ""}`;
}

/** The time ranges of the dashboard, in minutes, keyed 1–6. */
export const RANGES: { label: string; minutes: number }[] = [
  { label: "15 m", minutes: 15 },
  { label: "1 h", minutes: 60 },
  { label: "6 h", minutes: 360 },
  { label: "24 h", minutes: 1440 },
  { label: "7 d", minutes: 10080 },
  { label: "30 d", minutes: 43200 },
];

/** Services whose name, profile or tags contain the filter text (case-insensitive). */
export function filterServices(states: ServiceState[], text: string): ServiceState[] {
  const needle = text.trim().toLowerCase();
  if (needle === "") return states;
  return states.filter(
    (s) => s.name.toLowerCase().includes(needle) || s.profile.includes(needle) || s.tags.some((t) => t.toLowerCase().includes(needle)),
  );
}

/** One row of the breaker board. */
export interface BoardRow {
  service: string;
  breaker: Breaker;
}

export type BoardSort = "state" | "failure_rate" | "name";

const STATE_RANK: Record<string, number> = { open: 0, forced_open: 0, half_open: 1, unknown: 2, disabled: 3, metrics_only: 3, closed: 4 };



/** Every breaker of every service, sorted for the board: by state is worst first, by
 * failure rate highest first, ties and by name in natural order (service, then breaker). */
export function boardRows(states: ServiceState[], sort: BoardSort): BoardRow[] {
  const rows = states.flatMap((s) => (s.last_good?.breakers ?? []).map((breaker) => ({ service: s.name, breaker })));
  const byName = (a: BoardRow, b: BoardRow) => naturalCompare(a.service, b.service) || naturalCompare(a.breaker.name, b.breaker.name);
  return rows.sort((a, b) => {
    if (sort === "name") return byName(a, b);
    if (sort === "failure_rate") {
      const diff = (b.breaker.failure_rate ?? -1) - (a.breaker.failure_rate ?? -1);
      return diff !== 0 ? diff : byName(a, b);
    }
    const diff = (STATE_RANK[a.breaker.state] ?? 2) - (STATE_RANK[b.breaker.state] ?? 2);
    return diff !== 0 ? diff : byName(a, b);
  });
}

/** The board's state filter: every breaker, or those open (forced open included), half
 * open, closed, or in any other state (disabled, metrics only, unknown). */
export type BoardStateFilter = "all" | "open" | "half_open" | "closed" | "other";

export const BOARD_STATE_FILTERS: BoardStateFilter[] = ["all", "open", "half_open", "closed", "other"];

export function breakerMatches(state: string, filter: BoardStateFilter): boolean {
  switch (filter) {
    case "all":
      return true;
    case "open":
      return state === "open" || state === "forced_open";
    case "half_open":
    case "closed":
      return state === filter;
    case "other":
      return !["open", "forced_open", "half_open", "closed"].includes(state);
  }
}

/** The series worth charting first for a service, then the rest by name. */
export function chartedSeries(state: ServiceState): string[] {
  const first = ["cache.hit_rate", "queue.depth", "queue.throughput_per_second", "system.cpu_percent", "health.score"];
  const names = [...new Set((state.last_good?.samples ?? []).map((s) => s.series))];
  const skip = new Set(["queue.capacity", "queue.backpressure"]);
  const leading = first.filter((n) => names.includes(n));
  const rest = names.filter((n) => !first.includes(n) && !skip.has(n)).sort(naturalCompare);
  return [...leading, ...rest];
}

/** "2 open · 1 half open · 5 closed": a service's breakers counted by state, worst first. */
export function breakerCounts(state: ServiceState): { state: string; count: number; tone: Tone }[] {
  const counts = new Map<string, number>();
  for (const b of state.last_good?.breakers ?? []) counts.set(b.state, (counts.get(b.state) ?? 0) + 1);
  return [...counts.entries()]
    .map(([s, count]) => ({ state: s, count, tone: breakerTone(s) }))
    .sort((a, b) => (STATE_RANK[a.state] ?? 2) - (STATE_RANK[b.state] ?? 2));
}

/** A custom range from two `datetime-local` values (local time), or why it is not one. */
export function customRange(from: string, until: string): { minutes: number; untilMs: number } | string {
  const start = Date.parse(from);
  const end = Date.parse(until);
  if (Number.isNaN(start) || Number.isNaN(end)) return "pick both a start and an end";
  if (end <= start) return "the end must come after the start";
  return { minutes: Math.max(1, Math.round((end - start) / 60_000)), untilMs: end };
}

/** Whether the service offers breaker resets (its profile has them and the config allows actions). */
export function offersReset(state: ServiceState): boolean {
  return (state.last_good?.actions ?? []).includes("reset_breaker");
}

/** What a chart's data are: raw samples, or roll-ups drawn as their mean with the
 * min–max band (so a reader knows a flat line may hide short spikes the band shows). */
export function resolutionNote(resolution: string, points: number): string {
  const count = `${points.toLocaleString("en")} point${points === 1 ? "" : "s"}`;
  switch (resolution) {
    case "minute":
      return `1-minute roll-ups: mean, min–max band · ${count}`;
    case "hour":
      return `1-hour roll-ups: mean, min–max band · ${count}`;
    default:
      // Past the local history: read from the team's engine, its warnings included.
      if (resolution.startsWith("engine ")) return `from ${resolution} · ${count}`;
      return `raw samples · ${count}`;
  }
}
