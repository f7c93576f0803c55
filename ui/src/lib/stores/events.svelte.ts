// Test logins pushed by the embedded SP, listened to once (App.svelte calls
// `startTestLoginEvents()`). Screens that show derived data read `testLogins.count`
// in an $effect to refresh:
//   $effect(() => { testLogins.count; untrack(load); });
import { onTestLogin } from "../api";
import type { TestLoginSummary } from "../generated/types";

export const testLogins = $state<{ count: number; last: TestLoginSummary | null }>({ count: 0, last: null });

/** Records an event (also used by tests and the mock backend). */
export function recordTestLogin(summary: TestLoginSummary): void {
  testLogins.last = summary;
  testLogins.count += 1;
}

/** Subscribes once; returns the unsubscribe function (a no-op outside Tauri). */
export async function startTestLoginEvents(): Promise<() => void> {
  try {
    return await onTestLogin(recordTestLogin);
  } catch {
    // No Tauri event bridge (plain browser without the mock, or unit tests).
    return () => {};
  }
}
