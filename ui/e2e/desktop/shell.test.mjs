// What the desktop shell does around the core, in the release app, each at 1024x640 (light)
// and 1280x800 (dark):
//   - "Copy SP metadata" (and the other copy buttons) put the text on the system clipboard,
//     through the Tauri clipboard plugin: read back from the X clipboard (GTK, python3-gi);
//   - the secret-store banner's "Check again" works after the fix, without a restart;
//   - "System browser" with no browser says so within a bounded time, with the login URL
//     to copy (real xdg-open, on a PATH and XDG data dirs without any browser);
//   - the demo IdP's sign-in page shows its Sign in button without scrolling in the login
//     window; after the result the login window closes and the main window, focused, shows
//     the result (and the keyboard's focus ring).
//
// Each test launches the app in its own environment (test.launch, see run.mjs): its own
// catalog and secret store, so it depends on no other test and leaves nothing behind.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pollUntil } from "../harness.mjs";
import { painted, uiHelpers } from "./helpers.mjs";

const SIZES = [
  { width: 1024, height: 640, theme: "Light" },
  { width: 1280, height: 800, theme: "Dark" },
];
/** The bound on "no browser" being said: the opener's own wait (os.rs, 3 s) and some. */
const NO_BROWSER_BUDGET_MS = 10_000;

/** A fresh catalog (and, unless given, an in-memory secret store) for one launch. */
function ownState(extra = {}) {
  const dir = mkdtempSync(join(tmpdir(), "handshake-shell-e2e-"));
  return { dir, env: { HANDSHAKE_DB: join(dir, "handshake.db"), HANDSHAKE_SECRET_STORE: "memory", ...extra } };
}

/** The text on the X clipboard (CLIPBOARD selection), asked of its owner through GTK. */
function readClipboard() {
  const script =
    "import gi\ngi.require_version('Gtk', '3.0')\nfrom gi.repository import Gtk, Gdk\n" +
    "t = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD).wait_for_text()\nprint(t or '', end='')\n";
  return execFileSync("/usr/bin/python3", ["-c", script], { timeout: 10_000, encoding: "utf8" });
}

async function clipboardIs(expected, what) {
  let last = "";
  await pollUntil(
    () => {
      last = readClipboard();
      return last === expected;
    },
    { timeout: 10_000, interval: 200, what: `${what} on the clipboard` },
  ).catch((e) => {
    throw new Error(`${e.message}; the clipboard holds ${JSON.stringify(last.slice(0, 200))}`);
  });
}

/** Sizes the window, picks the theme, and says what the webview got. */
async function setSize(browser, ctx, log, { width, height, theme }) {
  await browser.setWindowSize(width, height).catch((e) => log(`(setWindowSize: ${e.message})`));
  await ctx.click(`//div[@aria-label="Theme"]/button[normalize-space()="${theme}"]`);
  const inner = await browser.execute(() => [window.innerWidth, window.innerHeight]);
  log(`window ${width}x${height} ${theme.toLowerCase()}: webview ${inner.join("x")}`);
  return `${width}x${height}-${theme.toLowerCase()}`;
}

/** The empty catalog's one button: the demo connection, landing on its detail screen. */
async function createDemo(ctx, el) {
  await el('main[data-ready][data-view="connections"]');
  await ctx.click('main [data-testid="create-demo"]');
  await el('[data-testid="connection-detail"][data-connection="demo"]', { timeout: 30_000 });
}

// ---- Copy SP metadata -------------------------------------------------------------------------

export async function copy_sp_metadata_puts_it_on_the_system_clipboard(browser, ctx) {
  const { log, el, textUntil, dismissToasts, collectScriptErrors } = uiHelpers(browser, ctx);
  await collectScriptErrors();
  await createDemo(ctx, el);
  await ctx.click('[data-testid="tab-sp"]');
  await el('#detail-tab-sp[aria-selected="true"]');
  const metadata = await ctx.ipc("sp_metadata", { name: "demo" });
  const view = await ctx.ipc("connection", { name: "demo" });

  for (const size of SIZES) {
    const name = await setSize(browser, ctx, log, size);
    await dismissToasts();
    // A small copy first, so each check sees the clipboard change.
    const entity = await el('//button[normalize-space()="Copy entityID"]');
    await entity.click();
    await clipboardIs(view.sp.entity_id, "the SP entityID");

    await browser.execute(() => document.querySelector('[data-testid="copy-sp-metadata"]').scrollIntoView({ block: "center" }));
    await ctx.click('[data-testid="copy-sp-metadata"]');
    await textUntil(".toasts", (t) => t.includes("SP metadata copied to the clipboard"), "the copied toast");
    await clipboardIs(metadata, "the SP metadata");
    assert.equal(await (await browser.$('[data-testid="copy-fallback"]')).isExisting(), false, "no fallback");
    assert.equal(await (await browser.$('[role="alert"]')).isExisting(), false, "no error on screen");
    await painted(browser);
    log(`screenshot: ${await ctx.screenshot(`copy-sp-metadata-${name}`)}`);
  }
  await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]');
}
copy_sp_metadata_puts_it_on_the_system_clipboard.launch = () => ownState();

// ---- the secret store, checked again -------------------------------------------------------------

let secretsDir = null;

export async function secret_store_works_after_chmod_and_check_again_without_restart(browser, ctx) {
  const { log, el, textUntil, dismissToasts } = uiHelpers(browser, ctx);
  await el("main[data-ready]");
  for (const size of SIZES) {
    const name = await setSize(browser, ctx, log, size);
    const banner = await textUntil(
      '[data-testid="secret-store-banner"]',
      (t) => t.includes(`chmod 700 ${secretsDir}`),
      "the banner naming the fix",
    );
    log(`banner: ${JSON.stringify(banner.slice(0, 200))}`);
    await painted(browser);
    log(`screenshot: ${await ctx.screenshot(`secret-store-banner-${name}`)}`);

    chmodSync(secretsDir, 0o700); // what the banner says
    await ctx.click('[data-testid="recheck-secret-store"]');
    await pollUntil(async () => !(await (await browser.$('[data-testid="secret-store-banner"]')).isExisting()), {
      timeout: 10_000,
      what: "the banner to go after Check again",
    });
    const status = await ctx.ipc("app_status");
    assert.equal(status.secret_store_error, null);
    assert.match(status.secret_store, /files in /);
    await dismissToasts();

    if (size === SIZES[0]) {
      // It works: the demo connection keeps its keys there.
      await createDemo(ctx, el);
      assert.ok(readdirSync(secretsDir).some((f) => f.endsWith(".secret")), "the keys are in the secret directory");
      // Broken again while the app runs: said at the next status (the window reloaded).
      chmodSync(secretsDir, 0o755);
      await browser.execute(() => window.location.reload());
      await el("main[data-ready]", { timeout: 30_000 });
    }
  }
  await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]');
}
secret_store_works_after_chmod_and_check_again_without_restart.launch = () => {
  const s = ownState();
  secretsDir = join(s.dir, "secrets");
  mkdirSync(secretsDir);
  chmodSync(secretsDir, 0o755); // group and others may read: refused
  s.env.HANDSHAKE_SECRET_STORE = `file:${secretsDir}`;
  return s;
};

// ---- no system browser ---------------------------------------------------------------------------

/**
 * A machine with xdg-open but no browser: PATH mirrors the system's programs but the
 * browsers, and the XDG data dirs have no applications (no .desktop file to fall back on).
 */
function noBrowserEnv() {
  const s = ownState();
  const bin = join(s.dir, "bin");
  const data = join(s.dir, "share");
  mkdirSync(bin);
  mkdirSync(data);
  const browser =
    /^(chromium.*|firefox.*|.*-www-browser|www-browser|sensible-browser|links2?|elinks|lynx|w3m|epiphany.*|konqueror|google-chrome.*|iceweasel|seamonkey|mozilla|gio|gvfs-open|kde-open.*|exo-open|gnome-open|mimeopen|run-mailcap|see)$/;
  for (const dir of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      if (browser.test(f) || existsSync(join(bin, f))) continue;
      symlinkSync(join(dir, f), join(bin, f));
    }
  }
  for (const f of readdirSync("/usr/share")) if (f !== "applications") symlinkSync(join("/usr/share", f), join(data, basename(f)));
  assert.ok(existsSync(join(bin, "xdg-open")), "xdg-open is installed (xdg-utils)");
  return { ...s, env: { ...s.env, PATH: bin, XDG_DATA_DIRS: data, BROWSER: null } };
}

export async function system_browser_missing_says_so_with_the_login_url_to_copy(browser, ctx) {
  const { log, el, find, textUntil, dismissToasts } = uiHelpers(browser, ctx);
  await createDemo(ctx, el);
  await ctx.click('[data-testid="tab-test"]');
  const url = await ctx.ipc("login_url", { name: "demo" });
  await ctx.click('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="System browser"]');

  for (const size of SIZES) {
    const name = await setSize(browser, ctx, log, size);
    await dismissToasts();
    const t0 = performance.now();
    await ctx.click('[data-testid="start-test-login"]');
    await find('[data-testid="no-browser"]', "the no-browser message", NO_BROWSER_BUDGET_MS + 5_000);
    const ms = Math.round(performance.now() - t0);
    ctx.measure(`no_browser_click_to_message_ms_${size.width}x${size.height}`, ms);
    log(`Start -> "no browser" in ${ms} ms`);
    assert.ok(ms < NO_BROWSER_BUDGET_MS, `said within ${NO_BROWSER_BUDGET_MS} ms (took ${ms})`);
    const text = await textUntil('[data-testid="no-browser"]', (t) => t.includes("found no browser"), "why");
    log(`message: ${JSON.stringify(text.slice(0, 300))}`);
    assert.equal(await (await el('[data-testid="no-browser-url"]')).getText(), url);
    assert.equal(await (await browser.$("//*[normalize-space()='Waiting for the IdP to post to the ACS…']")).isExisting(), false);

    await ctx.click('//*[@data-testid="no-browser"]//button[normalize-space()="Copy login URL"]');
    await clipboardIs(url, "the login URL");
    await browser.execute(() => document.querySelector('[data-testid="no-browser"]').scrollIntoView({ block: "center" }));
    await painted(browser);
    log(`screenshot: ${await ctx.screenshot(`no-browser-${name}`)}`);
    await ctx.click('//*[@data-testid="no-browser"]//button[normalize-space()="Dismiss"]');
  }
  await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]');
}
system_browser_missing_says_so_with_the_login_url_to_copy.launch = noBrowserEnv;

// ---- the login window: the IdP's Sign in above the fold; closes after the result -----------------

export async function login_window_shows_sign_in_then_closes_and_the_app_shows_the_result(browser, ctx) {
  const { log, el, find, dismissToasts } = uiHelpers(browser, ctx);
  await createDemo(ctx, el);
  await ctx.click('[data-testid="tab-test"]');
  await ctx.click('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"]');

  let lastId = null;
  for (const size of SIZES) {
    const name = await setSize(browser, ctx, log, size);
    await dismissToasts();
    await ctx.click('[data-testid="start-test-login"]');
    await ctx.switchToNewWindow({ timeout: 20_000 });
    await el("#persona-0", { timeout: 20_000 });
    const seen = await browser.execute(() => {
      const b = document.querySelector('#signin button[type="submit"]').getBoundingClientRect();
      return {
        inner: [window.innerWidth, window.innerHeight],
        button: [Math.round(b.top), Math.round(b.bottom), Math.round(b.width)],
        scrollY: window.scrollY,
        advancedOpen: document.querySelector("details").open,
      };
    });
    log(`login window ${seen.inner.join("x")}: Sign in button at y ${seen.button[0]}-${seen.button[1]}, ${seen.button[2]} px wide`);
    assert.equal(seen.scrollY, 0);
    assert.ok(seen.button[1] <= seen.inner[1], `the Sign in button is above the fold (${seen.button[1]} > ${seen.inner[1]})`);
    assert.ok(seen.button[2] >= 200, "a prominent button");
    assert.equal(seen.advancedOpen, false, "scenarios and clock skew are behind Advanced");
    await painted(browser);
    log(`screenshot: ${await ctx.screenshot(`demo-idp-sign-in-${name}`)}`);

    // A deferred script click: the window closes as a result (see oidc.test.mjs).
    const signIn = await el('#signin button[type="submit"]');
    await browser.execute((b) => setTimeout(() => b.click(), 0), signIn);
    await ctx.switchToMain();
    const result = await find(
      '[data-testid="test-login-panel"][data-rendered-epoch] [data-testid="test-login-result"]',
      "the result in the main window",
    );
    await pollUntil(async () => result.getAttribute("data-test-login-id").then((id) => id !== lastId && id), {
      timeout: 30_000,
      what: "this login's result",
    });
    lastId = await result.getAttribute("data-test-login-id");
    // The login window closes by itself; the main window is focused, with the result.
    await pollUntil(async () => (await browser.getWindowHandles()).length === 1, {
      timeout: 10_000,
      what: "the login window to close",
    });
    assert.equal(await result.getAttribute("data-outcome").then((o) => !!o), true);
    const focus = await pollUntil(
      async () => {
        const f = await browser.execute(() => ({ has: document.hasFocus(), active: document.activeElement?.className ?? "" }));
        return f.has ? f : null;
      },
      { timeout: 5_000, what: "the main window to have the focus" },
    );
    log(`main window focused; active element .${focus.active}`);
    await painted(browser);
    log(`screenshot: ${await ctx.screenshot(`login-result-${name}`)}`);
    // The keyboard works there, with a visible focus ring.
    await browser.keys(["Tab"]);
    const ring = await browser.execute(() => {
      const a = document.activeElement;
      const s = a ? getComputedStyle(a) : null;
      return { tag: a?.tagName, visible: !!a?.matches(":focus-visible"), outline: s ? `${s.outlineStyle} ${s.outlineWidth}` : "" };
    });
    log(`after Tab: ${ring.tag}, focus-visible ${ring.visible}, outline ${ring.outline}`);
    assert.ok(ring.visible && !ring.outline.startsWith("none"), `a focus ring after Tab: ${JSON.stringify(ring)}`);
    await painted(browser);
    log(`screenshot: ${await ctx.screenshot(`login-result-focus-ring-${name}`)}`);
  }
  await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]');
}
login_window_shows_sign_in_then_closes_and_the_app_shows_the_result.launch = () => ownState();
