// The breaker board: every breaker of every service, readable the way Hystrix's tiles
// made breakers readable, sortable (worst first by default), filtered by state and by a
// service group, with each one's state timeline over the range. Thousands of breakers
// are windowed: only the rows on screen are in the DOM.
import { memo } from "preact/compat";
import { useMemo, useState } from "preact/hooks";
import { breakerTimeline } from "./backend";
import type { ServiceState } from "./bindings/ServiceState";
import type { Theme } from "./bindings/Theme";
import { browserOffsetMinutes, Chart } from "./chart";
import type { RangeChoice } from "./detail";
import { ResetButton, type ResetTarget } from "./action-dialog";
import type { Breaker } from "./bindings/Breaker";
import { type GroupBy, groupingChoices, groupingLabel, groupOf, naturalCompare } from "./overview-model";
import { BOARD_STATE_FILTERS, boardRows, type BoardRow, type BoardSort, type BoardStateFilter, breakerMatches, breakerTone, formatAge, formatRatio, offersReset } from "./view";
import { VirtualList } from "./virtual-list";
import { breakerSpread, type BreakerSpread } from "./instances-view";

const ROW = 46;

/** A breaker's "since": an age when the service gave a time, else its words. */
function since(text: string | undefined, now: number): string {
  if (text === undefined) return "";
  return Number.isNaN(Date.parse(text)) ? text : formatAge(text, now);
}

/** A group of services the board can be narrowed to: a grouping and one of its groups. */
interface GroupChoice {
  value: string;
  by: GroupBy;
  name: string;
}

function groupChoices(states: ServiceState[]): GroupChoice[] {
  const out: GroupChoice[] = [];
  for (const by of groupingChoices(states)) {
    if (by === "none") continue;
    const names = [...new Set(states.map((s) => groupOf(s, by)))].sort(naturalCompare);
    for (const name of names) out.push({ value: `${by}=${name}`, by, name });
  }
  return out;
}

function BoardLineView({
  service,
  breaker,
  spread,
  resettable,
  now,
  onReset,
}: {
  service: string;
  breaker: Breaker;
  /** On a service of several instances: on how many it is in its state, and the others. */
  spread?: BreakerSpread;
  resettable: boolean;
  now: number;
  onReset: (t: ResetTarget) => void;
}) {
  return (
    <div class="board-row" data-board-breaker={`${service}/${breaker.name}`} data-state={breaker.state}>
      <span>
        <div class="name">{breaker.name}</div>
        <div class="meta">{service}</div>
      </span>
      <span>
        <span class={`badge ${breakerTone(breaker.state)}`}>{breaker.state.replace("_", " ")}</span>{" "}
        {resettable ? (
          <ResetButton service={service} breaker={breaker} onReset={onReset} />
        ) : (
          <span class="meta" title="the service offers no reset (read-only profile, or allow_actions = false)">
            read-only
          </span>
        )}
        {spread && (
          <div class="meta" data-testid="board-aggregate">
            {spread.aggregate}
          </div>
        )}
      </span>
      <span class="num">{formatRatio(breaker.failure_rate) || "—"}</span>
      <span class="num">{breaker.failure_count ?? "—"}</span>
      <span class="num">{breaker.call_count ?? "—"}</span>
      <span class="num">{breaker.backoff_seconds !== undefined ? `${breaker.backoff_seconds} s` : "—"}</span>
      <span class="num">{breaker.health_score ?? "—"}</span>
      <span class="meta" title={breaker.since ?? ""} data-testid={spread ? "board-spread" : undefined}>
        {/* A combined breaker: how it stands on each instance, in place of the core's reason. */}
        {[spread ? spread.text : breaker.reason, since(breaker.since, now)].filter(Boolean).join(" · ")}
      </span>
    </div>
  );
}

const BoardLine = memo(BoardLineView);

const rowKey = (r: BoardRow) => `${r.service}/${r.breaker.name}`;
const rowHeight = () => ROW;

export function BreakerBoard({
  states,
  range,
  theme,
  now,
  onReset,
}: {
  states: ServiceState[];
  range: RangeChoice;
  theme: Theme;
  now: number;
  onReset: (t: ResetTarget) => void;
}) {
  const resettable = useMemo(() => new Set(states.filter(offersReset).map((s) => s.name)), [states]);
  const [sort, setSort] = useState<BoardSort>("state");
  const [stateFilter, setStateFilter] = useState<BoardStateFilter>("all");
  const [group, setGroup] = useState("");
  const groups = useMemo(() => groupChoices(states), [states]);
  const allRows = useMemo(() => boardRows(states, sort), [states, sort]);
  // Each combined breaker's spread over its service's instances, once per fleet change.
  const spreads = useMemo(() => {
    const byName = new Map(states.map((s) => [s.name, s]));
    const out = new Map<string, BreakerSpread>();
    for (const r of allRows) {
      const state = byName.get(r.service);
      const spread = state && breakerSpread(state, r.breaker.name, r.breaker.state);
      if (spread) out.set(rowKey(r), spread);
    }
    return out;
  }, [states, allRows]);
  const rows = useMemo(() => {
    const choice = groups.find((g) => g.value === group);
    const members = choice ? new Set(states.filter((s) => groupOf(s, choice.by) === choice.name).map((s) => s.name)) : null;
    return allRows.filter((r) => breakerMatches(r.breaker.state, stateFilter) && (members === null || members.has(r.service)));
  }, [allRows, stateFilter, group, groups, states]);
  const header = (label: string, by: BoardSort, align = "") => (
    <span class={align}>
      <button class={`sort ${sort === by ? "active" : ""}`} onClick={() => setSort(by)}>
        {label}
      </button>
    </span>
  );
  return (
    <section class="board" data-testid="breaker-board">
      <Chart
        label="state timeline"
        live={range.untilMs === undefined}
        source={{
          key: `board/${range.minutes}/${range.untilMs ?? "live"}/${theme}/${allRows.length}`,
          draw: (width) =>
            breakerTimeline({
              range: { minutes: range.minutes, until_ms: range.untilMs },
              canvas: { width, height: 0, theme, utc_offset_minutes: browserOffsetMinutes() },
            }).then((t) => ({ svg: t.svg })),
        }}
      />
      <div class="board-filters">
        {BOARD_STATE_FILTERS.map((f) => (
          <button key={f} class={`sort ${stateFilter === f ? "active" : ""}`} data-board-filter={f} onClick={() => setStateFilter(f)}>
            {f.replace("_", " ")}
          </button>
        ))}
        <select value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value)} data-testid="board-group">
          <option value="">every service</option>
          {groups.map((g) => (
            <option key={g.value} value={g.value}>
              {groupingLabel(g.by)}: {g.name}
            </option>
          ))}
        </select>
        <span class="meta" data-testid="board-count">
          {rows.length} of {allRows.length} breakers
        </span>
      </div>
      <div class="board-row board-head">
        {header("Breaker", "name")}
        {header("State", "state")}
        {header("Failure rate", "failure_rate", "num")}
        <span class="num">Failures</span>
        <span class="num" title="calls refused while open, or calls in the window">
          Calls
        </span>
        <span class="num">Backoff</span>
        <span class="num">Health</span>
        <span title="since when, as the service said; for a service of several instances, how the breaker stands on each">Since / instances</span>
      </div>
      <VirtualList
        items={rows}
        heightOf={rowHeight}
        keyOf={rowKey}
        testid="board-rows"
        render={(r) => <BoardLine service={r.service} breaker={r.breaker} spread={spreads.get(rowKey(r))} resettable={resettable.has(r.service)} now={now} onReset={onReset} />}
      />
      {allRows.length === 0 && <p class="empty">No service reports breakers.</p>}
    </section>
  );
}
