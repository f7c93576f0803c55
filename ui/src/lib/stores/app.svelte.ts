// App-wide status: the embedded SP and the secret store (from api.appStatus()), and
// whether the first screen finished its first load (App sets <main data-ready>).
import { api } from "../api";
import type { AppStatus, ServerStatus } from "../generated/types";

export const app = $state<{
  status: AppStatus | null;
  statusError: unknown;
  statusLoaded: boolean;
  firstScreenLoaded: boolean;
}>({ status: null, statusError: null, statusLoaded: false, firstScreenLoaded: false });

/** Screens call this once their first data load settled (success or error). */
export function markScreenLoaded(): void {
  app.firstScreenLoaded = true;
}

export async function loadStatus(): Promise<void> {
  try {
    app.status = await api.appStatus();
    app.statusError = null;
  } catch (e) {
    app.statusError = e;
  } finally {
    app.statusLoaded = true;
  }
}

/** (Re)starts the embedded SP; the new status replaces the old. Never throws. */
export async function startServer(port: number): Promise<ServerStatus | null> {
  try {
    const server = await api.startServer(port);
    if (app.status) app.status.server = server;
    else await loadStatus();
    return server;
  } catch (e) {
    app.statusError = e;
    return null;
  }
}
