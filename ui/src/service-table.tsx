// One row per service: status, name, where it lives, how fast it answered, how old the
// value is, and what is wrong when something is.
import type { Breaker } from "./bindings/Breaker";
import type { Dependency } from "./bindings/Dependency";
import type { EndpointProblem } from "./bindings/EndpointProblem";
import type { ServiceState } from "./bindings/ServiceState";
import type { StreamStatus } from "./bindings/StreamStatus";
import { breakerTone, formatAge, formatLatency, formatRatio, headlines, isStale, statusView, streamView } from "./view";

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

function BreakerList({ breakers }: { breakers: Breaker[] }) {
  return (
    <ul class="breakers" data-testid="breakers">
      {breakers.map((b) => (
        <li class={`breaker ${breakerTone(b.state)}`} title={b.reason ?? b.since ?? ""} key={b.name} data-breaker={b.name} data-state={b.state}>
          <span class="breaker-name">{b.name}</span> {b.state.replace("_", " ")}
          {b.failure_rate !== undefined && <span class="dep-latency"> · fails {formatRatio(b.failure_rate)}</span>}
        </li>
      ))}
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

function ServiceRow({ state, now, onSelect }: { state: ServiceState; now: number; onSelect: (name: string) => void }) {
  const view = statusView(state);
  const stale = isStale(state, now);
  const shownHealth = state.latest?.health ?? state.last_good?.health;
  return (
    <tr class={`row ${stale ? "stale" : ""}`} onClick={() => onSelect(state.name)} data-service={state.name} data-status={view.word} data-poll-interval-ms={state.poll_interval_ms}>
      <td>
        <span class={`badge ${view.tone}`} data-testid="status">
          {view.word}
        </span>
      </td>
      <td>
        <div class="name">{state.name}</div>
        <div class="meta">
          {state.profile} · <span data-testid="base-url">{state.base_url}</span>
          {state.tags.map((t) => (
            <span class="tag" key={t}>
              {t}
            </span>
          ))}
        </div>
      </td>
      <td class="num">{formatLatency(state.latest?.reachability.kind === "reachable" ? state.latest.reachability.latency_ms : undefined)}</td>
      <td class="num" title={state.latest?.observed_at ?? ""}>
        {formatAge(state.latest?.observed_at, now)}
        {stale && <span class="flag"> stale</span>}
      </td>
      <td>
        {view.message && <div class="problem">{view.message}</div>}
        {view.stale && state.last_good && (
          <div class="meta">
            last good {formatAge(state.last_good.observed_at, now)}: {state.last_good.health?.status ?? "unknown"}
          </div>
        )}
        {headlines(state).length > 0 && (
          <div class="headlines">
            {headlines(state).map((h) => (
              <span class={`headline ${h.tone}`} key={h.label}>
                {h.label} <strong>{h.value}</strong>
              </span>
            ))}
          </div>
        )}
        {shownHealth?.dependencies && <DependencyList dependencies={shownHealth.dependencies} />}
        {state.last_good?.breakers && <BreakerList breakers={state.last_good.breakers} />}
        {state.streams && <StreamList streams={state.streams} now={now} />}
        {state.latest?.problems && <ProblemList problems={state.latest.problems} />}
      </td>
    </tr>
  );
}

export function ServiceTable({ services, now, onSelect }: { services: ServiceState[]; now: number; onSelect: (name: string) => void }) {
  return (
    <table class="services">
      <thead>
        <tr>
          <th>Status</th>
          <th>Service</th>
          <th class="num">Latency</th>
          <th class="num">Updated</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {services.map((s) => (
          <ServiceRow state={s} now={now} key={s.name} onSelect={onSelect} />
        ))}
      </tbody>
    </table>
  );
}
