// A service's instances on demand, in its detail: a section collapsed by default whose
// header says how many there are and the worst state among them, opened by a click or
// `i`. A row per instance in natural order: health (gone ones greyed with their age,
// never down), latency or why it could not be read, each breaker's state and its own
// values. Hundreds of instances are windowed; while the pointer rests on the rows their
// order is held, so an instance appearing or vanishing does not move the one under it.
import { memo } from "preact/compat";
import { useMemo, useState } from "preact/hooks";
import type { ServiceState } from "./bindings/ServiceState";
import { holdInstances, instanceRow, type InstanceRow, instancesHeader, serviceInstances } from "./instances-view";
import { VirtualList } from "./virtual-list";

/** Above this many rows the section is a windowed list of its own height. */
export const INSTANCES_WINDOW_ABOVE = 30;
const ROW = 32;

function InstanceLineView({ row }: { row: InstanceRow }) {
  return (
    <div class={`instance-row${row.gone ? " gone" : ""}`} data-instance={row.id} data-health={row.word}>
      <span class="name" title={row.id}>
        {row.id}
      </span>
      <span>
        <span class={`badge ${row.tone}`}>{row.word}</span>
      </span>
      <span class={`meta reach ${row.reachTone}`} title={row.reach}>
        {row.reach || "—"}
      </span>
      <span class="instance-breakers" title={row.breakers.map((b) => `${b.name} ${b.state.replace("_", " ")}`).join(", ")}>
        {row.breakers.map((b) => (
          <span class={`breaker ${b.tone}`} key={b.name} data-breaker={b.name} data-state={b.state}>
            {b.name} {b.state.replace("_", " ")}
          </span>
        ))}
      </span>
      <span class="meta">
        {row.figures.map((f) => (
          <span key={f.label}>
            {f.label} <strong>{f.value}</strong>{" "}
          </span>
        ))}
      </span>
    </div>
  );
}

const InstanceLine = memo(InstanceLineView);
const keyOf = (row: InstanceRow) => row.id;
const heightOf = () => ROW;

export function InstancesSection({ state, now, open, onToggle }: { state: ServiceState; now: number; open: boolean; onToggle: () => void }) {
  const header = instancesHeader(state);
  const fresh = useMemo(() => serviceInstances(state).map((i) => instanceRow(i, now)), [state, now]);
  const [held, setHeld] = useState<InstanceRow[] | null>(null);
  const rows = useMemo(() => holdInstances(fresh, held), [fresh, held]);
  const hold = () => setHeld(fresh);
  const release = () => setHeld(null);
  return (
    <section class="instances" data-testid="instances" data-open={open ? "true" : "false"}>
      <button class={`group-header ${header.tone}`} aria-expanded={open} onClick={onToggle} title="i" data-testid="instances-toggle">
        <span class="caret">{open ? "▾" : "▸"}</span>
        <span class="name">Instances</span>
        <span class="meta" data-testid="instances-summary">
          {header.text}
        </span>
      </button>
      {open &&
        (rows.length > INSTANCES_WINDOW_ABOVE ? (
          <div class="instances-window">
            <VirtualList items={rows} heightOf={heightOf} keyOf={keyOf} render={(row) => <InstanceLine row={row} />} testid="instances-window" onPointerEnter={hold} onPointerLeave={release} />
          </div>
        ) : (
          <div class="instance-rows" onPointerEnter={hold} onPointerLeave={release}>
            {rows.map((row) => (
              <InstanceLine row={row} key={row.id} />
            ))}
          </div>
        ))}
      {open && rows.length === 0 && <p class="empty">{state.replicas?.discovery_error ?? "No instances."}</p>}
    </section>
  );
}
