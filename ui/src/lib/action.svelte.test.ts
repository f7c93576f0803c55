// The action helper: busy, double submission refused, error toast (or kept inline),
// success toast, the result returned.
import { beforeEach, describe, expect, test, vi } from "vitest";
import { action } from "./action.svelte";
import { ApiError } from "./api";
import { deferred } from "./deferred";
import { toasts } from "./stores/toasts.svelte";

const shown = () => toasts.items.map((t) => [t.tone, t.message]);

beforeEach(() => {
  toasts.items.length = 0;
});

describe("action", () => {
  test("busy while it runs, with the arguments pending; returns the result", async () => {
    const d = deferred<number>();
    const fn = vi.fn((_a: string, _b: number) => d.promise);
    const a = action(fn);
    expect([a.busy, a.pending]).toEqual([false, null]);
    const run = a.run("csv", 2);
    expect(fn).toHaveBeenCalledWith("csv", 2);
    expect([a.busy, a.pending]).toEqual([true, ["csv", 2]]);
    d.resolve(42);
    expect(await run).toBe(42);
    expect([a.busy, a.pending]).toEqual([false, null]);
    expect(shown()).toEqual([]);
  });

  test("a second run while busy is refused", async () => {
    const d = deferred<string>();
    const fn = vi.fn(() => d.promise);
    const a = action(fn);
    const first = a.run();
    expect(await a.run()).toBeUndefined();
    expect(fn).toHaveBeenCalledTimes(1);
    d.resolve("done");
    expect(await first).toBe("done");
    expect(await a.run()).toBe("done"); // free again
    expect(fn).toHaveBeenCalledTimes(2);
  });

  test("an error is toasted with describeError, kept in error, and the action is free again", async () => {
    const a = action(async () => {
      throw new ApiError("storage", "database is locked");
    });
    expect(await a.run()).toBeUndefined();
    expect(shown()).toEqual([["bad", "Database error: database is locked"]]);
    expect(a.error).toBeInstanceOf(ApiError);
    expect(a.busy).toBe(false);
  });

  test("the error toast can be written by the screen, or left to an inline banner", async () => {
    const boom = async (_name: string) => {
      throw new Error("no keyring");
    };
    const toasted = action(boom, { toastError: (e, name) => `Could not import ${name}: ${(e as Error).message}` });
    await toasted.run("okta.json");
    expect(shown()).toEqual([["bad", "Could not import okta.json: no keyring"]]);

    toasts.items.length = 0;
    const inline = action(boom, { toastError: false });
    await inline.run("x");
    expect(shown()).toEqual([]);
    expect((inline.error as Error).message).toBe("no keyring");
  });

  test("the next run clears the last error", async () => {
    let fail = true;
    const a = action(
      async () => {
        if (fail) throw new Error("once");
        return "ok";
      },
      { toastError: false },
    );
    await a.run();
    expect(a.error).not.toBeNull();
    fail = false;
    const run = a.run();
    expect(a.error).toBeNull();
    expect(await run).toBe("ok");
  });

  test("a success toast, fixed or made from the result and the arguments", async () => {
    await action(async () => null, { success: "Saved the demo IdP's settings." }).run();
    await action(async (n: number, _path: string) => n * 2, { success: (n, _n, path) => `Exported ${n} rows to ${path}` }).run(
      21,
      "/tmp/a.csv",
    );
    await action(async () => 0, { success: () => null }).run();
    expect(shown()).toEqual([
      ["ok", "Saved the demo IdP's settings."],
      ["ok", "Exported 42 rows to /tmp/a.csv"],
    ]);
  });

  test("no success toast when it fails", async () => {
    await action(
      async () => {
        throw new Error("nope");
      },
      { success: "Saved" },
    ).run();
    expect(shown()).toEqual([["bad", "nope"]]);
  });
});
