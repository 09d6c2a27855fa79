// "Watch your own services": paste a base URL (and headers, as env:/keyring: references,
// or a secret typed once and stored in the OS keyring), see what the console detects and
// reads there, and add it to the configuration file; edit and remove the services already
// in it. Keyboard-first: the URL field has focus, Enter probes, Enter again adds, Esc
// closes. The probe's result has a reserved place, so nothing moves under the pointer.
import { useEffect, useRef, useState } from "preact/hooks";
import { configuredServices, editServices, errorText, probeService, storeSecret } from "./backend";
import type { ServiceEntry } from "./bindings/ServiceEntry";
import { EMPTY_FORM, entryOf, formOf, headerKind, keyringAccount, namedHeaders, probeKey, type ProbeView, probeView, type ServiceForm } from "./services-view";

interface Probed {
  key: string;
  view: ProbeView;
}

export function ServicesDialog({ demo, configPath, onClose }: { demo: boolean; configPath?: string; onClose: () => void }) {
  const [services, setServices] = useState<ServiceEntry[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const [form, setForm] = useState<ServiceForm>(EMPTY_FORM);
  const [probed, setProbed] = useState<Probed | null>(null);
  const [busy, setBusy] = useState<"probe" | "save" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [secretFor, setSecretFor] = useState<number | null>(null);
  const [secret, setSecret] = useState("");
  const urlInput = useRef<HTMLInputElement>(null);

  const reload = () => {
    configuredServices()
      .then(setServices)
      .catch((e: unknown) => setProblem(errorText(e)));
  };
  useEffect(reload, []);

  useEffect(() => {
    // Esc belongs to the dialog while it is open (before the window's own shortcuts).
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.stopImmediatePropagation();
        onClose();
      }
    };
    window.addEventListener("keydown", onKey, { capture: true });
    return () => window.removeEventListener("keydown", onKey, { capture: true });
  }, [onClose]);

  const set = (patch: Partial<ServiceForm>) => setForm((f) => ({ ...f, ...patch }));
  const setHeader = (index: number, at: 0 | 1, value: string) =>
    setForm((f) => ({ ...f, headers: f.headers.map((h, i) => (i === index ? (at === 0 ? [value, h[1]] : [h[0], value]) : h)) }));
  const current = probed !== null && probed.key === probeKey(form) ? probed : null;

  const probe = () => {
    if (busy) return;
    setBusy("probe");
    setProblem(null);
    const key = probeKey(form);
    probeService({ base_url: form.url.trim(), profile: form.profile.trim() === "" ? null : form.profile.trim(), headers: namedHeaders(form) })
      .then((report) => {
        setProbed({ key, view: probeView(report) });
        setForm((f) => ({ ...f, name: f.name.trim() === "" ? report.suggested_name : f.name }));
      })
      .catch((e: unknown) => {
        setProbed(null);
        setProblem(errorText(e));
      })
      .finally(() => setBusy(null));
  };

  const save = () => {
    if (busy) return;
    const entry = entryOf(form);
    if (typeof entry === "string") {
      setProblem(entry);
      return;
    }
    // A detected profile is written, so the next start does not detect it again.
    if (entry.profile === null && current?.view.reachable && current.view.profile !== "unknown") entry.profile = current.view.profile;
    setBusy("save");
    setProblem(null);
    editServices(editing === null ? { kind: "add", entry } : { kind: "update", name: editing, entry })
      .then(() => {
        setForm(EMPTY_FORM);
        setEditing(null);
        setProbed(null);
        reload();
        urlInput.current?.focus();
      })
      .catch((e: unknown) => setProblem(errorText(e)))
      .finally(() => setBusy(null));
  };

  const remove = (name: string) => {
    if (busy) return;
    setBusy("save");
    setProblem(null);
    editServices({ kind: "remove", name })
      .then(reload)
      .catch((e: unknown) => setProblem(errorText(e)))
      .finally(() => setBusy(null));
  };

  const keepSecret = (index: number) => {
    const header = form.headers[index];
    if (!header || secret === "") return;
    storeSecret(keyringAccount(form.name || "service", header[0]), secret)
      .then((reference) => {
        setHeader(index, 1, reference);
        setSecretFor(null);
      })
      .catch((e: unknown) => setProblem(errorText(e)))
      .finally(() => setSecret(""));
  };

  return (
    <div class="overlay" data-testid="services-dialog">
      <div class="help dialog services-dialog">
        <h2>{editing === null ? "Watch your own services" : `Edit ${editing}`}</h2>
        <p class="meta" data-testid="services-file">
          {demo ? `The first service you add creates ${configPath ?? "your configuration file"} and the window switches from the demo to it.` : `Changes are written to ${configPath ?? "the configuration file"}, keeping its comments.`}
        </p>
        {services.length > 0 && (
          <ul class="configured" data-testid="configured-services">
            {services.map((s) => (
              <li key={s.name} data-service={s.name}>
                <strong>{s.name}</strong> <span class="meta">{s.base_url}{s.profile ? ` · ${s.profile}` : ""}</span>
                <button class="mini" onClick={() => (setEditing(s.name), setForm(formOf(s)), setProbed(null), urlInput.current?.focus())} data-edit={s.name}>
                  edit
                </button>
                <button class="mini" onClick={() => remove(s.name)} data-remove={s.name}>
                  remove
                </button>
              </li>
            ))}
          </ul>
        )}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (current) save();
            else probe();
          }}
        >
          <label class="field">
            <span>Base URL</span>
            <input ref={urlInput} autoFocus class="filter" placeholder="http://orders.internal:8080" value={form.url} onInput={(e) => set({ url: (e.target as HTMLInputElement).value })} data-testid="service-url" />
          </label>
          {form.headers.map(([name, value], index) => (
            <div class="header-row" key={index}>
              <input class="filter" placeholder="Header, e.g. X-Internal-Key" value={name} onInput={(e) => setHeader(index, 0, (e.target as HTMLInputElement).value)} data-testid="header-name" />
              <input class="filter" placeholder="env:NAME or keyring:SERVICE/ACCOUNT" value={value} onInput={(e) => setHeader(index, 1, (e.target as HTMLInputElement).value)} data-testid="header-value" />
              {headerKind(name, value) === "secret" && <span class="problem">a secret: store it in the keyring instead</span>}
              {secretFor === index ? (
                <>
                  <input class="filter" type="password" autoFocus placeholder="Secret (stored in the OS keyring, never in the file)" value={secret} onInput={(e) => setSecret((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key === "Enter" && (e.preventDefault(), keepSecret(index))} data-testid="header-secret" />
                  <button type="button" class="mini" onClick={() => keepSecret(index)} data-testid="header-store">
                    store
                  </button>
                </>
              ) : (
                <button type="button" class="mini" onClick={() => (setSecretFor(index), setSecret(""))} data-testid="header-type-secret" title="Type the secret once: it goes to the OS keyring, and only its keyring: reference to the file">
                  type a secret…
                </button>
              )}
              <button type="button" class="mini" onClick={() => setForm((f) => ({ ...f, headers: f.headers.filter((_, i) => i !== index) }))}>
                ✕
              </button>
            </div>
          ))}
          <button type="button" class="mini" onClick={() => set({ headers: [...form.headers, ["", ""]] })} data-testid="add-header">
            + header
          </button>
          <div class="probe-result" data-testid="probe-result" data-state={current ? current.view.kind : busy === "probe" ? "probing" : "none"}>
            {busy === "probe" ? (
              <p class="meta">Probing…</p>
            ) : current ? (
              <>
                <p>
                  <span class={current.view.reachable ? "ok-text" : "problem"} data-testid="probe-kind">
                    {current.view.reachable ? "reachable" : current.view.kind.replace("_", " ")}
                  </span>
                  {" · profile "}
                  <strong data-testid="probe-profile">{current.view.profile}</strong>
                </p>
                <ul class="probe-lines" data-testid="probe-lines">
                  {current.view.lines.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </>
            ) : (
              <p class="meta">Enter probes the URL: the console detects its profile and shows what it reads, as switchyard-cli probe does.</p>
            )}
          </div>
          <label class="field">
            <span>Name</span>
            <input class="filter" placeholder="orders" value={form.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} data-testid="service-name" />
          </label>
          <label class="field">
            <span>Profile</span>
            <input class="filter" placeholder="detected when empty" value={form.profile} onInput={(e) => set({ profile: (e.target as HTMLInputElement).value })} data-testid="service-profile" />
          </label>
          <label class="field">
            <span>Tags</span>
            <input class="filter" placeholder="team:payments, prod" value={form.tags} onInput={(e) => set({ tags: (e.target as HTMLInputElement).value })} data-testid="service-tags" />
          </label>
          <div class="alert-actions">
            <button type="button" onClick={probe} disabled={busy !== null} data-testid="service-probe">
              Probe
            </button>
            <button type="submit" disabled={busy !== null || current === null} data-testid="service-confirm">
              {busy === "save" ? "Writing…" : editing === null ? (current?.view.reachable === false ? "Add anyway" : "Add service") : "Save"}
            </button>
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
          {/* Below the buttons, so a message never moves them. */}
          {problem && (
            <p class="problem" data-testid="services-problem">
              {problem}
            </p>
          )}
        </form>
      </div>
    </div>
  );
}
