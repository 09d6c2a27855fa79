// One row per service: status, name, where it lives, how fast it answered, how old the
// value is, and what is wrong when something is.
import type { Dependency } from "./bindings/Dependency";
import type { ServiceState } from "./bindings/ServiceState";
import { formatAge, formatLatency, isStale, statusView } from "./view";

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

function ServiceRow({ state, now }: { state: ServiceState; now: number }) {
  const view = statusView(state);
  const stale = isStale(state, now);
  const shownHealth = state.latest?.health ?? state.last_good?.health;
  return (
    <tr class={stale ? "stale" : ""} data-service={state.name} data-status={view.word} data-poll-interval-ms={state.poll_interval_ms}>
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
        {shownHealth?.dependencies && <DependencyList dependencies={shownHealth.dependencies} />}
      </td>
    </tr>
  );
}

export function ServiceTable({ services, now }: { services: ServiceState[]; now: number }) {
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
          <ServiceRow state={s} now={now} key={s.name} />
        ))}
      </tbody>
    </table>
  );
}
