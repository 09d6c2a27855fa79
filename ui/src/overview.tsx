// The overview at any size: services as tiles or as a compact one-line list, grouped by a
// tag key or the profile (each group with its counts and worst state, healthy groups
// collapsed unless opened), worst first. Large fleets are windowed: only what is on screen
// is in the DOM. While the pointer rests on it, the order is held so nothing moves under it.
import { memo } from "preact/compat";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ResetTarget } from "./action-dialog";
import type { ServiceState } from "./bindings/ServiceState";
import {
  type Group,
  type GroupBy,
  groupingLabel,
  groupOpen,
  type Held,
  holdGroups,
  inHeldOrder,
  estimateTileHeight,
  latencyOf,
  LIST_SORTS,
  type ListSort,
  openBreakerCount,
  type Overview as OverviewData,
  sortForList,
} from "./overview-model";
import { timed } from "./diagnostics";
import { instanceCountLabel } from "./instances-view";
import { ServiceTile } from "./service-tiles";
import { formatAge, formatLatency, hasNoInstances, isStale, statusView } from "./view";
import { useSize, VirtualList } from "./virtual-list";

export type Layout = "tiles" | "list";

/** Above this many services the overview is windowed (and tiles get a fixed height). */
export const WINDOW_ABOVE = 40;
const TILE_WIDTH = 392;
const TILE_GAP = 12;
const GROUP_ROW = 40;
const LIST_ROW = 30;

type Item =
  | { kind: "group"; key: string; group: Group; open: boolean }
  | { kind: "tiles"; key: string; services: ServiceState[]; height: number }
  | { kind: "row"; key: string; service: ServiceState };

const heightOf = (item: Item) => (item.kind === "group" ? GROUP_ROW : item.kind === "tiles" ? item.height + TILE_GAP : LIST_ROW);
const keyOf = (item: Item) => item.key;

/** The services of the tile rows among `items`. */
function servicesIn(items: readonly Item[]): string[] {
  const names: string[] = [];
  for (const item of items) if (item.kind === "tiles") for (const s of item.services) names.push(s.name);
  return names;
}

function GroupHeader({ group, open, onToggle }: { group: Group; open: boolean; onToggle: (name: string, open: boolean) => void }) {
  const tone = group.down > 0 || group.openBreakers > 0 ? "bad" : group.degraded > 0 || group.stale > 0 ? "warn" : group.ok > 0 ? "ok" : "unknown";
  return (
    <button class={`group-header ${tone}`} data-group={group.name} data-open={open ? "true" : "false"} data-worst={group.worst} onClick={() => onToggle(group.name, !open)}>
      <span class="caret">{open ? "▾" : "▸"}</span>
      <span class="name">{group.name}</span>
      <span class="meta" data-testid="group-counts">
        {group.services.length} services
        {group.down > 0 && <span class="count bad"> · {group.down} down</span>}
        {group.openBreakers > 0 && <span class="count bad"> · {group.openBreakers} open breakers</span>}
        {group.degraded > 0 && <span class="count warn"> · {group.degraded} degraded</span>}
        {group.stale > 0 && <span class="count warn"> · {group.stale} stale</span>}
        {group.ok > 0 && <span class="count ok"> · {group.ok} ok</span>}
      </span>
    </button>
  );
}

function ListRowView({ state, now, onSelect }: { state: ServiceState; now: number; onSelect: (name: string) => void }) {
  const view = statusView(state);
  const open = openBreakerCount(state);
  const stale = isStale(state, now);
  const instances = hasNoInstances(state) ? undefined : instanceCountLabel(state);
  return (
    <div class={`list-row ${view.tone}${stale ? " stale" : ""}`} data-list-service={state.name} data-status={view.word} data-observed-at={state.latest?.observed_at} onClick={() => onSelect(state.name)}>
      <span class={`badge ${view.tone}`}>{view.word}</span>
      <span class="name">
        {state.name}
        {instances && (
          <span class="meta instance-count" data-testid="instance-count">
            {" "}
            · {instances}
          </span>
        )}
      </span>
      <span class="meta list-profile">{state.profile}</span>
      <span class="num">{formatLatency(latencyOf(state))}</span>
      <span class="num">
        {formatAge(state.latest?.observed_at, now)}
        {stale && <span class="flag"> stale</span>}
      </span>
      <span class="num">{open > 0 && <span class="count bad">{open} open</span>}</span>
      <span class="meta list-problem">{view.message ?? ""}</span>
    </div>
  );
}

const ListRow = memo(ListRowView);

export function Overview({
  data,
  groupBy,
  layout,
  listSort,
  onListSort,
  now,
  sparklines,
  onSelect,
  onReset,
  onShown,
}: {
  data: OverviewData;
  groupBy: GroupBy;
  layout: Layout;
  listSort: ListSort;
  onListSort: (sort: ListSort) => void;
  now: number;
  sparklines: Map<string, string>;
  onSelect: (name: string) => void;
  onReset: (t: ResetTarget) => void;
  /** Told the services whose tiles are in the page, each time they change. */
  onShown?: (names: readonly string[]) => void;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const { width } = useSize(frame);
  const [choices, setChoices] = useState<ReadonlyMap<string, boolean>>(new Map());
  const [held, setHeld] = useState<Held | null>(null);
  const windowed = data.ordered.length > WINDOW_ABOVE;
  const columns = Math.max(1, Math.floor(width / TILE_WIDTH));
  const grouped = groupBy !== "none";

  const withSparklines = sparklines.size > 0;
  const items = useMemo(() => timed("overview-items", () => {
    const out: Item[] = [];
    const all: Group = { name: "", services: data.ordered, worst: 0, down: 0, degraded: 0, stale: 0, openBreakers: 0, ok: 0 };
    for (const group of holdGroups(grouped ? data.groups : [all], held)) {
      const open = !grouped || groupOpen(group, choices, held);
      if (grouped) out.push({ kind: "group", key: `group:${group.name}`, group, open });
      if (!open) continue;
      const members = layout === "list" ? (held ? inHeldOrder(sortForList(group.services, data.ranks, listSort), held.order) : sortForList(group.services, data.ranks, listSort)) : group.services;
      if (layout === "list") {
        for (const service of members) out.push({ kind: "row", key: `row:${service.name}`, service });
      } else if (windowed) {
        for (let i = 0; i < members.length; i += columns) {
          const row = members.slice(i, i + columns);
          // Every tile gets a sparkline once it comes on screen: size rows as if all had one.
          const height = Math.max(...row.map((m) => estimateTileHeight(m, withSparklines)));
          out.push({ kind: "tiles", key: `tiles:${group.name}:${members[i]?.name}`, services: row, height });
        }
      } else {
        out.push({ kind: "tiles", key: `tiles:${group.name}`, services: members, height: 0 });
      }
    }
    return out;
  }), [data, grouped, held, choices, layout, listSort, columns, windowed, withSparklines]);

  // Which services' tiles are in the page: all of them, or the window's range.
  const shownKey = useRef("");
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const tellShown = useCallback(
    (start: number, end: number) => {
      const names = layout === "tiles" ? servicesIn(itemsRef.current.slice(start, end)) : [];
      const key = names.join("\n");
      if (key === shownKey.current) return;
      shownKey.current = key;
      onShown?.(names);
    },
    [layout, onShown],
  );
  useEffect(() => {
    if (!windowed) tellShown(0, items.length);
  }, [windowed, items, tellShown]);

  const toggle = useCallback((name: string, open: boolean) => setChoices((c) => new Map(c).set(name, open)), []);
  const hold = () => {
    const order: string[] = [];
    const groups = new Set<string>();
    const open = new Set<string>();
    for (const item of items) {
      if (item.kind === "group") {
        groups.add(item.group.name);
        if (item.open) open.add(item.group.name);
      } else if (item.kind === "tiles") order.push(...item.services.map((s) => s.name));
      else order.push(item.service.name);
    }
    setHeld({ order, groups, open });
  };

  const render = (item: Item) => {
    if (item.kind === "group") return <GroupHeader group={item.group} open={item.open} onToggle={toggle} />;
    if (item.kind === "row") return <ListRow state={item.service} now={now} onSelect={onSelect} />;
    return (
      <div
        class={`tiles${windowed ? " fixed" : ""}`}
        data-testid="tiles"
        style={windowed ? { gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gridAutoRows: `${item.height}px` } : undefined}
      >
        {item.services.map((s) => (
          <ServiceTile state={s} now={now} key={s.name} sparkline={sparklines.get(s.name)} onSelect={onSelect} onReset={onReset} />
        ))}
      </div>
    );
  };

  return (
    <div class="overview" ref={frame} data-testid="overview" data-layout={layout} data-group-by={groupBy} data-held={held ? "true" : "false"}>
      {layout === "list" && (
        <div class="list-row list-head">
          <span>State</span>
          <span>Service</span>
          <span>Profile</span>
          <span class="num">Latency</span>
          <span class="num">Age</span>
          <span class="num">Breakers</span>
          <span>
            sort:{" "}
            {LIST_SORTS.map((s) => (
              <button key={s} class={`sort ${listSort === s ? "active" : ""}`} data-sort={s} onClick={() => onListSort(s)}>
                {s}
              </button>
            ))}
          </span>
        </div>
      )}
      {grouped && <div class="meta">grouped by {groupingLabel(groupBy)} · healthy groups collapsed (click to open)</div>}
      {windowed ? (
        <VirtualList
          items={items}
          heightOf={heightOf}
          keyOf={keyOf}
          render={render}
          testid="overview-window"
          onPointerEnter={hold}
          onPointerLeave={() => setHeld(null)}
          onRange={tellShown}
        />
      ) : (
        <div class="overview-all" onPointerEnter={hold} onPointerLeave={() => setHeld(null)}>
          {items.map((item) => (
            <div key={item.key}>{render(item)}</div>
          ))}
        </div>
      )}
    </div>
  );
}
