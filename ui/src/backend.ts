// The one place the UI talks to the Rust side: typed wrappers over Tauri's IPC.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { ServiceState } from "./bindings/ServiceState";
import type { SessionInfo } from "./bindings/SessionInfo";

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
