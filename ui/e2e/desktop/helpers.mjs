// Helpers for the desktop tests that drive the UI step by step (flow.test.mjs, demo.test.mjs).
// Every wait is bounded.
import { pollUntil } from "../harness.mjs";

/** The window the README screenshots show: the app's default size. */
export const WINDOW = { width: 1280, height: 820 };

/**
 * Scrolls the screen (<main>, the app's scroller) to show `selector` 16 px under its top, or
 * (where = "bottom") 16 px above its bottom. Instant, whatever the page's scroll-behavior.
 */
export const scrollMainTo = (browser, selector, where = "top") =>
  browser.execute(
    (s, w) => {
      const main = document.querySelector("main");
      const r = document.querySelector(s).getBoundingClientRect();
      const m = main.getBoundingClientRect();
      const by = w === "top" ? r.top - m.top - 16 : r.bottom - m.bottom + 16;
      main.scrollTo({ top: main.scrollTop + by, behavior: "instant" });
    },
    selector,
    where,
  );

/** Two animation frames: what changed is painted before a screenshot (WebKit's screenshot is
 *  the last painted frame). */
export const painted = (browser) =>
  browser.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));

/** The helpers of one test's session (`browser`, `ctx` as the runner gives them). */
export function uiHelpers(browser, ctx) {
  const log = (s) => console.log(`     ${s}`);
  /** A README screenshot (docs/screenshots/NAME.png). */
  const shot = async (name) => log(`screenshot: ${await ctx.screenshot(name, { docs: true })}`);
  const el = (selector, opts) => ctx.waitFor(selector, opts);
  /** Polls `selector`'s text until `pred` holds; returns the text. */
  const textUntil = async (selector, pred, what, timeout = 15_000) => {
    let last = "";
    try {
      return await pollUntil(
        async () => {
          last = await (await browser.$(selector)).getText();
          return pred(last) ? last : null;
        },
        { timeout, interval: 50, what },
      );
    } catch (e) {
      throw new Error(`${e.message}; ${selector} showed: ${JSON.stringify(last.slice(0, 400))}`);
    }
  };
  /**
   * Polls the main window for `selector` (every 20 ms, for timing); returns the element. A
   * failure tells the script errors collectScriptErrors() saw.
   */
  const find = (selector, what, timeout = 30_000) =>
    pollUntil(
      async () => {
        const r = await browser.$(selector);
        return (await r.isExisting()) ? r : null;
      },
      { timeout, interval: 20, what },
    ).catch(async (e) => {
      const errors = await browser.execute(() => window.__e2eErrors ?? []).catch(() => []);
      throw new Error(errors.length ? `${e.message}; script errors in the window: ${errors.join(" | ")}` : e.message);
    });
  /** Script errors in the main window (an exception in a component stops its rendering), from now on. */
  const collectScriptErrors = () =>
    browser.execute(() => {
      window.__e2eErrors = [];
      addEventListener("error", (e) => window.__e2eErrors.push(String(e.message ?? e)));
      addEventListener("unhandledrejection", (e) => window.__e2eErrors.push(String(e.reason?.stack ?? e.reason)));
    });
  const dismissToasts = async () => {
    for (const b of await browser.$$('button[aria-label="Dismiss notification"]')) await b.click().catch(() => {});
  };
  /** Sizes the webview to WINDOW (the README screenshots' size) if it is not. */
  const fitWindow = async () => {
    let size = await browser.execute(() => [window.innerWidth, window.innerHeight]);
    if (size[0] !== WINDOW.width || size[1] !== WINDOW.height) {
      log(`webview is ${size.join("x")}; asking for ${WINDOW.width}x${WINDOW.height}`);
      await browser.setWindowSize(WINDOW.width, WINDOW.height).catch((e) => log(`(setWindowSize: ${e.message})`));
      size = await browser.execute(() => [window.innerWidth, window.innerHeight]);
    }
    log(`webview ${size.join("x")}`);
  };
  return {
    log,
    shot,
    el,
    textUntil,
    find,
    collectScriptErrors,
    dismissToasts,
    fitWindow,
    scrollTo: (selector, where) => scrollMainTo(browser, selector, where),
    painted: () => painted(browser),
  };
}
