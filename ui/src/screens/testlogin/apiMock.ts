// A stand-in for ../../lib/api in component tests: every api call is a vi.fn (tests set
// what they answer), onTestLogin captures its handler so a test can push events.
import { vi } from "vitest";
import type { TestLoginSummary } from "../../lib/generated/types";

// The error helpers are the real ones: only the calls are stand-ins.
const real = await vi.importActual<typeof import("../../lib/api")>("../../lib/api");
export const { ApiError, asApiError, describeError } = real;

let opCounter = 0;
export function newOperation(): string {
  opCounter += 1;
  return `op-test-${opCounter}`;
}

const names = [
  "appStatus", "startServer", "listConnections", "connection", "fetchMetadata", "cancel", "previewMetadata",
  "importConnection", "duplicateConnection", "removeConnection", "exportConnection", "importConnectionFile",
  "reimportPreview", "replaceMetadata", "setPolicy", "setSpUrls", "rotateSpKey", "spMetadata", "saveSpMetadata",
  "presets", "mapping", "setMapping", "previewMapping", "openLogin", "testLogins", "testLogin", "analyzeResponse",
  "users", "user", "setUserStatus", "deleteUser", "audit", "exportAudit",
] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const api = Object.fromEntries(names.map((n) => [n, vi.fn()])) as Record<(typeof names)[number], ReturnType<typeof vi.fn<(...args: any[]) => any>>>;

export const testLoginHandlers: ((s: TestLoginSummary) => void)[] = [];
export const unlisten = vi.fn();
export const onTestLogin = vi.fn(async (handler: (s: TestLoginSummary) => void) => {
  testLoginHandlers.push(handler);
  return () => {
    unlisten();
    const i = testLoginHandlers.indexOf(handler);
    if (i >= 0) testLoginHandlers.splice(i, 1);
  };
});

/** Resets every mock between tests. */
export function resetApiMock() {
  for (const f of Object.values(api)) f.mockReset();
  testLoginHandlers.length = 0;
  unlisten.mockReset();
}
