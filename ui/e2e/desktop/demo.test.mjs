// The first run with the built-in demo IdP, in the real app, through its UI only (IPC reads
// values for assertions, and cleans up at the end):
//
//   empty catalog -> "Create demo connection" (the empty Connections screen's button) ->
//   lands on the demo connection's Test login tab -> Start test login (app window) -> the
//   demo IdP's persona picker in the login window: the first person, Sign in -> the result
//   arrives live in the main window: user created (JIT) -> Demo IdP screen -> one click on
//   the wrong-audience scenario -> rejected, failed check audience -> story mode: the mover
//   step by keyboard (updated), the leaver step by mouse (refused at the IdP, account kept),
//   at 1024x640 light and 1280x800 dark.
//
// Measures (ctx.measure -> target/desktop-measurements.json) the time from launching the
// app to the first provisioned user shown (the issue asks for under a minute; it includes
// the harness's 2 s memory-settle pause), and from the Create click. Takes the README
// screenshots docs/screenshots/demo-result.png and demo.png.
//
// Runs first (files run in name order, sharing one database), so the catalog is empty; it
// leaves it empty again (reset_demo, remove_connection) for flow.test.mjs.
import assert from "node:assert/strict";
import { WINDOW, uiHelpers } from "./helpers.mjs";

const FIRST_RUN_BUDGET_MS = 60_000;

export async function first_run_demo_connection_to_provisioned_user(browser, ctx) {
  const { log, shot, el, textUntil, find, dismissToasts, fitWindow, scrollTo, painted } = uiHelpers(browser, ctx);

  try {
    // ---- 1. launched on the empty catalog -------------------------------------------------------
    await el('main[data-ready][data-view="connections"]');
    assert.deepEqual(await ctx.ipc("list_connections"), [], "the first run starts with an empty catalog");
    await textUntil("main", (t) => t.includes("No connections yet"), "the empty Connections screen");

    await fitWindow();

    // ---- 2. one click: the demo IdP and its connection, then its Test login tab ----------------
    const tCreate = performance.now();
    await ctx.click('main [data-testid="create-demo"]');
    await el('[data-testid="connection-detail"][data-connection="demo"]', { timeout: 30_000 });
    await el('#detail-tab-test[aria-selected="true"]');
    const conns = await ctx.ipc("list_connections");
    assert.deepEqual(
      conns.map((c) => c.name),
      ["demo"],
      "the catalog holds the demo connection",
    );
    const idp = await ctx.ipc("demo_idp");
    assert.equal(idp.entity_id, "urn:handshake:demo-idp");

    // ---- 3. Start test login -> the demo IdP's persona picker -> Sign in -----------------------
    await ctx.click('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"]');
    await el('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"][@aria-pressed="true"]');
    await ctx.click('[data-testid="start-test-login"]');
    await ctx.switchToNewWindow({ timeout: 20_000 });
    await ctx.click("#persona-0", { timeout: 20_000 }); // the first person (already checked: a no-op click)
    const person = await (await el("#persona-0")).getValue();
    const submit = await el('#signin button[type="submit"]');
    // Mid-view first: at the window's bottom edge the click can land on the horizontal
    // scrollbar (the scenario select's long options make the page wider than the window).
    await browser.execute((b) => b.scrollIntoView({ block: "center" }), submit);
    const tSubmit = performance.now();
    await submit.click();
    await ctx.switchToMain();
    const resultSel = '[data-testid="test-login-panel"][data-rendered-epoch] [data-testid="test-login-result"]';
    const result = await find(resultSel, "the demo login's result in the main window").catch(async (e) => {
      // What the login window shows (the demo IdP's page, its auto-post, or the ACS's answer).
      const seen = await (async () => {
        await ctx.switchToNewWindow({ timeout: 5_000 });
        const url = await browser.getUrl();
        const body = await browser.execute(() => document.body?.innerText ?? "");
        log(`screenshot: ${await ctx.screenshot("FAILED-demo-login-window")}`);
        await ctx.switchToMain();
        return `login window at ${url}: ${JSON.stringify(body.slice(0, 600))}`;
      })().catch((x) => `(login window not readable: ${x.message})`);
      throw new Error(`${e.message}; ${seen}`);
    });
    const tUser = performance.now();
    assert.equal(await result.getAttribute("data-outcome"), "created", "the first demo login creates the user (JIT)");
    await textUntil('[data-testid="outcome"]', (t) => /created/i.test(t), "the outcome to read created");

    const launchToUser = Math.round(tUser - ctx.launchStartedAt);
    ctx.measure("demo_launch_to_first_user_ms", launchToUser);
    ctx.measure("demo_create_click_to_first_user_ms", Math.round(tUser - tCreate));
    ctx.measure("demo_idp_submit_to_result_ms", Math.round(tUser - tSubmit));
    log(`first run: launch -> first provisioned user ${launchToUser} ms (Create click -> user ${Math.round(tUser - tCreate)} ms)`);
    assert.ok(launchToUser < FIRST_RUN_BUDGET_MS, `launch -> first user took ${launchToUser} ms`);

    const id = Number(await result.getAttribute("data-test-login-id"));
    const detail = await ctx.ipc("test_login", { id });
    assert.equal(detail.login.report.user?.email, person, "the user is the person picked at the demo IdP");
    await textUntil('[data-testid="user-record"]', (t) => t.includes(person), `the user record to show ${person}`);
    await dismissToasts();
    await scrollTo('[data-testid="test-login-result"]');
    await painted();
    await shot("demo-result");

    // ---- 4. the Demo IdP screen: one click runs a failure scenario ----------------------------
    await ctx.click('//aside//button[normalize-space()="Demo IdP"]');
    await el('main[data-view="demo"] [data-testid="scenario-table"]');
    const run = await el('[data-testid="run-scenario-wrong-audience"]');
    const tRun = performance.now();
    await run.click();
    const verdict = await find('[data-testid="scenario-result-wrong-audience"]', "the wrong-audience result", 30_000);
    ctx.measure("demo_scenario_click_to_result_ms", Math.round(performance.now() - tRun));
    assert.equal(await verdict.getAttribute("data-verdict"), "rejected");
    const shown = await verdict.getText();
    assert.match(shown, /Rejected at the audience check/);
    assert.match(shown, /as intended/);
    assert.doesNotMatch(shown, /not as intended/);
    await dismissToasts();
    await scrollTo('[data-testid="scenarios"]');
    const top = await browser.execute(() => document.querySelector("main").scrollTop);
    assert.ok(top > 0, "the Demo screen scrolled down to the scenario library");
    await painted();
    await shot("demo");

    // ---- 5. story mode: the core's joiner-mover-leaver story, one step per click -----------
    // The mover by keyboard (focus + Enter), the leaver by mouse; looked at in a small light
    // window and a large dark one.
    await browser.setWindowSize(1024, 640).catch((e) => log(`(setWindowSize: ${e.message})`));
    await scrollTo('[data-testid="story"]');
    const mover = await el('[data-testid="story-mover"]');
    await browser.execute((b) => b.focus(), mover);
    await browser.keys(["Enter"]);
    await textUntil('[data-testid="story-result"]', (t) => /updated/i.test(t) && /as intended/.test(t), "the mover's update");
    await el('[data-testid="story-step-mover"] [data-testid="story-mover"]');
    assert.match(await (await browser.$('[data-testid="story-mover"]')).getText(), /Sign in again/);
    await scrollTo('[data-testid="story"]');
    await painted();
    log(`screenshot: ${await ctx.screenshot("story-mover-1024x640-light")}`);
    await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="Dark"]');
    await browser.setWindowSize(1280, 800).catch((e) => log(`(setWindowSize: ${e.message})`));
    await ctx.click('[data-testid="story-leaver"]');
    await textUntil(
      '[data-testid="story-result"]',
      (t) => /rejected/i.test(t) && /SCIM/.test(t) && /as intended/.test(t) && !/not as intended/.test(t),
      "the leaver refused by the IdP, the account kept",
    );
    await scrollTo('[data-testid="story"]');
    await painted();
    log(`screenshot: ${await ctx.screenshot("story-leaver-1280x800-dark")}`);
    await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]');
    await browser.setWindowSize(WINDOW.width, WINDOW.height).catch((e) => log(`(setWindowSize: ${e.message})`));
  } finally {
    // Leave the catalog empty for the next tests (flow.test.mjs starts from an empty one).
    await ctx.ipc("reset_demo").catch((e) => log(`(reset_demo: ${e.message})`));
    await ctx.ipc("remove_connection", { name: "demo" }).catch((e) => log(`(remove_connection demo: ${e.message})`));
  }
  assert.deepEqual(await ctx.ipc("list_connections"), [], "the demo test leaves an empty catalog");
  assert.deepEqual(await ctx.ipc("users", { query: {} }), [], "and no users");
}
