// Helpers for browser tests. Every wait is bounded (Playwright's default timeout is set to
// 10 s per action by the runner; these take an explicit timeout where it matters).
import { readySelector } from "../harness.mjs";

/**
 * Loads the app at `path` and waits until it is ready: `[data-ready]` on the app root once
 * the real UI's first data load is done (the placeholder UI: its `main`/`h1`).
 * Register the backend's answers before calling this: the app invokes commands at start.
 */
export async function openApp(page, { path = "/", timeout = 15_000 } = {}) {
  await page.goto(path, { waitUntil: "domcontentloaded", timeout });
  await page.locator(readySelector()).first().waitFor({ state: "attached", timeout });
}

/** Waits until `selector` is visible and its text contains `text` (string or RegExp). */
export async function expectText(page, selector, text, { timeout = 10_000 } = {}) {
  const loc = page.locator(selector).first();
  await loc.waitFor({ state: "visible", timeout });
  const deadline = Date.now() + timeout;
  for (;;) {
    const got = (await loc.textContent()) ?? "";
    if (typeof text === "string" ? got.includes(text) : text.test(got)) return got;
    if (Date.now() > deadline) throw new Error(`${selector}: expected text ${text}, found ${JSON.stringify(got)}`);
    await page.waitForTimeout(50);
  }
}
