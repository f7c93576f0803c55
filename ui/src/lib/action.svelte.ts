// The one way screens run what a person asked for (save, delete, export, run a scenario):
// `busy` while it runs, and a second run meanwhile is refused (no double submission); a
// failure is toasted with describeError (or kept in `error` for an inline banner); an
// optional success toast; the result is returned (undefined when it failed or was refused).
//
//   const remove = action((c: ConnectionSummary) => api.removeConnection(c.name), {
//     success: (outcome) => `Deleted ${outcome.name}`,
//   });
//   <button disabled={remove.busy} onclick={() => remove.run(c)}>Delete</button>
//   {remove.pending?.[0] === c ? "Deleting…" : "Delete"}
//
//   const save = action(() => api.setPolicy(name, draft), { toastError: false });
//   <ErrorBanner error={save.error} title="Not saved" />
//
// Work that belongs to the action (closing a dialog, reloading a list) goes in the function,
// so `busy` covers it. Actions need no component: create them anywhere.
import { describeError } from "./api";
import { toast } from "./stores/toasts.svelte";

export interface ActionOptions<A extends unknown[], R> {
  /** The success toast: a text, or one made from the result and the arguments (nothing if empty). */
  success?: string | ((result: R, ...args: A) => string | null | undefined);
  /**
   * How a failure is told: true (the default) toasts describeError(e); a function writes the
   * toast itself; false toasts nothing, for a screen that shows `error` inline.
   */
  toastError?: boolean | ((error: unknown, ...args: A) => string);
}

export class Action<A extends unknown[], R> {
  /** The last run's error (cleared when the next run starts); writable to dismiss it. */
  error = $state.raw<unknown>(null);
  #pending = $state.raw<A | null>(null);
  readonly #fn: (...args: A) => Promise<R>;
  readonly #options: ActionOptions<A, R>;

  constructor(fn: (...args: A) => Promise<R>, options: ActionOptions<A, R> = {}) {
    this.#fn = fn;
    this.#options = options;
  }

  /** A run is in progress. */
  get busy(): boolean {
    return this.#pending !== null;
  }

  /** The arguments of the run in progress (to mark the row or button it belongs to), or null. */
  get pending(): A | null {
    return this.#pending;
  }

  /** Runs the action; never rejects. Refused (undefined at once) while a run is in progress. */
  run = async (...args: A): Promise<R | undefined> => {
    if (this.#pending !== null) return undefined;
    this.#pending = args;
    this.error = null;
    const { success, toastError = true } = this.#options;
    try {
      const result = await this.#fn(...args);
      const message = typeof success === "function" ? success(result, ...args) : success;
      if (message) toast.success(message);
      return result;
    } catch (e) {
      this.error = e;
      if (toastError) toast.error(typeof toastError === "function" ? toastError(e, ...args) : describeError(e));
      return undefined;
    } finally {
      this.#pending = null;
    }
  };
}

export function action<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  options?: ActionOptions<A, R>,
): Action<A, R> {
  return new Action(fn, options);
}
