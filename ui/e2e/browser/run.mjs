// Browser tests: the built UI (ui/dist, served by `vite preview` on loopback) in Debian's
// Chromium, driven by playwright-core, with the Tauri IPC faked (ipc-mock.mjs in the page,
// backend.mjs in Node). Builds nothing: run `npm run build` first.
//
//   node e2e/browser/run.mjs [FILTER...]      (npm run e2e:browser -- FILTER...)
//
// Each *.test.mjs here exports async tests `(page, backend, ctx) => {}`; each test gets a
// fresh browser context and page (the app not yet loaded: register the backend's answers,
// then `await openApp(page)` from helpers.mjs). A test fails on a thrown error, an
// uncaught error in the page (unless it calls ctx.allowPageErrors()), or a backend handler
// that crashed. On failure a screenshot goes to target/e2e/browser/. The last line is
// `browser: N passed, N failed`; the exit status is 1 if anything failed.
//
// Environment: CHROMIUM (default /usr/bin/chromium), E2E_TEST_TIMEOUT_MS (60000),
// E2E_TIMEOUT_MS (whole run, 300000), E2E_OUT (default <repo>/target/e2e/browser),
// E2E_HEADED=1 to watch (needs a display).
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Backend } from "./backend.mjs";
import { installIpcMock } from "./ipc-mock.mjs";
import { uiDir, repoDir, loadTests, runTests, runMain, pollUntil, withTimeout, slug, ensureDir } from "../harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const LABEL = "browser";
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const testTimeoutMs = Number(process.env.E2E_TEST_TIMEOUT_MS ?? 60_000);
const runTimeoutMs = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const outDir = process.env.E2E_OUT ?? join(repoDir, "target", "e2e", "browser");
const BINDING = "__handshakeE2eInvoke";

let preview = null;
let browser = null;
async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (preview && preview.exitCode === null) preview.kill("SIGTERM");
  preview = null;
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    await cleanup();
    process.exit(1);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** `vite preview` of ui/dist on a free loopback port; resolves to its base URL. */
async function startPreview() {
  const vite = join(uiDir, "node_modules", "vite", "bin", "vite.js");
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let out = "";
    const child = spawn(process.execPath, [vite, "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
      cwd: uiDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    preview = child;
    const url = `http://127.0.0.1:${port}/`;
    try {
      await pollUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}): ${out.trim()}`);
          const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
          return res.ok;
        },
        { timeout: 20_000, interval: 100, what: `vite preview on ${url}` },
      );
      return url;
    } catch (e) {
      child.kill("SIGTERM");
      preview = null;
      // Another process may have taken the port between freePort() and vite's bind.
      if (attempt >= 3) throw e;
    }
  }
}

async function main() {
  if (!existsSync(join(uiDir, "dist", "index.html"))) {
    console.error(`${LABEL}: ui/dist/index.html not found; build the UI first (npm --prefix ui run build)`);
    process.exit(1);
  }
  if (!existsSync(chromiumPath)) {
    console.error(`${LABEL}: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`);
    process.exit(1);
  }
  const tests = await loadTests(here, process.argv.slice(2));
  ensureDir(outDir);

  const baseURL = await startPreview();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: process.env.E2E_HEADED !== "1",
    timeout: 30_000,
    // As root there is no usable sandbox; the network flags keep Chromium from calling
    // home on a machine whose network refuses it (slow, noisy starts otherwise).
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  console.log(`${LABEL}: Chromium ${browser.version()}, UI at ${baseURL}, ${tests.length} test(s)`);

  const open = async (t) => {
    const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.setDefaultNavigationTimeout(15_000);
    const backend = new Backend();
    backend.page = page;
    // Arguments and replies cross as JSON text, as with Tauri's IPC (Playwright's own
    // serialisation of a large object graph is far slower: seconds for 10,000 users).
    await context.exposeBinding(BINDING, async (_source, cmd, argsJson) =>
      JSON.stringify(await backend.invoke(cmd, JSON.parse(argsJson))),
    );
    await context.addInitScript(installIpcMock, { bindingName: BINDING, windowLabel: "main" });

    const pageErrors = [];
    const consoleLines = [];
    page.on("pageerror", (e) => pageErrors.push(e.stack ?? String(e)));
    page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    let allowPageErrors = false;
    const ctx = {
      baseURL,
      outDir,
      allowPageErrors: () => {
        allowPageErrors = true;
      },
      screenshot: (name) => page.screenshot({ path: join(outDir, `${slug(name)}.png`), fullPage: true }),
    };
    return {
      args: [page, backend, ctx],
      check: async () => {
        if (backend.errors.length) throw new Error(`backend handler error:\n${backend.errors.join("\n")}`);
        if (pageErrors.length && !allowPageErrors) throw new Error(`uncaught error in the page:\n${pageErrors.join("\n")}`);
      },
      close: async (failed) => {
        const unhandled = [...new Set(backend.unhandled)];
        if (unhandled.length) console.log(`     (commands with no answer, rejected: ${unhandled.join(", ")})`);
        if (failed) {
          const shot = join(outDir, `${slug(t.full)}.png`);
          try {
            await withTimeout(page.screenshot({ path: shot, fullPage: true }), 10_000, "failure screenshot");
            console.log(`     screenshot: ${shot}`);
          } catch (e) {
            console.log(`     (no screenshot: ${e.message})`);
          }
          if (consoleLines.length) console.log(`     page console (last 20):\n${consoleLines.slice(-20).map((l) => `       ${l}`).join("\n")}`);
        }
        await context.close();
      },
    };
  };

  return runTests(LABEL, tests, { open, testTimeoutMs });
}

runMain(LABEL, { timeoutMs: runTimeoutMs, cleanup }, main);
