// Desktop tests: the real release app (UI embedded, real core, real keyring, real IdP)
// driven over WebDriver: webdriverio -> tauri-driver -> WebKitWebDriver -> the app's webview.
// Run it through scripts/test-desktop.sh, which builds the app, installs tauri-driver,
// starts Xvfb, a D-Bus session with a keyring, SimpleSAMLphp and tauri-driver, then this:
//
//   APP=/abs/target/release/handshake-app TAURI_DRIVER_PORT=4444 node e2e/desktop/run.mjs [FILTER...]
//
// Each *.test.mjs here exports async tests `(browser, ctx) => {}`; each test gets its own
// WebDriver session, i.e. a freshly launched app (all sessions of a run share HANDSHAKE_DB
// and the secret store that the script set up). `ctx` has bounded helpers (waitFor, click,
// type, text, screenshot, ipc, switchToNewWindow/switchToMain, measure, measureIdpPost)
// and `ctx.env` (the IdP to use; see below); ctx.launchStartedAt is performance.now() at
// the launch request (for launch -> X timings). The real login flow goes in flow.test.mjs:
// import ctx.env.idpMetadataUrl as connection ctx.env.connection (SimpleSAMLphp already
// knows that connection's SP entityID and ACS), open its login window, switchToNewWindow,
// type the user/password into input[name=username] / input[name=password], then
// measureIdpPost({ submit: "#submit_button", result: ... }). Checked by hand with IPC
// calls in place of the UI: the POST lands on the SP's result page in about 150 ms.
//
// Measured for every launch, written to target/desktop-measurements.json and printed:
//   launch_to_interactive_ms  WebDriver session creation start (which launches the app) ->
//                             first successful find of the ready marker: `[data-ready]`,
//                             which the UI sets on <main> once its first data load is done
//                             (while the built UI never mentions data-ready, as the
//                             placeholder doesn't: the first `main, h1`)
//   memory                    VmRSS (and PSS) of handshake-app and all its descendants
//                             (WebKitWebProcess, WebKitNetworkProcess) from /proc, sampled
//                             when interactive and again after 2 s idle
// Tests add their own numbers with ctx.measure(name, value); ctx.measureIdpPost records
// `idp_post_to_result_ms` (IdP form submit click -> result selector found).
//
// Environment: APP (required), TAURI_DRIVER_PORT (4444), E2E_TEST_TIMEOUT_MS (180000),
// E2E_TIMEOUT_MS (whole run, 600000), E2E_OUT (<repo>/target/e2e/desktop),
// E2E_MEASUREMENTS (<repo>/target/desktop-measurements.json), and for tests:
// (a test that needs the app in another environment, e.g. no browser on PATH or another
// secret store, sets `test.launch = () => ({ env })`: see application() below)
// E2E_IDP_METADATA_URL, E2E_IDP_USER, E2E_IDP_PASSWORD, E2E_CONNECTION, HANDSHAKE_PORT.
import { remote } from "webdriverio";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  repoDir,
  loadTests,
  runTests,
  runMain,
  pollUntil,
  withTimeout,
  slug,
  ensureDir,
  readySelector,
  sleep,
} from "../harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const LABEL = "desktop";
const app = process.env.APP;
const driverPort = Number(process.env.TAURI_DRIVER_PORT ?? 4444);
const testTimeoutMs = Number(process.env.E2E_TEST_TIMEOUT_MS ?? 180_000);
const runTimeoutMs = Number(process.env.E2E_TIMEOUT_MS ?? 600_000);
const outDir = process.env.E2E_OUT ?? join(repoDir, "target", "e2e", "desktop");
const measurementsFile = process.env.E2E_MEASUREMENTS ?? join(repoDir, "target", "desktop-measurements.json");
const docsShots = join(repoDir, "docs", "screenshots");
const READY_TIMEOUT_MS = 60_000;
const SETTLE_MS = 2_000;

const sessions = new Set();
async function cleanup() {
  for (const b of sessions) await withTimeout(b.deleteSession(), 10_000, "deleteSession").catch(() => {});
  sessions.clear();
}

// ---- /proc: the app's processes and their memory ------------------------------------------
function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null;
  }
}
function procTable() {
  const rows = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readProc(d, "stat");
    if (!stat) continue;
    // comm is in parentheses and may hold spaces: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    let exe = null;
    try {
      exe = readlinkSync(`/proc/${d}/exe`);
    } catch {
      // kernel thread or gone
    }
    rows.push({ pid: Number(d), ppid: Number(rest[1]), start: Number(rest[19]), exe, comm: (readProc(d, "comm") ?? "").trim() });
  }
  return rows;
}
/** True while `pid` exists and is not a zombie. */
function alive(pid) {
  const stat = readProc(pid, "stat");
  return !!stat && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}
const kb = (text, key) => {
  const m = text && new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) : 0;
};
/** The newest handshake-app process running APP and its descendants, with VmRSS/PSS. */
function sampleMemory() {
  const appPath = realpathSync(app);
  const rows = procTable();
  const apps = rows.filter((r) => r.exe === appPath || r.exe === `${appPath} (deleted)`).sort((a, b) => b.start - a.start);
  if (!apps.length) return { error: `no running process of ${appPath}` };
  const root = apps[0];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const r of rows) if (r.ppid === tree[i].pid) tree.push(r);
  const procs = tree.map((r) => {
    const name = r.exe ? r.exe.replace(/ \(deleted\)$/, "").split("/").pop() : r.comm;
    return { pid: r.pid, name, rss_kb: kb(readProc(r.pid, "status"), "VmRSS"), pss_kb: kb(readProc(r.pid, "smaps_rollup"), "Pss") };
  });
  const sum = (k) => procs.reduce((s, p) => s + p[k], 0);
  return { rss_kb_total: sum("rss_kb"), pss_kb_total: sum("pss_kb"), rss_mb_total: +(sum("rss_kb") / 1024).toFixed(1), processes: procs };
}

// ---- measurements ----------------------------------------------------------------------------
const results = {
  generated_at: new Date().toISOString(),
  app,
  ready_selector: null,
  definitions: {
    launch_to_interactive_ms: "WebDriver session creation start (launches the app) -> first find of the ready selector",
    session_created_ms: "WebDriver session creation start -> session created (app launched, webview connected)",
    webview_ms_at_ready: "performance.now() in the webview when ready was seen (since its navigation start)",
    memory: "VmRSS / PSS (kB) of handshake-app and its descendant processes (WebKitWebProcess, WebKitNetworkProcess), from /proc",
    idp_post_to_result_ms: "click on the IdP's submit button -> the result selector found in the app",
    // flow.test.mjs (the first test login; `at` is the ACS's timestamp, the rest the main window's clock):
    acs_to_rendered_ms: "IdP's POST received at the ACS (TestLogin.at) -> result rendered in the main window (data-rendered-epoch)",
    acs_to_event_ms: "ACS timestamp -> the test-login event handled in the webview (rendered epoch minus event_to_rendered_ms)",
    event_to_rendered_ms: "event handled in the webview -> result rendered (test_login IPC call + Svelte render)",
    idp_submit_to_acs_ms: "click on the IdP's sign-in button -> POST received at the ACS (SimpleSAMLphp's authentication and auto-POST page)",
    idp_submit_to_rendered_ms: "click on the IdP's sign-in button -> result rendered in the main window",
    sso_login_click_to_rendered_ms: "second login, on the IdP's session: click on Start test login -> result rendered",
    second_login_acs_to_rendered_ms: "second login: ACS timestamp -> result rendered",
    // demo.test.mjs (first run with the built-in demo IdP, on an empty catalog):
    demo_launch_to_first_user_ms:
      "WebDriver session creation start (launches the app) -> the first JIT-provisioned user shown (test-login result, outcome created); includes the harness's 2 s memory-settle pause after ready",
    demo_create_click_to_first_user_ms: "click on Create demo connection -> the first provisioned user shown (create, Start, pick a person, sign in)",
    demo_idp_submit_to_result_ms: "click on the demo IdP's Sign in button -> the result found in the main window",
    demo_scenario_click_to_result_ms: "click on a scenario's Run button (wrong-audience) -> its verdict shown on the Demo screen",
  },
  launches: [],
  measurements: {},
};
function writeResults() {
  ensureDir(dirname(measurementsFile));
  writeFileSync(measurementsFile, `${JSON.stringify(results, null, 2)}\n`);
}

// ---- per-test session and helpers -----------------------------------------------------------
/**
 * The program the session launches: APP, or for a test with its own environment
 * (`test.launch = () => ({ env: { NAME: "value" or null to unset } })`) a small script that
 * sets it and execs APP (so /proc still shows APP: the memory sampler finds it).
 */
function application(t) {
  const launch = typeof t.fn.launch === "function" ? t.fn.launch() : null;
  if (!launch?.env) return app;
  const quote = (v) => `'${String(v).replaceAll("'", `'\\''`)}'`;
  const lines = Object.entries(launch.env).map(([k, v]) => (v === null ? `unset ${k}` : `export ${k}=${quote(v)}`));
  const file = join(ensureDir(join(outDir, "launch")), `${slug(t.full)}.sh`);
  writeFileSync(file, `#!/bin/sh\n${lines.join("\n")}\nexec ${quote(app)} "$@"\n`, { mode: 0o755 });
  return file;
}

async function open(t) {
  const sel = readySelector();
  results.ready_selector = sel;
  const program = application(t);
  const t0 = performance.now();
  const session = () =>
    remote({
      hostname: "127.0.0.1",
      port: driverPort,
      logLevel: "warn",
      connectionRetryTimeout: 45_000,
      connectionRetryCount: 0,
      capabilities: {
        "tauri:options": { application: program },
        // Plain WebDriver: WebKitWebDriver has no WebDriver BiDi.
        "wdio:enforceWebDriverClassic": true,
      },
    });
  // One more launch when the first never answers: under Xvfb a launch now and then fails to
  // open its GTK display ("Failed to initialize GTK") and WebKitWebDriver then never replies.
  // Said in the log, so a launch that fails twice is still a failure.
  const browser = await session().catch((e) => {
    console.log(`     (the app's session did not start: ${String(e.message).slice(0, 160)}; launching it again)`);
    return session();
  });
  sessions.add(browser);
  const tSession = performance.now();
  try {
    await pollUntil(async () => browser.$(sel).isExisting(), { timeout: READY_TIMEOUT_MS, interval: 25, what: `ready selector ${sel}` });
  } catch (e) {
    // Never interactive: keep a picture of what the window showed, end the session.
    const file = join(ensureDir(outDir), `${slug(`NOT-READY-${t.full}`)}.png`);
    await withTimeout(browser.saveScreenshot(file), 15_000, "saveScreenshot").then(
      () => console.log(`     screenshot: ${file}`),
      () => {},
    );
    sessions.delete(browser);
    await withTimeout(browser.deleteSession(), 15_000, "deleteSession").catch(() => {});
    throw e;
  }
  const tReady = performance.now();
  const webviewMs = await browser.execute(() => performance.now()).catch(() => null);
  const atReady = sampleMemory();
  await sleep(SETTLE_MS);
  const settled = sampleMemory();
  const launch = {
    test: t.full,
    launch_to_interactive_ms: Math.round(tReady - t0),
    session_created_ms: Math.round(tSession - t0),
    webview_ms_at_ready: webviewMs === null ? null : Math.round(webviewMs),
    memory_at_ready: atReady,
    memory_after_settle: settled,
  };
  results.launches.push(launch);
  console.log(
    `     launch -> interactive ${launch.launch_to_interactive_ms} ms (session ${launch.session_created_ms} ms); ` +
      `RSS ${settled.rss_mb_total ?? "?"} MB in ${settled.processes?.length ?? "?"} processes`,
  );

  const waitFor = async (selector, { timeout = 15_000 } = {}) => {
    const el = await pollUntil(
      async () => {
        const e = await browser.$(selector);
        return (await e.isExisting()) ? e : null;
      },
      { timeout, interval: 50, what: selector },
    );
    return el;
  };
  const ctx = {
    env: {
      idpMetadataUrl: process.env.E2E_IDP_METADATA_URL ?? null,
      idpUser: process.env.E2E_IDP_USER ?? null,
      idpPassword: process.env.E2E_IDP_PASSWORD ?? null,
      connection: process.env.E2E_CONNECTION ?? null,
      spPort: process.env.HANDSHAKE_PORT ?? null,
    },
    readySelector: sel,
    launch,
    /** performance.now() (this process's clock) just before the session that launched the app was requested. */
    launchStartedAt: t0,
    waitFor,
    click: async (selector, opts) => (await waitFor(selector, opts)).click(),
    type: async (selector, text, opts) => (await waitFor(selector, opts)).setValue(text),
    text: async (selector, opts) => (await waitFor(selector, opts)).getText(),
    /** Saves a screenshot: target/e2e/desktop/NAME.png, or docs/screenshots/NAME.png with { docs: true }. */
    screenshot: async (name, { docs = false } = {}) => {
      const file = join(ensureDir(docs ? docsShots : outDir), `${slug(name)}.png`);
      try {
        await withTimeout(browser.saveScreenshot(file), 15_000, "saveScreenshot");
      } catch (e) {
        // The webview could not render one: the whole (virtual) screen instead.
        console.log(`     (WebDriver screenshot failed: ${e.message}; using import -window root)`);
        execFileSync("import", ["-window", "root", file], { timeout: 15_000 });
      }
      return file;
    },
    /**
     * Calls an app command through the window's real IPC (as the UI does); resolves to its
     * value, rejects with its error ({code, message}). For set-up and checks in tests.
     */
    ipc: async (cmd, args = {}) => {
      const r = await browser.executeAsync(
        (c, a, done) => {
          window.__TAURI_INTERNALS__.invoke(c, a).then(
            (value) => done({ ok: true, value }),
            (error) => done({ ok: false, error }),
          );
        },
        cmd,
        args,
      );
      if (!r.ok) throw Object.assign(new Error(`${cmd}: ${JSON.stringify(r.error)}`), { ipcError: r.error });
      return r.value;
    },
    /** The main window's handle (the one the session started in). */
    mainWindow: null,
    /**
     * Waits for a window other than the main one (the IdP login window the app opens) and
     * switches to it; returns its handle. ctx.switchToMain() goes back.
     */
    switchToNewWindow: async ({ timeout = 15_000 } = {}) => {
      const handle = await pollUntil(
        async () => (await browser.getWindowHandles()).find((h) => h !== ctx.mainWindow),
        { timeout, interval: 100, what: "a second window" },
      );
      await browser.switchToWindow(handle);
      return handle;
    },
    switchToMain: () => browser.switchToWindow(ctx.mainWindow),
    measure: (name, value) => {
      results.measurements[name] = value;
      writeResults();
    },
    /**
     * Clicks the IdP's submit button and waits for `result` to be found; records the time
     * from just before the click as `name` (idp_post_to_result_ms). `afterClick` runs before
     * the polling starts (switch window, for instance).
     */
    measureIdpPost: async ({ submit, result, timeout = 30_000, name = "idp_post_to_result_ms", afterClick } = {}) => {
      const button = await waitFor(submit);
      const t1 = performance.now();
      await button.click();
      if (afterClick) await afterClick();
      await pollUntil(async () => browser.$(result).isExisting(), { timeout, interval: 20, what: result });
      const ms = Math.round(performance.now() - t1);
      ctx.measure(name, ms);
      return ms;
    },
  };
  ctx.mainWindow = await browser.getWindowHandle();
  return {
    args: [browser, ctx],
    close: async (failed) => {
      if (failed) {
        try {
          console.log(`     screenshot: ${await ctx.screenshot(`FAILED-${t.full}`)}`);
        } catch (e) {
          console.log(`     (no screenshot: ${e.message})`);
        }
      }
      sessions.delete(browser);
      await withTimeout(browser.deleteSession(), 15_000, "deleteSession").catch((e) => console.log(`     (deleteSession: ${e.message})`));
      // The next launch binds the same HANDSHAKE_PORT: wait (bounded) for this app to be gone.
      const pid = launch.memory_at_ready.processes?.[0]?.pid;
      if (pid) {
        await pollUntil(() => !alive(pid), { timeout: 10_000, interval: 50, what: `app pid ${pid} to exit` }).catch((e) =>
          console.log(`     (${e.message})`),
        );
      }
    },
  };
}

async function main() {
  if (!app || !existsSync(app)) {
    console.error(`${LABEL}: set APP to the built app (target/release/handshake-app); got ${app ?? "nothing"}`);
    process.exit(1);
  }
  ensureDir(outDir);
  const tests = await loadTests(here, process.argv.slice(2));
  console.log(`${LABEL}: ${app}, tauri-driver on 127.0.0.1:${driverPort}, ${tests.length} test(s)`);
  const outcome = await runTests(LABEL, tests, { open, testTimeoutMs });
  writeResults();
  console.log(`${LABEL}: measurements (${measurementsFile}):`);
  const brief = {
    ready_selector: results.ready_selector,
    launches: results.launches.map((l) => ({
      test: l.test,
      launch_to_interactive_ms: l.launch_to_interactive_ms,
      session_created_ms: l.session_created_ms,
      rss_mb_at_ready: l.memory_at_ready.rss_mb_total,
      rss_mb_after_settle: l.memory_after_settle.rss_mb_total,
      pss_mb_after_settle: l.memory_after_settle.pss_kb_total === undefined ? null : +(l.memory_after_settle.pss_kb_total / 1024).toFixed(1),
      processes: (l.memory_after_settle.processes ?? []).map((p) => `${p.name} ${(p.rss_kb / 1024).toFixed(1)} MB`),
    })),
    measurements: results.measurements,
  };
  console.log(JSON.stringify(brief, null, 2));
  return outcome;
}

runMain(LABEL, { timeoutMs: runTimeoutMs, cleanup }, main);
