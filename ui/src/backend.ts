// The one place the UI talks to the Rust side: typed wrappers over Tauri's IPC.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ChartRequest } from "./bindings/ChartRequest";
import type { ChartView } from "./bindings/ChartView";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { ServiceState } from "./bindings/ServiceState";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { TimelineRequest } from "./bindings/TimelineRequest";
import type { TimelineView } from "./bindings/TimelineView";

/** The event name the shell emits engine events on (see src-tauri/src/bridge.rs). */
const ENGINE_EVENT = "engine-event";

export function fetchSession(): Promise<SessionInfo> {
  return invoke<SessionInfo>("session_info");
}

export function fetchFleet(): Promise<ServiceState[]> {
  return invoke<ServiceState[]>("fleet_state");
}

export function onEngineEvent(handler: (event: EngineEvent) => void): Promise<UnlistenFn> {
  return listen<EngineEvent>(ENGINE_EVENT, (message) => handler(message.payload));
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
