// One service up close: its health and dependencies, its breakers (combined across its
// instances, with the instances on demand), and a chart per series over the chosen range,
// with capacity, thresholds and events drawn in.
import { useState } from "preact/hooks";
import type { ResetTarget } from "./action-dialog";
import { ActionsPanel } from "./actions-panel";
import { breakerTimeline, seriesChart } from "./backend";
import type { ServiceState } from "./bindings/ServiceState";
import type { Theme } from "./bindings/Theme";
import { browserOffsetMinutes, Chart } from "./chart";
import { InstancesSection } from "./instances";
import { instanceCountLabel, isMultiInstance } from "./instances-view";
import { BreakerList } from "./service-tiles";
import { chartedSeries, formatAge, offersReset, resolutionNote, statusView } from "./view";

export interface RangeChoice {
  minutes: number;
  /** Absent: follow live. */
  untilMs?: number;
}

export function Detail({
  state,
  range,
  theme,
  now,
  instancesOpen = false,
  onToggleInstances = () => undefined,
  onReset,
}: {
  state: ServiceState;
  range: RangeChoice;
  theme: Theme;
  now: number;
  /** Whether the Instances section is open (`i` toggles it from the window). */
  instancesOpen?: boolean;
  onToggleInstances?: () => void;
  onReset?: (t: ResetTarget) => void;
}) {
  const view = statusView(state);
  const instances = instanceCountLabel(state);
  const breakers = state.last_good?.breakers ?? [];
  const live = range.untilMs === undefined;
  const rangeRequest = { minutes: range.minutes, until_ms: range.untilMs };
  const canvas = (width: number, height: number) => ({ width, height, theme, utc_offset_minutes: browserOffsetMinutes() });
  // A service polled at several instances can chart each one's values (kept as
  // `series@instance`) instead of their combination.
  const [perInstance, setPerInstance] = useState(false);
  const eachInstance = perInstance && (state.replicas?.instances.length ?? 0) > 0;
  const keyOf = (what: string) =>
    `${state.name}/${what}/${range.minutes}/${range.untilMs ?? "live"}/${theme}/${eachInstance ? "each" : "combined"}`;
  return (
    <section class="detail" data-testid="detail" data-service={state.name}>
      <header>
        <h2>{state.name}</h2>
        <span class={`badge ${view.tone}`}>{view.word}</span>
        <span class="meta">
          {state.profile} · {state.base_url}
          {instances && <span data-testid="instance-count"> · {instances}</span>} · updated {formatAge(state.latest?.observed_at, now)}
        </span>
      </header>
      {view.message && <p class="problem">{view.message}</p>}
      {breakers.length > 0 && isMultiInstance(state) && <BreakerList breakers={breakers} state={state} onReset={onReset && offersReset(state) ? onReset : undefined} />}
      {isMultiInstance(state) && <InstancesSection state={state} now={now} open={instancesOpen} onToggle={onToggleInstances} />}
      {(state.last_good?.service_alerts?.length ?? 0) > 0 && (
        <section class="service-alerts" data-testid="service-alerts">
          <h3>The service's own alerts</h3>
          <ul class="alerts">
            {state.last_good?.service_alerts?.map((a) => (
              <li key={a.metric} class="alert warn">
                <strong>{a.metric}</strong>{" "}
                <span class="meta">
                  {a.severity} · value {a.value ?? "?"} over {a.threshold ?? "?"}
                  {a.since && ` · since ${formatAge(a.since, now)}`}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {(state.last_good?.breakers?.length ?? 0) > 0 && (
        <Chart
          label="breakers"
          live={live}
          source={{
            key: keyOf("timeline"),
            draw: (width) =>
              breakerTimeline({ range: rangeRequest, canvas: canvas(width, 0), services: [state.name] }).then((t) => ({ svg: t.svg })),
          }}
        />
      )}
      <section>
        <h3 class="section-title">Actions on this service</h3>
        <ActionsPanel now={now} service={state.name} />
      </section>
      {state.replicas && (
        <div class="chart-choice">
          <button
            type="button"
            data-testid="chart-per-instance"
            aria-pressed={perInstance}
            onClick={() => setPerInstance(!perInstance)}
            title="Draw one line per instance, or the service's combination"
          >
            {perInstance ? "one line per instance" : "combined"}
          </button>
        </div>
      )}
      <div class="charts">
        {chartedSeries(state).map((series) => (
          <Chart
            key={series}
            label={series}
            live={live}
            source={{
              key: keyOf(series),
              draw: (width) =>
                seriesChart({ service: state.name, series, range: rangeRequest, canvas: canvas(width, 200), per_instance: eachInstance }).then((c) => ({
                  svg: c.svg,
                  note: resolutionNote(c.resolution, c.points),
                })),
            }}
          />
        ))}
      </div>
    </section>
  );
}
