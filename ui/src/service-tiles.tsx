// One tile per service: status, name, where it lives, how fast it answered, how old the
// value is, its breakers and headline figures, the last minutes' shape, and what is wrong.
// A tile renders again only when its service's state, the second, or its sparkline changed.
import { memo } from "preact/compat";
import { ResetButton, type ResetTarget } from "./action-dialog";
import type { ActionKind } from "./bindings/ActionKind";
import { recordCost } from "./diagnostics";
import type { Breaker } from "./bindings/Breaker";
import type { Dependency } from "./bindings/Dependency";
import type { EndpointProblem } from "./bindings/EndpointProblem";
import type { ServiceState } from "./bindings/ServiceState";
import type { StreamStatus } from "./bindings/StreamStatus";
import { breakerSpread, instanceCountLabel } from "./instances-view";
import { breakerCounts, breakerTone, hasNoInstances, offersReset, formatAge, formatLatency, formatRatio, headlines, isStale, statusView, streamView } from "./view";

function StreamList({ streams, now }: { streams: StreamStatus[]; now: number }) {
  return (
    <ul class="streams">
      {streams.map((stream) => {
        const view = streamView(stream, now);
        return (
          <li class={`stream ${view.tone}`} key={stream.path} data-stream={stream.path} data-state={stream.state} title={stream.last_error ?? ""}>
            {stream.path} <strong>{view.label}</strong>
            {view.value && <span class="dep-latency"> · {view.value}</span>}
          </li>
        );
      })}
    </ul>
  );
}

/** A service's breakers as chips; on a service of several instances each says on how
 * many it is in its state ("open on 1 of 3") and how the others stand ("open 1 · closed 2"). */
export function BreakerList({
  breakers,
  state,
  onReset,
  extraKinds,
}: {
  breakers: Breaker[];
  state: ServiceState;
  onReset?: (t: ResetTarget) => void;
  extraKinds?: ActionKind[];
}) {
  const service = state.name;
  return (
    <ul class="breakers" data-testid="breakers">
      {breakers.map((b) => {
        const spread = breakerSpread(state, b.name, b.state);
        return (
          <li class={`breaker ${breakerTone(b.state)}`} title={spread?.text ?? b.reason ?? b.since ?? ""} key={b.name} data-breaker={b.name} data-state={b.state} data-aggregate={spread?.aggregate}>
            <span class="breaker-name">{b.name}</span> {spread ? <span data-testid="breaker-aggregate">{spread.aggregate}</span> : b.state.replace("_", " ")}
            {spread && spread.counts.length > 1 && <span class="dep-latency" data-testid="breaker-spread"> ({spread.text})</span>}
            {b.failure_rate !== undefined && <span class="dep-latency"> · fails {formatRatio(b.failure_rate)}</span>}
            {onReset && <ResetButton service={service} breaker={b} onReset={onReset} />}
            {onReset && extraKinds?.map((kind) => <ResetButton key={kind} service={service} breaker={b} kind={kind} onReset={onReset} />)}
          </li>
        );
      })}
    </ul>
  );
}

function ProblemList({ problems }: { problems: EndpointProblem[] }) {
  return (
    <ul class="problems">
      {problems.map((p) => (
        <li class="problem" key={p.endpoint}>
          {p.endpoint}: {"message" in p.reachability ? p.reachability.message : p.reachability.kind}
        </li>
      ))}
    </ul>
  );
}

function DependencyList({ dependencies }: { dependencies: Dependency[] }) {
  return (
    <ul class="deps">
      {dependencies.map((d) => (
        <li class={`dep ${d.status}${d.slow ? " slow" : ""}`} title={d.error ?? ""} key={d.name}>
          {d.name}
          {d.latency_ms !== undefined && <span class="dep-latency"> {formatLatency(d.latency_ms)}</span>}
          {d.slow && <span class="flag"> slow</span>}
          {d.error && <span class="dep-error"> · {d.error}</span>}
        </li>
      ))}
    </ul>
  );
}

function ServiceTileView({
  state,
  now,
  sparkline,
  onSelect,
  onReset,
}: {
  state: ServiceState;
  now: number;
  sparkline?: string;
  onSelect: (name: string) => void;
  onReset: (t: ResetTarget) => void;
}) {
  recordCost("tile-renders", 0);
  const view = statusView(state);
  const stale = isStale(state, now);
  const shownHealth = state.latest?.health ?? state.last_good?.health;
  const latency = state.latest?.reachability.kind === "reachable" ? state.latest.reachability.latency_ms : undefined;
  const cacheActions = (state.last_good?.actions ?? []).filter((k) => k === "clear_cache" || k === "invalidate_cache_pattern");
  // The badge already says "no instances".
  const instances = hasNoInstances(state) ? undefined : instanceCountLabel(state);
  return (
    <article
      class={`tile ${view.tone} ${stale ? "stale" : ""}`}
      onClick={() => onSelect(state.name)}
      data-service={state.name}
      data-status={view.word}
      data-poll-interval-ms={state.poll_interval_ms}
      data-observed-at={state.latest?.observed_at}
      data-instances={state.replicas?.instances.map((i) => i.base_url).join(" ")}
    >
      <header>
        <span class={`badge ${view.tone}`} data-testid="status">
          {view.word}
        </span>
        <span class="name">{state.name}</span>
        <span class="age" title={state.latest?.observed_at ?? ""}>
          {formatLatency(latency)} · {formatAge(state.latest?.observed_at, now)}
          {stale && <span class="flag"> stale</span>}
        </span>
      </header>
      <div class="meta">
        {state.profile} · <span data-testid="base-url">{state.base_url}</span>
        {state.engine && (
          <span class="tag" data-testid="engine">
            via {state.engine.engine}
          </span>
        )}
        {instances && (
          <span class="tag instance-count" data-testid="instance-count" title={state.replicas?.discovery ?? ""}>
            {instances}
          </span>
        )}
        {state.tags.map((t) => (
          <span class="tag" key={t}>
            {t}
          </span>
        ))}
      </div>
      {view.message && <div class="problem">{view.message}</div>}
      {view.stale && state.last_good && (
        <div class="meta">
          last good {formatAge(state.last_good.observed_at, now)}: {state.last_good.health?.status ?? "unknown"}
        </div>
      )}
      <div class="figures">
        {breakerCounts(state).map((c) => (
          <span class={`headline ${c.tone}`} key={c.state}>
            <strong>{c.count}</strong> {c.state.replace("_", " ")}
          </span>
        ))}
        {headlines(state).map((h) => (
          <span class={`headline ${h.tone}`} key={h.label}>
            {h.label} <strong>{h.value}</strong>
          </span>
        ))}
      </div>
      {cacheActions.length > 0 && (
        <div>
          {cacheActions.map((kind) => (
            <ResetButton service={state.name} kind={kind} onReset={onReset} key={kind} />
          ))}
        </div>
      )}
      {sparkline && <div class="sparkline" dangerouslySetInnerHTML={{ __html: sparkline }} />}
      {shownHealth?.dependencies && <DependencyList dependencies={shownHealth.dependencies} />}
      {state.last_good?.breakers && (
        <BreakerList
          breakers={state.last_good.breakers}
          state={state}
          onReset={offersReset(state) ? onReset : undefined}
          extraKinds={(state.last_good.actions ?? []).filter((k) => k === "force_open_breaker" || k === "disable_breaker")}
        />
      )}
      {state.streams && <StreamList streams={state.streams} now={now} />}
      {state.latest?.problems && <ProblemList problems={state.latest.problems} />}
    </article>
  );
}

export const ServiceTile = memo(ServiceTileView);
