// A service as its instances: the replicas the console polls itself and the instances a
// team's engine reports read alike here, so the tile, the detail, the breaker board and
// the action dialog word them one way. A combined breaker says on how many instances it
// is in its state and how the others stand; the detail lists each instance, gone ones
// greyed (never down). Pure, so every rule is unit-tested.
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ActionPlan } from "./bindings/ActionPlan";
import type { BreakerState } from "./bindings/BreakerState";
import type { HealthStatus } from "./bindings/HealthStatus";
import type { Reachability } from "./bindings/Reachability";
import type { Sample } from "./bindings/Sample";
import type { ServiceState } from "./bindings/ServiceState";
import { naturalCompare } from "./natural";
import { outcomeText } from "./actions-view";
import { breakerTone, formatAge, formatLatency, formatRatio, type Tone } from "./view";

/** One instance of a service, whichever way it is known. */
export interface InstanceLike {
  /** `host:port` of a replica, or the engine's instance label. */
  id: string;
  health: HealthStatus;
  /** Its own poll's reachability (replicas only; an engine does not say). */
  reachability?: Reachability;
  breakers: [string, BreakerState][];
  samples: Sample[];
  /** Since when discovery no longer lists it. */
  goneSince?: string;
}

/** Each state's instances, read once: a state is never changed in place (a batch
 * replaces it), and a tile, its breakers and the board ask for them every second. */
const read = new WeakMap<ServiceState, readonly InstanceLike[]>();

/** A service's instances in natural order of their names: its replicas, else the
 * instances its team's engine reports; none for a service of one address. */
export function serviceInstances(state: ServiceState): readonly InstanceLike[] {
  const known = read.get(state);
  if (known) return known;
  const replicas = state.replicas?.instances.map(
    (r): InstanceLike => ({ id: r.id, health: r.health, reachability: r.reachability, breakers: r.breakers ?? [], samples: r.samples ?? [], goneSince: r.gone_since }),
  );
  const listed = replicas ?? (state.engine?.instances ?? []).map((i): InstanceLike => ({ id: i.name, health: i.health, breakers: i.breakers ?? [], samples: [] }));
  const sorted = listed.sort((a, b) => naturalCompare(a.id, b.id));
  read.set(state, sorted);
  return sorted;
}

/** Whether the service is made of instances worth counting: polled at several (however
 * many are left), or an engine's service of more than one. */
export function isMultiInstance(state: ServiceState): boolean {
  return state.replicas !== undefined || (state.engine?.instances.length ?? 0) > 1;
}

/** "3 instances", "1 instance · 2 gone", "no instances": beside the engine tag. */
export function instanceCountLabel(state: ServiceState): string | undefined {
  if (!isMultiInstance(state)) return undefined;
  const all = serviceInstances(state);
  const gone = all.filter((i) => i.goneSince !== undefined).length;
  const present = all.length - gone;
  const count = present === 0 ? "no instances" : `${present} instance${present === 1 ? "" : "s"}`;
  return gone > 0 ? `${count} · ${gone} gone` : count;
}

const HEALTH_RANK: Record<HealthStatus, number> = { down: 0, degraded: 1, unknown: 2, ok: 3 };
const HEALTH_TONE: Record<HealthStatus, Tone> = { ok: "ok", degraded: "warn", down: "bad", unknown: "unknown" };
const BREAKER_RANK: Record<BreakerState, number> = { open: 0, forced_open: 0, half_open: 1, unknown: 2, disabled: 3, metrics_only: 3, closed: 4 };

/** The Instances section's header: how many, and the worst state among those present. */
export function instancesHeader(state: ServiceState): { count: number; worst?: HealthStatus; tone: Tone; text: string } {
  const all = serviceInstances(state);
  const present = all.filter((i) => i.goneSince === undefined);
  const gone = all.length - present.length;
  const worst = present.map((i) => i.health).sort((a, b) => HEALTH_RANK[a] - HEALTH_RANK[b])[0];
  const parts = [present.length === 0 ? "none" : `${present.length} instance${present.length === 1 ? "" : "s"}`];
  if (worst !== undefined) {
    const count = present.filter((i) => i.health === worst).length;
    parts.push(worst === "ok" ? "all ok" : `worst: ${count} ${worst}`);
  }
  const open = present.filter((i) => i.breakers.some(([, s]) => s === "open" || s === "forced_open")).length;
  if (open > 0) parts.push(`${open} with a breaker open`);
  if (gone > 0) parts.push(`${gone} gone`);
  if (state.replicas?.discovery) parts.push(state.replicas.discovery);
  // No instance at all is a problem, not a quiet section.
  const tone = worst === undefined ? "bad" : HEALTH_TONE[worst];
  return { count: present.length, worst, tone, text: parts.join(" · ") };
}

/** A combined breaker across the instances: "open on 1 of 3" and "open 1 · closed 2". */
export interface BreakerSpread {
  aggregate: string;
  counts: { state: BreakerState | "unseen"; count: number; tone: Tone }[];
  text: string;
}

/** How the breaker `name`, in its combined `state`, stands on each present instance;
 * undefined for a service of one address. Instances that do not report it (not polled
 * yet, or without it) count as unseen. */
export function breakerSpread(state: ServiceState, name: string, combined: BreakerState): BreakerSpread | undefined {
  if (!isMultiInstance(state)) return undefined;
  const present = serviceInstances(state).filter((i) => i.goneSince === undefined);
  if (present.length === 0) return undefined;
  const counts = new Map<BreakerState | "unseen", number>();
  for (const instance of present) {
    const found = instance.breakers.find(([n]) => n === name)?.[1] ?? "unseen";
    counts.set(found, (counts.get(found) ?? 0) + 1);
  }
  const rank = (s: BreakerState | "unseen") => (s === "unseen" ? 5 : BREAKER_RANK[s]);
  const listed = [...counts.entries()]
    .map(([s, count]) => ({ state: s, count, tone: s === "unseen" ? ("unknown" as Tone) : breakerTone(s) }))
    .sort((a, b) => rank(a.state) - rank(b.state));
  const sharing = counts.get(combined) ?? 0;
  return {
    aggregate: `${combined.replace("_", " ")} on ${sharing} of ${present.length}`,
    counts: listed,
    text: listed.map((c) => `${c.state.replace("_", " ")} ${c.count}`).join(" · "),
  };
}

/** One row of the Instances section, as it reads. */
export interface InstanceRow {
  id: string;
  /** The health word, or "gone 2 min ago" for an instance discovery dropped. */
  word: string;
  tone: Tone;
  gone: boolean;
  /** Its latency, or the failure kind and message; empty when nothing is known. */
  reach: string;
  reachTone: Tone;
  breakers: { name: string; state: BreakerState; tone: Tone }[];
  /** Its own values: cache hit rate, queue depth. */
  figures: { label: string; value: string }[];
}

/** How one instance reads at `nowMs`. A gone instance is greyed with its age, never down. */
export function instanceRow(instance: InstanceLike, nowMs: number): InstanceRow {
  const gone = instance.goneSince !== undefined;
  const r = instance.reachability;
  const reach = r === undefined ? "" : r.kind === "reachable" ? formatLatency(r.latency_ms) : `${r.kind.replace("_", " ")}: ${r.message}`;
  const samples = new Map(instance.samples.map((s) => [s.series, s.value]));
  const figures: { label: string; value: string }[] = [];
  const hits = samples.get("cache.hit_rate");
  if (hits !== undefined) figures.push({ label: "cache hits", value: formatRatio(hits) });
  const depth = samples.get("queue.depth");
  if (depth !== undefined) {
    const capacity = samples.get("queue.capacity");
    figures.push({ label: "queue", value: capacity !== undefined ? `${depth} / ${capacity}` : `${depth}` });
  }
  return {
    id: instance.id,
    word: gone ? `gone ${formatAge(instance.goneSince, nowMs)}` : instance.health,
    tone: gone ? "unknown" : HEALTH_TONE[instance.health],
    gone,
    reach,
    reachTone: gone || r === undefined ? "unknown" : r.kind === "reachable" ? "ok" : "bad",
    breakers: instance.breakers.map(([name, s]) => ({ name, state: s, tone: gone ? "unknown" : breakerTone(s) })),
    figures,
  };
}

/** The rows while the pointer rests on the list: in the order they had when it came to
 * rest, each with its fresh values; a row dropped meanwhile keeps its last reading, new
 * rows follow. Nothing moves under the pointer. Without `held`, the fresh rows. */
export function holdInstances(fresh: readonly InstanceRow[], held: readonly InstanceRow[] | null): InstanceRow[] {
  if (held === null) return [...fresh];
  const byId = new Map(fresh.map((r) => [r.id, r]));
  const kept = held.map((r) => byId.get(r.id) ?? r);
  const seen = new Set(held.map((r) => r.id));
  return [...kept, ...fresh.filter((r) => !seen.has(r.id))];
}

/** What the action dialog lists before sending a plan of several instances. */
export interface PlannedInstances {
  /** "Sends 1 request to each of 2 of 3 instances:" */
  intro: string;
  /** Each instance the action goes to, with its breaker's current state when known. */
  rows: { id: string; state?: BreakerState; tone: Tone }[];
}

export function plannedInstances(plan: ActionPlan, state: ServiceState | undefined): PlannedInstances | undefined {
  const plans = plan.instances ?? [];
  if (plans.length === 0) return undefined;
  const present = state ? serviceInstances(state).filter((i) => i.goneSince === undefined).length : 0;
  const place = present > 0 ? `${plans.length} of ${present} instances` : plan.place;
  const intro = plans.length === 1 ? `Sends 1 request to ${place}:` : `Sends 1 request to each of ${place}:`;
  const known = new Map((state ? serviceInstances(state) : []).map((i) => [i.id, i]));
  const target = plan.request.target;
  const rows = plans.map((p) => {
    const id = p.request.instance ?? p.place;
    const found = target === undefined ? undefined : known.get(id)?.breakers.find(([n]) => n === target)?.[1];
    return { id, state: found, tone: found === undefined ? ("unknown" as Tone) : breakerTone(found) };
  });
  return { intro, rows };
}

/** Each instance's own outcome under the combined one: where, how, the HTTP code, and
 * the verification line. */
export function instanceOutcomes(outcome: ActionOutcome): { id: string; status: string; http?: number; text: string; tone: Tone }[] {
  return (outcome.instances ?? []).map((o) => {
    const line = outcomeText(o);
    return { id: o.request.instance ?? "?", status: o.status.replace("_", " "), http: o.http_status, text: line.text, tone: line.tone };
  });
}
