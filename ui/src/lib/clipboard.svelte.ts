// The one way the UI copies text (CopyButton, CopyValue, "Copy SP metadata", the login URL...).
//
// In the app every copy goes through the Tauri clipboard plugin (its own permission,
// clipboard-manager:allow-write-text): the webview's navigator.clipboard refuses a write that
// follows an `await` (the SP metadata is fetched first) with "The request is not allowed by the
// user agent". Outside Tauri (vite dev, a plain browser) it is navigator.clipboard.
//
// A copy that fails never leaves the person stuck: `copyFailure` holds the text, and
// <CopyFallback /> (mounted once in App.svelte) shows it selected, ready for Ctrl+C, with a
// Save button where the caller has a way to save it.
//
//   const ok = await copy(xml, { what: "SP metadata", save: () => saveMetadata() });
import { writeText } from "@tauri-apps/plugin-clipboard-manager";

export interface CopyOptions {
  /** What is copied, for people ("SP metadata", "the login URL"); default "the text". */
  what?: string;
  /** Another way to keep the text (a save dialog), offered when the copy fails. */
  save?: () => void | Promise<unknown>;
}

export interface CopyFailure {
  text: string;
  what: string;
  reason: string;
  save: (() => void | Promise<unknown>) | null;
}

/** The last failed copy, shown by <CopyFallback /> until dismissed. */
export const copyFailure = $state<{ current: CopyFailure | null }>({ current: null });

/** True inside the Tauri app (or the browser tests' fake of its IPC). */
function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

function reasonOf(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** Writes `text` to the system clipboard; rejects with the platform's reason. */
export async function writeClipboard(text: string): Promise<void> {
  if (inTauri()) return writeText(text);
  if (!navigator.clipboard?.writeText) throw new Error("this browser gives the page no clipboard access");
  return navigator.clipboard.writeText(text);
}

/**
 * Copies `text`; true when it is on the clipboard. A failure is not thrown: it opens the
 * fallback (the text selected, and `save` if given) and returns false.
 */
export async function copy(text: string, options: CopyOptions = {}): Promise<boolean> {
  try {
    await writeClipboard(text);
    if (copyFailure.current?.text === text) copyFailure.current = null;
    return true;
  } catch (e) {
    copyFailure.current = {
      text,
      what: options.what ?? "the text",
      reason: reasonOf(e),
      save: options.save ?? null,
    };
    return false;
  }
}

/** Closes the fallback. */
export function dismissCopyFailure(): void {
  copyFailure.current = null;
}
