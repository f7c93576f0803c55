// A deliberately tiny test harness shared by the browser (Playwright) and desktop
// (WebDriver) runners: test files are ES modules named *.test.mjs whose exported async
// functions are the tests (export name = test name). Two export names are reserved:
//   beforeEach(...same arguments as the tests...)  runs before each test of that file
//   only = ["name", ...]                           (debugging) run only these of the file
// Everything is bounded: a per-test timeout, and a global timeout (runMain).
import { readdirSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve, basename } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = resolve(uiDir, "..");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects with a clear message if `promise` takes longer than `ms`. */
export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `fn` until it returns a truthy value, at most `timeout` ms; returns that value. */
export async function pollUntil(fn, { timeout = 10_000, interval = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message ?? lastError})` : "";
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${why}`);
    }
    await sleep(interval);
  }
}

/** Ends the process with status 1 if the whole run takes longer than `ms`. */
export function globalTimeout(ms, label, onTimeout) {
  const t = setTimeout(async () => {
    console.error(`${label}: global timeout (${ms} ms) reached; giving up`);
    try {
      await withTimeout(Promise.resolve(onTimeout?.()), 10_000, "cleanup");
    } catch (e) {
      console.error(`${label}: cleanup after timeout failed: ${e.message}`);
    }
    process.exit(1);
  }, ms);
  t.unref();
  return t;
}

/** File-system-safe name for screenshots and logs. */
export const slug = (s) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);

export function ensureDir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Loads every *.test.mjs in `dir` (sorted) and returns its tests, filtered by the command
 * line: any argument is a case-insensitive substring of "file › test".
 */
export async function loadTests(dir, filters = []) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".test.mjs")).sort();
  const tests = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(dir, f)).href);
    const file = basename(f, ".test.mjs");
    const only = Array.isArray(mod.only) ? mod.only : null;
    for (const [name, fn] of Object.entries(mod)) {
      if (name === "beforeEach" || name === "only" || typeof fn !== "function") continue;
      if (only && !only.includes(name)) continue;
      const full = `${file} › ${name}`;
      if (filters.length && !filters.some((x) => full.toLowerCase().includes(x.toLowerCase()))) continue;
      tests.push({ file, name, full, fn, beforeEach: typeof mod.beforeEach === "function" ? mod.beforeEach : null });
    }
  }
  return tests;
}

/**
 * Runs `tests` one by one. `open(test)` gives { args, close(failed, error) }: the arguments
 * the test is called with, and what to do after it (close the page, screenshot on failure).
 * Prints one line per test and a closing `LABEL: N passed, N failed`; returns the failures.
 */
export async function runTests(label, tests, { open, testTimeoutMs }) {
  let passed = 0;
  let failed = 0;
  if (tests.length === 0) console.log(`${label}: no tests matched`);
  for (const t of tests) {
    const started = Date.now();
    let error = null;
    let session = null;
    try {
      session = await withTimeout(open(t), testTimeoutMs, `setting up ${t.full}`);
      const run = async () => {
        if (t.beforeEach) await t.beforeEach(...session.args);
        await t.fn(...session.args);
      };
      await withTimeout(run(), testTimeoutMs, t.full);
      if (session.check) await session.check();
    } catch (e) {
      error = e;
    }
    // The verdict first, then what closing prints (the failure screenshot's path...).
    if (error) {
      console.log(`FAIL ${t.full} (${Date.now() - started} ms)`);
      console.log(indent(error.stack ?? String(error)));
    }
    try {
      if (session) await withTimeout(Promise.resolve(session.close(!!error, error)), 30_000, `closing ${t.full}`);
    } catch (e) {
      if (!error) {
        error = e;
        console.log(`FAIL ${t.full} (closing: ${e.message})`);
      } else {
        console.log(`     (closing failed too: ${e.message})`);
      }
    }
    if (error) {
      failed += 1;
    } else {
      passed += 1;
      console.log(`ok   ${t.full} (${Date.now() - started} ms)`);
    }
  }
  // The closing line scripts/test.sh (and CI) read.
  console.log(`${label}: ${passed} passed, ${failed} failed`);
  return { passed, failed, total: tests.length };
}

/**
 * Runs a runner's `main` (which ends with runTests' result) under a global timeout of
 * `timeoutMs`, then exits: status 1 if a test failed, none ran, or main threw (reported
 * as one failure). `cleanup` (closing the browser, the sessions...) runs before the exit.
 */
export function runMain(label, { timeoutMs, cleanup }, main) {
  globalTimeout(timeoutMs, label, cleanup);
  main().then(
    async ({ failed, total }) => {
      await cleanup();
      process.exit(failed > 0 || total === 0 ? 1 : 0);
    },
    async (e) => {
      console.error(`${label}: ${e.stack ?? e}`);
      console.log(`${label}: 0 passed, 1 failed`);
      await cleanup();
      process.exit(1);
    },
  );
}

const indent = (s) =>
  String(s)
    .split("\n")
    .map((l) => `     ${l}`)
    .join("\n");

/**
 * What "the app is ready" looks like. The real UI sets `data-ready` on its <main> once its
 * first data load is done; a UI build that never mentions `data-ready` (the placeholder)
 * has nothing to wait for beyond its first heading, so `main, h1` stands in. Decided from
 * the built bundle in ui/dist, so it switches by itself when the real UI lands.
 */
export function readySelector() {
  const assets = join(uiDir, "dist", "assets");
  let mentions = false;
  try {
    for (const f of readdirSync(assets)) {
      if (f.endsWith(".js") && readFileSync(join(assets, f), "utf8").includes("data-ready")) mentions = true;
    }
  } catch {
    // no dist: the runners say so themselves
  }
  // (`data-ready="false"` does not count, in case the UI renders the attribute early.)
  return mentions ? '[data-ready]:not([data-ready="false"])' : "main, h1";
}
