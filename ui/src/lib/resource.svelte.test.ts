// The resource helper: latest request wins, the previous value stays while reloading,
// debounce, errors, quiet refreshes, and nothing after the owner is gone.
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Resource, resource } from "./resource.svelte";
import { deferred } from "./deferred";

/** A fetcher whose every call waits for the test to answer it. */
function manualFetcher<A, T>() {
  const calls: { args: A; answer: ReturnType<typeof deferred<T>> }[] = [];
  const fetcher = vi.fn((args: A) => {
    const answer = deferred<T>();
    calls.push({ args, answer });
    return answer.promise;
  });
  return { fetcher, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("Resource (driven by hand)", () => {
  test("the latest request wins: an older answer arriving late is dropped", async () => {
    const { fetcher, calls } = manualFetcher<string, string>();
    const r = new Resource(fetcher, "");
    const first = r.load("a");
    const second = r.load("b");
    calls[1].answer.resolve("B");
    expect(await second).toBe("B");
    calls[0].answer.resolve("A");
    expect(await first).toBeUndefined();
    expect(r.current).toBe("B");
    expect(r.loading).toBe(false);
  });

  test("a stale error is dropped too", async () => {
    const { fetcher, calls } = manualFetcher<string, string>();
    const r = new Resource(fetcher, "");
    void r.load("a");
    const second = r.load("b");
    calls[0].answer.reject(new Error("old"));
    calls[1].answer.resolve("B");
    await second;
    await settle();
    expect(r.error).toBeNull();
    expect(r.current).toBe("B");
  });

  test("keeps the previous value while reloading", async () => {
    const { fetcher, calls } = manualFetcher<number, string>();
    const r = new Resource(fetcher, "none");
    expect(r.current).toBe("none");
    expect(r.loaded).toBe(false);
    const one = r.load(1);
    expect(r.loading).toBe(true);
    calls[0].answer.resolve("one");
    await one;
    expect([r.current, r.loading, r.loaded]).toEqual(["one", false, true]);
    void r.load(2);
    expect(r.loading).toBe(true);
    expect(r.current).toBe("one");
  });

  test("an error is kept, with the previous value; the next success clears it", async () => {
    const { fetcher, calls } = manualFetcher<number, string>();
    const r = new Resource(fetcher, "");
    const one = r.load(1);
    calls[0].answer.resolve("one");
    await one;
    const two = r.load(2);
    calls[1].answer.reject(new Error("disk I/O error"));
    expect(await two).toBeUndefined();
    expect((r.error as Error).message).toBe("disk I/O error");
    expect(r.current).toBe("one");
    expect(r.loading).toBe(false);
    const again = r.refetch();
    expect(fetcher).toHaveBeenLastCalledWith(2);
    expect(r.error).not.toBeNull(); // until the retry succeeds
    calls[2].answer.resolve("two");
    await again;
    expect(r.error).toBeNull();
    expect(r.current).toBe("two");
  });

  test("a quiet refetch shows no loading", async () => {
    const { fetcher, calls } = manualFetcher<number, string>();
    const r = new Resource(fetcher, "");
    const one = r.load(1);
    calls[0].answer.reject(new Error("locked"));
    await one;
    const quiet = r.refetch({ quiet: true });
    expect(r.loading).toBe(false);
    expect(r.error).not.toBeNull();
    calls[1].answer.resolve("ok");
    await quiet;
    expect([r.current, r.error]).toEqual(["ok", null]);
  });

  test("refetch before any load does nothing", async () => {
    const fetcher = vi.fn(async () => "x");
    const r = new Resource(fetcher, "");
    expect(await r.refetch()).toBeUndefined();
    expect(fetcher).not.toHaveBeenCalled();
  });

  test("reset forgets the value and drops the answer on its way", async () => {
    const { fetcher, calls } = manualFetcher<number, string>();
    const r = new Resource<number, string | null>(fetcher, null);
    const one = r.load(1);
    calls[0].answer.resolve("one");
    await one;
    const two = r.load(2);
    r.reset();
    expect([r.current, r.loading, r.loaded]).toEqual([null, false, false]);
    calls[1].answer.resolve("two");
    expect(await two).toBeUndefined();
    expect(r.current).toBeNull();
  });

  describe("with a delay", () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    test("requests within the delay coalesce into the last one", async () => {
      const fetcher = vi.fn(async (q: string) => `result for ${q}`);
      const r = new Resource(fetcher, "");
      const a = r.load("a", { delay: 200 });
      await vi.advanceTimersByTimeAsync(100);
      const ad = r.load("ad", { delay: 200 });
      await vi.advanceTimersByTimeAsync(100);
      const ada = r.load("ada", { delay: 200 });
      expect(fetcher).not.toHaveBeenCalled();
      expect(r.loading).toBe(false);
      await vi.advanceTimersByTimeAsync(200);
      expect(fetcher).toHaveBeenCalledTimes(1);
      expect(fetcher).toHaveBeenCalledWith("ada");
      expect(await ada).toBe("result for ada");
      expect(await a).toBeUndefined();
      expect(await ad).toBeUndefined();
      expect(r.current).toBe("result for ada");
    });

    test("refetch runs now with the last arguments, replacing the wait", async () => {
      const fetcher = vi.fn(async (q: string) => q);
      const r = new Resource(fetcher, "");
      void r.load("x", { delay: 200 });
      await r.refetch();
      expect(fetcher).toHaveBeenCalledTimes(1);
      expect(fetcher).toHaveBeenCalledWith("x");
      await vi.advanceTimersByTimeAsync(500);
      expect(fetcher).toHaveBeenCalledTimes(1);
    });
  });
});

describe("resource() (follows its source)", () => {
  let cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups) c();
    cleanups = [];
    vi.useRealTimers();
  });

  /** Creates the resource in an effect root, as a component would; `stop()` destroys it. */
  function owned<T>(make: () => T): { value: T; stop: () => void } {
    let value!: T;
    const stop = $effect.root(() => {
      value = make();
    });
    cleanups.push(stop);
    flushSync();
    return { value, stop };
  }

  test("loads at once, then again when the arguments change; the last answer wins", async () => {
    const args = $state({ id: 1 });
    const { fetcher, calls } = manualFetcher<number, string>();
    const { value: r } = owned(() => resource(() => args.id, fetcher));
    expect(fetcher).toHaveBeenCalledWith(1);
    expect(r.current).toBeUndefined();
    args.id = 2;
    flushSync();
    expect(fetcher).toHaveBeenLastCalledWith(2);
    calls[1].answer.resolve("two");
    await settle();
    calls[0].answer.resolve("one");
    await settle();
    expect(r.current).toBe("two");
  });

  test("debounce: the first load is immediate, typing waits, a debounce function lets others through", async () => {
    vi.useFakeTimers();
    const q = $state({ text: "", outcome: "" });
    const fetcher = vi.fn(async (a: { text: string; outcome: string }) => [a.text, a.outcome]);
    owned(() =>
      resource(
        () => ({ text: q.text, outcome: q.outcome }),
        fetcher,
        { initialValue: [], debounce: (next, prev) => (next.text !== prev.text ? 200 : 0) },
      ),
    );
    expect(fetcher).toHaveBeenCalledTimes(1);
    q.text = "a";
    flushSync();
    q.text = "ad";
    flushSync();
    await vi.advanceTimersByTimeAsync(150);
    expect(fetcher).toHaveBeenCalledTimes(1);
    q.text = "ada";
    flushSync();
    await vi.advanceTimersByTimeAsync(200);
    expect(fetcher).toHaveBeenCalledTimes(2);
    expect(fetcher).toHaveBeenLastCalledWith({ text: "ada", outcome: "" });
    q.outcome = "rejected";
    flushSync();
    expect(fetcher).toHaveBeenCalledTimes(3);
    expect(fetcher).toHaveBeenLastCalledWith({ text: "ada", outcome: "rejected" });
  });

  test("a number debounce delays every change after the first load", async () => {
    vi.useFakeTimers();
    const s = $state({ n: 0 });
    const fetcher = vi.fn(async (n: number) => n);
    const { value: r } = owned(() => resource(() => s.n, fetcher, { initialValue: -1, debounce: 300 }));
    expect(fetcher).toHaveBeenCalledTimes(1);
    s.n = 1;
    flushSync();
    s.n = 2;
    flushSync();
    await vi.advanceTimersByTimeAsync(299);
    expect(fetcher).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetcher).toHaveBeenCalledTimes(2);
    expect(r.current).toBe(2);
  });

  test("once the owner is gone, late answers and pending waits go nowhere", async () => {
    vi.useFakeTimers();
    const s = $state({ n: 1 });
    const { fetcher, calls } = manualFetcher<number, string>();
    const { value: r, stop } = owned(() => resource(() => s.n, fetcher, { initialValue: "", debounce: 100 }));
    s.n = 2;
    flushSync();
    stop();
    calls[0].answer.resolve("one");
    await vi.advanceTimersByTimeAsync(500);
    expect(fetcher).toHaveBeenCalledTimes(1);
    expect(r.current).toBe("");
  });
});
