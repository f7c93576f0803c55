// The one way screens load data (modelled on runed's `resource()`): an async fetcher run for
// the current arguments, where the latest request wins (a slower, older answer that arrives
// late is dropped), the previous value stays on screen while the next one loads, and rapid
// changes of the arguments can be debounced.
//
//   const users = resource(
//     () => ({ connection: connection || null, text: text.trim() || null }),  // reactive arguments
//     (query) => api.users(query),
//     { initialValue: [], debounce: (next, prev) => (next.text !== prev.text ? 200 : 0) },
//   );
//   users.current  users.loading  users.error  users.loaded
//   users.refetch()                  // again, same arguments (a Retry button)
//   users.refetch({ quiet: true })   // a background refresh: no spinner
//   users.current = [...]            // a local edit (after a delete, say): replace, never mutate
//
// An error stays, next to the last value, until a fetch succeeds (a Retry does not flash the
// empty state). A screen that moves to another subject (another user) clears `current` and
// `error` itself.
//
// `resource()` must be called while a component initialises: it owns an $effect that follows
// the arguments and forgets the answers once the component is gone. Code outside components
// (mappingState) or loads started by a click (open this user) drive a `Resource` directly with
// `load(args)`.
import { untrack } from "svelte";

export interface LoadOptions {
  /** A background refresh: `loading` stays as it is (no spinner). */
  quiet?: boolean;
  /** Wait this many ms first; a newer request in the meantime replaces this one. */
  delay?: number;
}

export interface ResourceOptions<A, T> {
  /** `current` before the first answer (and after `reset()`). */
  initialValue?: T;
  /**
   * Wait for the arguments to settle (ms) before fetching. The first load never waits. A
   * function of the new and the previous arguments lets typing wait while a select applies
   * at once.
   */
  debounce?: number | ((next: A, previous: A) => number);
}

export class Resource<A, T> {
  /** The last value fetched (kept while the next one loads), or the initial value. */
  current = $state.raw<T>() as T;
  /** The last fetch's error: it stays while the next fetch runs, until one succeeds. Writable (dismiss). */
  error = $state.raw<unknown>(null);
  #loading = $state(false);
  #loaded = $state(false);

  readonly #fetcher: (args: A) => Promise<T>;
  readonly #initial: T;
  #seq = 0;
  #args: { value: A } | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiting: ((value: T | undefined) => void) | null = null;

  constructor(fetcher: (args: A) => Promise<T>, initialValue: T) {
    this.#fetcher = fetcher;
    this.#initial = initialValue;
    this.current = initialValue;
  }

  /** A fetch that is not quiet is running. */
  get loading(): boolean {
    return this.#loading;
  }

  /** A fetch has finished (with a value or an error) since the start or the last `reset()`. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Fetches for `args`, replacing any request before it. Resolves to the value when this
   * request was still the latest and succeeded; otherwise to undefined (never rejects).
   */
  load(args: A, options: LoadOptions = {}): Promise<T | undefined> {
    this.#args = { value: args };
    this.#dropWaiting();
    const quiet = options.quiet ?? false;
    if (!options.delay || options.delay <= 0) return this.#fetch(args, quiet);
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#timer = setTimeout(() => {
        this.#waiting = null;
        resolve(this.#fetch(args, quiet));
      }, options.delay);
    });
  }

  /** Fetches again with the last arguments (nothing to do before the first load). */
  refetch(options: { quiet?: boolean } = {}): Promise<T | undefined> {
    if (!this.#args) return Promise.resolve(undefined);
    return this.load(this.#args.value, options);
  }

  /** Forgets the value, the error and any request on its way: back to the start. */
  reset(): void {
    this.cancel();
    this.current = this.#initial;
    this.error = null;
    this.#loaded = false;
  }

  /** Drops any request on its way (its answer will be ignored); the value stays. */
  cancel(): void {
    this.#seq += 1;
    this.#dropWaiting();
    this.#loading = false;
  }

  #dropWaiting(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting?.(undefined);
    this.#waiting = null;
  }

  async #fetch(args: A, quiet: boolean): Promise<T | undefined> {
    const mine = ++this.#seq;
    if (!quiet) this.#loading = true;
    try {
      const value = await this.#fetcher(args);
      if (mine !== this.#seq) return undefined;
      this.current = value;
      this.error = null;
      return value;
    } catch (e) {
      if (mine === this.#seq) this.error = e;
      return undefined;
    } finally {
      if (mine === this.#seq) {
        this.#loading = false;
        this.#loaded = true;
      }
    }
  }
}

/** A resource that follows `source()`: it loads at once, then again whenever the arguments change. */
export function resource<A, T>(
  source: () => A,
  fetcher: (args: A) => Promise<T>,
  options: ResourceOptions<A, T> & { initialValue: T },
): Resource<A, T>;
export function resource<A, T>(
  source: () => A,
  fetcher: (args: A) => Promise<T>,
  options?: ResourceOptions<A, T>,
): Resource<A, T | undefined>;
export function resource<A, T>(
  source: () => A,
  fetcher: (args: A) => Promise<T>,
  options: ResourceOptions<A, T> = {},
): Resource<A, T | undefined> {
  const r = new Resource<A, T | undefined>(fetcher, options.initialValue);
  let previous: { value: A } | null = null;
  $effect(() => {
    const args = source();
    untrack(() => {
      const { debounce } = options;
      const delay = !previous ? 0 : typeof debounce === "function" ? debounce(args, previous.value) : (debounce ?? 0);
      previous = { value: args };
      void r.load(args, { delay });
    });
  });
  // Once the component is gone, a late answer (or a debounced request) has nowhere to go.
  $effect(() => () => r.cancel());
  return r;
}
