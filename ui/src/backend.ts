// The one place the UI talks to the Rust side: typed wrappers over Tauri's IPC.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Acknowledgement } from "./bindings/Acknowledgement";
import type { ActionLogged } from "./bindings/ActionLogged";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ActionPlan } from "./bindings/ActionPlan";
import type { ActionRecord } from "./bindings/ActionRecord";
import type { ActionRequest } from "./bindings/ActionRequest";
import type { AlertKey } from "./bindings/AlertKey";
import type { AlertNotice } from "./bindings/AlertNotice";
import type { AlertsState } from "./bindings/AlertsState";
import type { ChartRequest } from "./bindings/ChartRequest";
import type { ChartView } from "./bindings/ChartView";
import type { ExportProgress } from "./bindings/ExportProgress";
import type { ExportResult } from "./bindings/ExportResult";
import type { FleetUpdate } from "./bindings/FleetUpdate";
import type { IpcError } from "./bindings/IpcError";
import type { Preferences } from "./bindings/Preferences";
import type { ProbeReport } from "./bindings/ProbeReport";
import type { ProbeRequest } from "./bindings/ProbeRequest";
import type { ServiceEdit } from "./bindings/ServiceEdit";
import type { ServiceEntry } from "./bindings/ServiceEntry";
import type { ServiceState } from "./bindings/ServiceState";
import type { RuleSpec } from "./bindings/RuleSpec";
import type { RuleView } from "./bindings/RuleView";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { Silence } from "./bindings/Silence";
import type { SilenceTarget } from "./bindings/SilenceTarget";
import type { Sparkline } from "./bindings/Sparkline";
import type { TeamAlerts } from "./bindings/TeamAlerts";
import type { TeamSilenceDone } from "./bindings/TeamSilenceDone";
import type { TimelineRequest } from "./bindings/TimelineRequest";
import type { TimelineView } from "./bindings/TimelineView";
import { configEdits } from "./services-view";

export function fetchSession(): Promise<SessionInfo> {
  return invoke<SessionInfo>("session_info");
}

/** The theme and range remembered from the last start (the defaults the first time). */
export function fetchPreferences(): Promise<Preferences> {
  return invoke<Preferences>("preferences");
}

export function savePreferences(preferences: Preferences): Promise<void> {
  return invoke("save_preferences", { preferences });
}

export function fetchFleet(): Promise<ServiceState[]> {
  return invoke<ServiceState[]>("fleet_state");
}

/** Subscribes to the fleet's coalesced updates (at most ten batches a second). */
export async function watchFleet(handler: (update: FleetUpdate) => void): Promise<void> {
  const channel = new Channel<FleetUpdate>();
  channel.onmessage = handler;
  await invoke("watch_fleet", { onUpdate: channel });
}

/** Calls `handler` each time Switchyard is launched again on this history (the launch
 * brings this window to the front and exits). */
export async function watchSecondLaunch(handler: () => void): Promise<void> {
  const channel = new Channel<null>();
  channel.onmessage = () => handler();
  await invoke("watch_second_launch", { onLaunch: channel });
}

export function seriesChart(request: ChartRequest): Promise<ChartView> {
  return invoke<ChartView>("series_chart", { request });
}

export function breakerTimeline(request: TimelineRequest): Promise<TimelineView> {
  return invoke<TimelineView>("breaker_timeline", { request });
}

/** What a command's promise rejects with: the core's `{code, message, details?}`
 * (`IpcError`, generated), or, when the call itself failed before reaching a command,
 * `unexpected` with what Tauri said. Branch on `code`, show `message`. */
export type CommandError = IpcError | { code: "unexpected"; message: string; details?: undefined };

export function commandError(error: unknown): CommandError {
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    const { code, message } = error as { code: unknown; message: unknown };
    if (typeof code === "string" && typeof message === "string") return error as IpcError;
  }
  return { code: "unexpected", message: error instanceof Error ? error.message : String(error) };
}

/** The message to show for a failed command. */
export function errorText(error: unknown): string {
  return commandError(error).message;
}

/** The sparklines of `services` (every service's when absent). */
export function fetchSparklines(minutes: number, width: number, height: number, services?: readonly string[]): Promise<Sparkline[]> {
  return invoke<Sparkline[]>("sparklines", { minutes, width, height, services });
}

export function fetchAlerts(): Promise<AlertsState> {
  return invoke<AlertsState>("alerts_state");
}

export function acknowledgeAlert(key: AlertKey, comment: string): Promise<Acknowledgement> {
  return invoke<Acknowledgement>("acknowledge_alert", { key, comment });
}

export function silenceAlerts(target: SilenceTarget, duration: string, reason: string): Promise<Silence> {
  return invoke<Silence>("silence_alerts", { target, duration, reason });
}

export function removeSilence(id: number): Promise<Silence> {
  return invoke<Silence>("unsilence", { id });
}

export function fetchAlertRules(): Promise<RuleView[]> {
  return invoke<RuleView[]>("alert_rules");
}

/** Subscribes to alert changes and to notification clicks. */
export async function watchAlerts(handler: (notice: AlertNotice) => void): Promise<void> {
  const channel = new Channel<AlertNotice>();
  channel.onmessage = handler;
  await invoke("watch_alerts", { onNotice: channel });
}

/** Saves the rule set and returns the rules now in force; a refusal is `invalid_rules`
 * with `details.errors` (see rules-view.ts). */
export function saveAlertRules(rules: RuleSpec[]): Promise<RuleView[]> {
  return invoke<RuleView[]>("save_alert_rules", { rules });
}

export function exportAlertRules(): Promise<string> {
  return invoke<string>("export_alert_rules");
}

/** Calls `handler` with why the history is not being written (`null`: it is), now and
 * each time that changes: pushed by the console, not asked for on a timer. */
export async function watchStoreHealth(handler: (problem: string | null) => void): Promise<void> {
  const channel = new Channel<string | null>();
  channel.onmessage = handler;
  await invoke("watch_store_health", { onChange: channel });
}

export function planAction(request: ActionRequest): Promise<ActionPlan> {
  return invoke<ActionPlan>("plan_action", { request });
}

export function runAction(request: ActionRequest): Promise<ActionOutcome> {
  return invoke<ActionOutcome>("run_action", { request });
}

export function recentActions(hours: number): Promise<ActionRecord[]> {
  return invoke<ActionRecord[]>("recent_actions", { hours });
}

/** The page's one subscription to the audit log's news, shared by every listener. */
const actionLogListeners = new Set<(logged: ActionLogged) => void>();
let actionLogWatched = false;

/** Calls `handler` each time an action's audit row is written or completed (so the
 * listener re-reads the log then); returns how to stop. The page subscribes once. */
export function onActionLogged(handler: (logged: ActionLogged) => void): () => void {
  actionLogListeners.add(handler);
  if (!actionLogWatched) {
    actionLogWatched = true;
    const channel = new Channel<ActionLogged>();
    channel.onmessage = (logged) => actionLogListeners.forEach((listener) => listener(logged));
    invoke("watch_actions", { onLogged: channel }).catch(() => {
      actionLogWatched = false; // not watching: the next listener tries again
    });
  }
  return () => {
    actionLogListeners.delete(handler);
  };
}

/** A refused action: whether asking again with override would send it. */
export function refusalOverridable(error: unknown): boolean {
  const e = commandError(error);
  return e.code === "refused" && e.details !== undefined && "overridable" in e.details && e.details.overridable;
}

/** Exports the incident snapshot; `null` when the engineer cancelled the save dialog. */
export async function exportSnapshot(
  onProgress: (p: ExportProgress) => void,
  choice: { services?: string[]; sinceMs?: number; untilMs?: number },
): Promise<ExportResult | null> {
  const channel = new Channel<ExportProgress>();
  channel.onmessage = onProgress;
  return invoke<ExportResult | null>("export_snapshot", { onProgress: channel, ...choice });
}

export function openLastExport(): Promise<void> {
  return invoke("open_last_export");
}

export function revealLastExport(): Promise<void> {
  return invoke("reveal_last_export");
}

export type { ExportProgress, ExportResult };

// The team's alerts (Alertmanager): the current read, its changes, and the writes.
export function fetchTeamAlerts(): Promise<TeamAlerts> {
  return invoke<TeamAlerts>("team_alerts_state");
}

/** Subscribes to the team's alerts: the current read at once, then each new one. */
export async function watchTeamAlerts(handler: (view: TeamAlerts) => void): Promise<void> {
  const channel = new Channel<TeamAlerts>();
  channel.onmessage = handler;
  await invoke("watch_team_alerts", { onUpdate: channel });
}

export function acknowledgeTeamAlert(alertId: string, comment: string): Promise<TeamSilenceDone> {
  return invoke<TeamSilenceDone>("acknowledge_team_alert", { alertId, comment });
}

export function silenceTeamAlert(alertId: string, reason: string, duration: string): Promise<TeamSilenceDone> {
  return invoke<TeamSilenceDone>("silence_team_alert", { alertId, reason, duration });
}

export function expireTeamSilence(silenceId: string): Promise<TeamSilenceDone> {
  return invoke<TeamSilenceDone>("expire_team_silence", { silenceId });
}

/** Opens a runbook in the desktop's browser (http and https only; checked in Rust too). */
export function openRunbook(url: string): Promise<void> {
  return invoke("open_runbook", { url });
}

/** One round of polls of a service not yet configured, detecting its profile. */
export function probeService(request: ProbeRequest): Promise<ProbeReport> {
  return invoke<ProbeReport>("probe_service", { request });
}

/** The services in the configuration file, as the dialog edits them (none in the demo). */
export function configuredServices(): Promise<ServiceEntry[]> {
  return invoke<ServiceEntry[]>("configured_services");
}

/** Adds, updates or removes a service in the configuration file, which is then applied;
 * a refusal is `config_refused` with the `check-config` error, the file untouched. */
export function editServices(edit: ServiceEdit): Promise<SessionInfo> {
  return configEdits.track(invoke<SessionInfo>("edit_services", { edit }));
}

/** Stores a secret typed once in the OS keyring; resolves to the reference to write. */
export function storeSecret(account: string, secret: string): Promise<string> {
  return invoke<string>("store_secret", { account, secret });
}

/** Calls `handler` with the session each time it changes: a new configuration applied
 * (its `run` counts up) or a saved edit refused (`config_problem`). */
export async function watchSession(handler: (info: SessionInfo) => void): Promise<void> {
  const channel = new Channel<SessionInfo>();
  channel.onmessage = handler;
  await invoke("watch_session", { onChange: channel });
}
