// Test logins pushed by the embedded SP, listened to once (App.svelte calls
// `startTestLoginEvents()`). Screens that show derived data refresh after each one:
//   afterEachTestLogin(() => list.refetch({ quiet: true }));
import { untrack } from "svelte";
import { onTestLogin } from "../api";
import type { TestLoginSummary } from "../generated/types";

export const testLogins = $state<{ count: number; last: TestLoginSummary | null }>({ count: 0, last: null });

/** Records an event (also used by tests and the mock backend). */
export function recordTestLogin(summary: TestLoginSummary): void {
  testLogins.last = summary;
  testLogins.count += 1;
}

/**
 * Calls `handler` with the new test login after each one that arrives while the calling
 * component lives (not for those before). Call it while a component initialises.
 */
export function afterEachTestLogin(handler: (login: TestLoginSummary | null) => void): void {
  let seen = untrack(() => testLogins.count);
  $effect(() => {
    const n = testLogins.count;
    if (n === seen) return;
    seen = n;
    untrack(() => handler(testLogins.last));
  });
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
