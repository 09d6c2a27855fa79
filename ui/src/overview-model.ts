// The overview's derived data, computed once per batch (or per second, for ages) and
// never per tile: the fleet keyed by name, the summary bar's counts, worst-first order,
// groups by a tag key or the profile, the compact list's sorts in natural order, and the
// order held while the pointer rests on a tile. Pure, so every rule is unit-tested.
import type { ServiceState } from "./bindings/ServiceState";
import { filterServices, isStale, severityRank, statusView } from "./view";
import { naturalCompare } from "./natural";

/** The fleet as the window holds it: one entry per service name. */
export type Fleet = ReadonlyMap<string, ServiceState>;

/** Applies one batch: a new map where only the services in the batch are new objects, so
 * memoized rows of the others do not render again. */
export function applyBatch(fleet: Fleet, batch: ServiceState[]): Fleet {
  if (batch.length === 0) return fleet;
  const next = new Map(fleet);
  for (const state of batch) next.set(state.name, state);
  return next;
}

/** Merges a full read of the fleet with what the channel already delivered: a service's
 * newer state (by its latest observation) wins, whichever way it arrived. */
export function mergeSnapshot(fleet: Fleet, snapshot: ServiceState[]): Fleet {
  const next = new Map(fleet);
  for (const state of snapshot) {
    const known = next.get(state.name);
    if (!known || observedMs(state) >= observedMs(known)) next.set(state.name, state);
  }
  return next;
}

export { naturalCompare };

/** The summary bar: what needs a look, across the whole fleet. */
export interface Summary {
  total: number;
  down: number;
  degraded: number;
  stale: number;
  ok: number;
  /** Breakers open or forced open, summed over every service. */
  openBreakers: number;
  /** Firing alerts (acknowledged or not), from the alerts state. */
  firing: number;
}

export function openBreakerCount(state: ServiceState): number {
  let open = 0;
  for (const b of state.last_good?.breakers ?? []) if (b.state === "open" || b.state === "forced_open") open += 1;
  return open;
}

export function summarize(services: Iterable<ServiceState>, nowMs: number, firing: number): Summary {
  const summary: Summary = { total: 0, down: 0, degraded: 0, stale: 0, ok: 0, openBreakers: 0, firing };
  for (const state of services) {
    summary.total += 1;
    const tone = statusView(state).tone;
    if (tone === "bad") summary.down += 1;
    else if (tone === "warn") summary.degraded += 1;
    else if (tone === "ok") summary.ok += 1;
    if (isStale(state, nowMs)) summary.stale += 1;
    summary.openBreakers += openBreakerCount(state);
  }
  return summary;
}

/** How the overview groups services: not at all, by profile, or by a tag key
 * (`team` from `team:payments`; `tag` for the first tag without a key). */
export type GroupBy = "none" | "profile" | `tag:${string}`;

/** The groupings this fleet offers: none, profile, then every tag key seen, in natural order. */
export function groupingChoices(services: Iterable<ServiceState>): GroupBy[] {
  const keys = new Set<string>();
  for (const state of services) {
    for (const tag of state.tags) {
      const colon = tag.indexOf(":");
      keys.add(colon > 0 ? tag.slice(0, colon) : "tag");
    }
  }
  return ["none", "profile", ...[...keys].sort(naturalCompare).map((k) => `tag:${k}` as GroupBy)];
}

export function groupingLabel(by: GroupBy): string {
  if (by === "none") return "no grouping";
  if (by === "profile") return "profile";
  return by.slice(4);
}

/** The group a service belongs to under `by`; services without the key share `(no KEY)`. */
export function groupOf(state: ServiceState, by: GroupBy): string {
  if (by === "none") return "";
  if (by === "profile") return state.profile;
  const key = by.slice(4);
  for (const tag of state.tags) {
    const colon = tag.indexOf(":");
    if (key === "tag" && colon <= 0) return tag;
    if (colon > 0 && tag.slice(0, colon) === key) return tag.slice(colon + 1);
  }
  return `(no ${key})`;
}

/** Ranks at or below this are problems (down, open breaker, firing alert, degraded, stale). */
export const PROBLEM_RANK = 4;

export interface Group {
  name: string;
  /** Worst first, then natural name order. */
  services: ServiceState[];
  /** The worst member's rank (see `severityRank`). */
  worst: number;
  down: number;
  degraded: number;
  stale: number;
  openBreakers: number;
  ok: number;
}

export interface Overview {
  /** The filtered services, worst first, then in natural name order. */
  ordered: ServiceState[];
  /** Each service's rank, for the list's state column and sort. */
  ranks: Map<string, number>;
  /** Groups, problems first (worst member, then natural name); one group when not grouping. */
  groups: Group[];
}

/** Everything the overview shows, derived in one pass over the fleet. */
export function deriveOverview(fleet: Fleet, nowMs: number, alerting: Set<string>, filter: string, by: GroupBy): Overview {
  const shown = filterServices([...fleet.values()], filter);
  const ranks = new Map<string, number>();
  for (const state of shown) ranks.set(state.name, severityRank(state, nowMs, alerting));
  const ordered = shown.sort((a, b) => (ranks.get(a.name) ?? 6) - (ranks.get(b.name) ?? 6) || naturalCompare(a.name, b.name));
  const byName = new Map<string, Group>();
  for (const state of ordered) {
    const name = groupOf(state, by);
    let group = byName.get(name);
    if (!group) {
      group = { name, services: [], worst: 6, down: 0, degraded: 0, stale: 0, openBreakers: 0, ok: 0 };
      byName.set(name, group);
    }
    group.services.push(state);
    const rank = ranks.get(state.name) ?? 6;
    group.worst = Math.min(group.worst, rank);
    const tone = statusView(state).tone;
    if (tone === "bad") group.down += 1;
    else if (tone === "warn") group.degraded += 1;
    else if (tone === "ok") group.ok += 1;
    if (isStale(state, nowMs)) group.stale += 1;
    group.openBreakers += openBreakerCount(state);
  }
  const groups = [...byName.values()].sort((a, b) => a.worst - b.worst || naturalCompare(a.name, b.name));
  return { ordered, ranks, groups };
}

/** The compact list's sorts. */
export type ListSort = "state" | "name" | "latency" | "age";

export const LIST_SORTS: ListSort[] = ["state", "name", "latency", "age"];

export function latencyOf(state: ServiceState): number | undefined {
  const r = state.latest?.reachability;
  return r?.kind === "reachable" ? r.latency_ms : undefined;
}

function observedMs(state: ServiceState): number {
  const at = state.latest?.observed_at;
  const ms = at === undefined ? Number.NaN : Date.parse(at);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/** Sorts a worst-first list for the compact list: state keeps it; name is natural order;
 * latency is slowest first (unknown last); age is oldest value first. */
export function sortForList(ordered: ServiceState[], ranks: Map<string, number>, sort: ListSort): ServiceState[] {
  if (sort === "state") return ordered;
  const copy = [...ordered];
  if (sort === "name") return copy.sort((a, b) => naturalCompare(a.name, b.name));
  if (sort === "latency") {
    return copy.sort((a, b) => (latencyOf(b) ?? -1) - (latencyOf(a) ?? -1) || naturalCompare(a.name, b.name));
  }
  return copy.sort((a, b) => observedMs(a) - observedMs(b) || (ranks.get(a.name) ?? 6) - (ranks.get(b.name) ?? 6) || naturalCompare(a.name, b.name));
}

/** What the pointer froze when it came to rest on the overview: the services' order as
 * laid out then, and which groups were open. */
export interface Held {
  order: readonly string[];
  /** The groups shown then, and which of them were open. */
  groups: ReadonlySet<string>;
  open: ReadonlySet<string>;
}

/** Whether a group shows its services: an explicit choice wins; while held, what was
 * open when the pointer arrived; otherwise only groups with a problem are open. */
export function groupOpen(group: Group, choices: ReadonlyMap<string, boolean>, held: Held | null = null): boolean {
  const chosen = choices.get(group.name);
  if (chosen !== undefined) return chosen;
  if (held?.groups.has(group.name)) return held.open.has(group.name);
  return group.worst <= PROBLEM_RANK;
}

function byHeldPosition<T extends { name: string }>(order: readonly string[]): (a: T, b: T) => number {
  const position = new Map(order.map((name, i) => [name, i]));
  return (a, b) => {
    const pa = position.get(a.name);
    const pb = position.get(b.name);
    if (pa === undefined || pb === undefined) return pa === undefined ? (pb === undefined ? 0 : 1) : -1;
    return pa - pb;
  };
}

/** Reorders `services` as `order` had them (the tile under the pointer stays put);
 * services not in it follow, in their fresh order (the sort is stable). */
export function inHeldOrder<T extends { name: string }>(services: readonly T[], order: readonly string[]): T[] {
  return [...services].sort(byHeldPosition<T>(order));
}

/** Groups as the held order had them: members in held order, groups by their first
 * held member; new groups and services after, in their fresh order. */
export function holdGroups(groups: readonly Group[], held: Held | null): Group[] {
  if (held === null) return [...groups];
  const position = new Map(held.order.map((name, i) => [name, i]));
  const first = (g: Group) => {
    let min = Number.POSITIVE_INFINITY;
    for (const s of g.services) min = Math.min(min, position.get(s.name) ?? Number.POSITIVE_INFINITY);
    return min;
  };
  const regrouped = groups.map((g) => ({ ...g, services: inHeldOrder(g.services, held.order) }));
  const firsts = new Map(regrouped.map((g) => [g.name, first(g)]));
  return regrouped.sort((a, b) => {
    const fa = firsts.get(a.name) ?? Number.POSITIVE_INFINITY;
    const fb = firsts.get(b.name) ?? Number.POSITIVE_INFINITY;
    return fa === fb ? 0 : fa < fb ? -1 : 1;
  });
}

/** Tallest and shortest a tile row may be in the windowed overview. */
export const TILE_MIN = 120;
export const TILE_MAX = 320;

/**
 * About how tall a service's tile is (px), from what it shows: header and meta lines,
 * the problem and last-good lines, figures, cache buttons, sparkline, and wrapped rows of
 * dependencies, breakers, streams and problems (about three chips a row). The windowed
 * overview sizes each row of tiles by its tallest member, within [TILE_MIN, TILE_MAX];
 * a tile that holds more scrolls inside itself.
 */
export function estimateTileHeight(state: ServiceState, hasSparkline: boolean): number {
  const chipRows = (n: number) => Math.ceil(n / 3) * 26;
  const good = state.last_good;
  const latest = state.latest;
  let height = 24 + 28 + 22; // padding and borders, header, meta line
  if (latest && latest.reachability.kind !== "reachable") height += 20 + (good ? 20 : 0);
  else if (state.replicas?.summary || state.replicas?.discovery_error || state.engine?.summary) height += 20;
  if ((good?.breakers?.length ?? 0) > 0 || (good?.samples?.length ?? 0) > 0) height += 22;
  if ((good?.actions ?? []).some((k) => k === "clear_cache" || k === "invalidate_cache_pattern")) height += 28;
  if (hasSparkline) height += 32;
  const health = latest?.health ?? good?.health;
  height += chipRows(health?.dependencies?.length ?? 0);
  // A combined breaker's chip also says how it stands across the instances: about two chips wide.
  height += chipRows((good?.breakers?.length ?? 0) * (state.replicas || (state.engine?.instances.length ?? 0) > 1 ? 2 : 1));
  height += chipRows(state.streams?.length ?? 0);
  height += (latest?.problems?.length ?? 0) * 18;
  return Math.min(TILE_MAX, Math.max(TILE_MIN, height));
}
