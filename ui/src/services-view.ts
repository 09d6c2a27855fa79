// The "watch your own services" dialog's logic, pure so it is unit-tested without a DOM:
// what a probe saw in a few lines, a header value's kind (reference, harmless literal,
// or a secret that must go to the keyring), and the dialog's form as the entry the core
// writes into the configuration file.
import type { ProbeReport } from "./bindings/ProbeReport";
import type { ServiceEntry } from "./bindings/ServiceEntry";
import type { SessionInfo } from "./bindings/SessionInfo";

/** What the probe read, as the dialog shows it. */
export interface ProbeView {
  reachable: boolean;
  /** The detected (or given) profile; `unknown` when none fits. */
  profile: string;
  /** `reachable`, or the reachability kind (`refused`, `timeout`, `unauthorized`…). */
  kind: string;
  /** What was read (health, breakers, samples), or precisely why nothing could be. */
  lines: string[];
}

export function probeView(report: ProbeReport): ProbeView {
  const o = report.observation;
  const r = o.reachability;
  if (r.kind !== "reachable") {
    return { reachable: false, profile: o.profile, kind: r.kind, lines: [r.message] };
  }
  const lines: string[] = [];
  lines.push(`answered in ${Math.round(r.latency_ms)} ms`);
  if (o.health) {
    const deps = o.health.dependencies?.length ?? 0;
    lines.push(`health ${o.health.status}${o.health.version ? `, version ${o.health.version}` : ""}${deps > 0 ? `, ${deps} dependenc${deps === 1 ? "y" : "ies"}` : ""}`);
  }
  const breakers = o.breakers ?? [];
  if (breakers.length > 0) {
    const open = breakers.filter((b) => b.state === "open").length;
    lines.push(`${breakers.length} breaker${breakers.length === 1 ? "" : "s"}${open > 0 ? `, ${open} open` : ""}: ${breakers.slice(0, 4).map((b) => b.name).join(", ")}${breakers.length > 4 ? "…" : ""}`);
  }
  const samples = o.samples ?? [];
  if (samples.length > 0) lines.push(`${samples.length} sample${samples.length === 1 ? "" : "s"}: ${samples.slice(0, 4).map((s) => s.series).join(", ")}${samples.length > 4 ? "…" : ""}`);
  for (const p of o.problems ?? []) if (p.reachability.kind !== "reachable") lines.push(`${p.endpoint}: ${p.reachability.message}`);
  return { reachable: true, profile: o.profile, kind: "reachable", lines };
}

/** Headers whose values are not secrets and may be written as text (as the core says). */
const LITERAL_HEADERS = ["accept", "accept-language", "user-agent", "content-type"];

export type HeaderKind = "empty" | "reference" | "literal" | "secret";

/** A header value as written: a reference (`env:`, `keyring:`), a harmless literal, or a
 * secret that must be stored in the keyring (or referred to) instead of written. */
export function headerKind(name: string, value: string): HeaderKind {
  const v = value.trim();
  if (v === "") return "empty";
  if (/^env:[A-Za-z0-9_]+$/.test(v) || /^keyring:[^/]+\/.+$/.test(v)) return "reference";
  if (LITERAL_HEADERS.includes(name.trim().toLowerCase())) return "literal";
  return "secret";
}

/** The keyring account a typed secret is stored under: the service, then the header. */
export function keyringAccount(service: string, header: string): string {
  return `${service.trim()}-${header.trim()}`.replace(/[^A-Za-z0-9._-]/g, "-");
}

/** The dialog's fields. */
export interface ServiceForm {
  url: string;
  name: string;
  profile: string;
  tags: string;
  headers: [string, string][];
}

export const EMPTY_FORM: ServiceForm = { url: "", name: "", profile: "", tags: "", headers: [] };

export function formOf(entry: ServiceEntry): ServiceForm {
  return { url: entry.base_url, name: entry.name, profile: entry.profile ?? "", tags: entry.tags.join(", "), headers: entry.headers.map(([k, v]) => [k, v]) };
}

/** The headers to send or write: named ones only. */
export function namedHeaders(form: ServiceForm): [string, string][] {
  return form.headers.filter(([k]) => k.trim() !== "").map(([k, v]) => [k.trim(), v.trim()]);
}

/** The entry to write, or what is missing. */
export function entryOf(form: ServiceForm): ServiceEntry | string {
  const url = form.url.trim();
  if (!/^https?:\/\/\S+$/.test(url)) return "Paste the service's base URL (http:// or https://).";
  const name = form.name.trim();
  if (name === "") return "Give the service a name.";
  const headers = namedHeaders(form);
  for (const [k, v] of headers) {
    const kind = headerKind(k, v);
    if (kind === "empty") return `Header ${k} has no value.`;
    if (kind === "secret") return `Header ${k} holds a secret: store it in the keyring, or write env:NAME.`;
  }
  const tags = form.tags
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  return { name, base_url: url.replace(/\/+$/, ""), profile: form.profile.trim() === "" ? null : form.profile.trim(), tags, headers };
}

/** What the form's probe depends on: a new probe is needed when it changes. */
export function probeKey(form: ServiceForm): string {
  return JSON.stringify([form.url.trim(), form.profile.trim(), namedHeaders(form)]);
}

/** What a session pushed by the console means for the page: a new console to subscribe
 * to afresh (`reload`), or news to show (a refused edit, or its repair). */
export function sessionChange(current: SessionInfo | null, next: SessionInfo): "reload" | "update" {
  return current !== null && current.run !== next.run ? "reload" : "update";
}

/** Holds an action back while a configuration edit is on its way. The edit applies a new
 * console, whose news reloads the page; a reload before the edit's answer arrived would
 * cut that answer off, and Tauri's IPC would then send the edit (which is not
 * idempotent: an add twice is "name taken") a second time. */
export class EditGate {
  private inFlight = 0;
  private waiting: (() => void)[] = [];

  track<T>(edit: Promise<T>): Promise<T> {
    this.inFlight += 1;
    return edit.finally(() => {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.waiting.splice(0).forEach((action) => action());
    });
  }

  whenIdle(action: () => void): void {
    if (this.inFlight === 0) action();
    else this.waiting.push(action);
  }
}

/** The page's one gate on configuration edits. */
export const configEdits = new EditGate();
