// Short-lived notifications, shown by <Toasts /> (mounted once in App.svelte).
//   import { toast } from "../lib/stores/toasts.svelte";
//   toast.success("Connection saved"); toast.error(describeError(e)); toast.info("..."); toast.warning("...")

export type ToastTone = "ok" | "warn" | "bad" | "info";

export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
}

let next = 1;
const timers = new Map<number, ReturnType<typeof setTimeout>>();

export const toasts = $state<{ items: Toast[] }>({ items: [] });

function push(tone: ToastTone, message: string, ms: number): number {
  const id = next++;
  toasts.items.push({ id, tone, message });
  if (toasts.items.length > 5) dismiss(toasts.items[0].id);
  if (ms > 0) timers.set(id, setTimeout(() => dismiss(id), ms));
  return id;
}

export function dismiss(id: number): void {
  const t = timers.get(id);
  if (t) clearTimeout(t);
  timers.delete(id);
  const i = toasts.items.findIndex((x) => x.id === id);
  if (i >= 0) toasts.items.splice(i, 1);
}

export const toast = {
  success: (message: string) => push("ok", message, 4000),
  info: (message: string) => push("info", message, 4000),
  warning: (message: string) => push("warn", message, 8000),
  /** Errors stay longer (8 s): people need time to read them. */
  error: (message: string) => push("bad", message, 8000),
  dismiss,
  clear: () => {
    for (const t of [...toasts.items]) dismiss(t.id);
  },
};
