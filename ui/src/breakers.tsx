// The breaker board: every breaker of every service, readable the way Hystrix's tiles
// made breakers readable, sortable, with each one's state timeline over the range.
import { useState } from "preact/hooks";
import { breakerTimeline } from "./backend";
import type { ServiceState } from "./bindings/ServiceState";
import type { Theme } from "./bindings/Theme";
import { browserOffsetMinutes, Chart } from "./chart";
import type { RangeChoice } from "./detail";
import { ResetButton, type ResetTarget } from "./action-dialog";
import { boardRows, type BoardSort, breakerTone, formatAge, formatRatio, offersReset } from "./view";

/** A breaker's "since": an age when the service gave a time, else its words. */
function since(text: string | undefined, now: number): string {
  if (text === undefined) return "";
  return Number.isNaN(Date.parse(text)) ? text : formatAge(text, now);
}

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
  const resettable = new Set(states.filter(offersReset).map((s) => s.name));
  const [sort, setSort] = useState<BoardSort>("state");
  const rows = boardRows(states, sort);
  const header = (label: string, by: BoardSort, align = "") => (
    <th class={align}>
      <button class={`sort ${sort === by ? "active" : ""}`} onClick={() => setSort(by)}>
        {label}
      </button>
    </th>
  );
  return (
    <section class="board" data-testid="breaker-board">
      <Chart
        label="state timeline"
        live={range.untilMs === undefined}
        source={{
          key: `board/${range.minutes}/${range.untilMs ?? "live"}/${theme}/${rows.length}`,
          draw: (width) =>
            breakerTimeline({
              range: { minutes: range.minutes, until_ms: range.untilMs },
              canvas: { width, height: 0, theme, utc_offset_minutes: browserOffsetMinutes() },
            }).then((t) => ({ svg: t.svg })),
        }}
      />
      <table class="services">
        <thead>
          <tr>
            {header("Breaker", "name")}
            {header("State", "state")}
            {header("Failure rate", "failure_rate", "num")}
            <th class="num">Failures</th>
            <th class="num" title="calls refused while open, or calls in the window">Calls</th>
            <th class="num">Backoff</th>
            <th class="num">Health</th>
            <th>Since</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ service, breaker }) => (
            <tr key={`${service}/${breaker.name}`} data-board-breaker={`${service}/${breaker.name}`} data-state={breaker.state}>
              <td>
                <div class="name">{breaker.name}</div>
                <div class="meta">{service}</div>
              </td>
              <td>
                <span class={`badge ${breakerTone(breaker.state)}`}>{breaker.state.replace("_", " ")}</span>{" "}
                {resettable.has(service) ? (
                  <ResetButton service={service} breaker={breaker} onReset={onReset} />
                ) : (
                  <span class="meta" title="the service offers no reset (read-only profile, or allow_actions = false)">
                    read-only
                  </span>
                )}
              </td>
              <td class="num">{formatRatio(breaker.failure_rate) || "—"}</td>
              <td class="num">{breaker.failure_count ?? "—"}</td>
              <td class="num">{breaker.call_count ?? "—"}</td>
              <td class="num">{breaker.backoff_seconds !== undefined ? `${breaker.backoff_seconds} s` : "—"}</td>
              <td class="num">{breaker.health_score ?? "—"}</td>
              <td class="meta" title={breaker.since ?? ""}>
                {[breaker.reason, since(breaker.since, now)].filter(Boolean).join(" · ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p class="empty">No service reports breakers.</p>}
    </section>
  );
}
