// The one place the UI talks to the Rust side: typed wrappers over Tauri's IPC.
import { Channel, invoke } from "@tauri-apps/api/core";
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
import type { Preferences } from "./bindings/Preferences";
import type { ServiceState } from "./bindings/ServiceState";
import type { RuleSpec } from "./bindings/RuleSpec";
import type { RuleView } from "./bindings/RuleView";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { SilenceTarget } from "./bindings/SilenceTarget";
import type { Sparkline } from "./bindings/Sparkline";
import type { TimelineRequest } from "./bindings/TimelineRequest";
import type { TimelineView } from "./bindings/TimelineView";

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

/** An error from a command: `{code, message}`, or whatever else arrived, as text. */
export function errorText(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}

export function fetchSparklines(minutes: number, width: number, height: number): Promise<Sparkline[]> {
  return invoke<Sparkline[]>("sparklines", { minutes, width, height });
}

export function fetchAlerts(): Promise<AlertsState> {
  return invoke<AlertsState>("alerts_state");
}

export function acknowledgeAlert(key: AlertKey, comment: string): Promise<unknown> {
  return invoke("acknowledge_alert", { key, comment });
}

export function silenceAlerts(target: SilenceTarget, duration: string, reason: string): Promise<unknown> {
  return invoke("silence_alerts", { target, duration, reason });
}

export function removeSilence(id: number): Promise<unknown> {
  return invoke("unsilence", { id });
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

/** Saves the rule set; a refusal carries `{details: {errors}}` (see rules-view.ts). */
export function saveAlertRules(rules: RuleSpec[]): Promise<unknown> {
  return invoke("save_alert_rules", { rules });
}

export function exportAlertRules(): Promise<string> {
  return invoke<string>("export_alert_rules");
}

/** Why the history is not being written, if it is not. */
export function fetchHistoryProblem(): Promise<string | null> {
  return invoke<string | null>("history_problem");
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

/** A refused action's details: whether asking again with override would send it. */
export function refusalOverridable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const details = (error as { details?: { overridable?: boolean } }).details;
  return details?.overridable === true;
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
