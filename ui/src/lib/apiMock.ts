// A stand-in for lib/api in component tests: every call of the real `api` is a vi.fn (tests
// set what it answers), onTestLogin captures its handler so a test can push events.
//   vi.mock("../lib/api", () => import("../lib/apiMock"));
//   import { api } from "../lib/apiMock";
import { vi } from "vitest";
import type { ScimRequestSummary, TestLoginSummary } from "./generated/types";

// The error helpers are the real ones: only the calls are stand-ins.
const real = await vi.importActual<typeof import("./api")>("./api");
export const { ApiError, asApiError, describeError } = real;

let opCounter = 0;
export function newOperation(): string {
  opCounter += 1;
  return `op-test-${opCounter}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMock = ReturnType<typeof vi.fn<(...args: any[]) => any>>;
/** One vi.fn per call of the real api, so a new call needs no list here. */
export const api = Object.fromEntries(Object.keys(real.api).map((n) => [n, vi.fn()])) as Record<keyof typeof real.api, AnyMock>;

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

export const scimRequestHandlers: ((s: ScimRequestSummary) => void)[] = [];
export const onScimRequest = vi.fn(async (handler: (s: ScimRequestSummary) => void) => {
  scimRequestHandlers.push(handler);
  return () => {
    const i = scimRequestHandlers.indexOf(handler);
    if (i >= 0) scimRequestHandlers.splice(i, 1);
  };
});

/** Resets every mock between tests. */
export function resetApiMock() {
  for (const f of Object.values(api)) f.mockReset();
  testLoginHandlers.length = 0;
  scimRequestHandlers.length = 0;
  unlisten.mockReset();
}
