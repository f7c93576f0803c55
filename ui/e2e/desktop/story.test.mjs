// Issue #13 in the real app window, each at 1024x640 (light) and 1280x800 (dark):
//
//   story mode: starts from its known state, runs joiner -> mover (the diff inline) -> leaver
//   (the intended refusal, never "not as intended"), ticks each step, and keeps its results
//   when the user leaves the screen and comes back; a library scenario's "Open result" opens
//   that exact test login, whose headline is the row's sentence;
//
//   layout: no table scrolls sideways (the Connections table's Delete inside the window, a
//   connection's name clickable in its middle), the connection tabs all visible and reachable
//   by keyboard, the validation checks' expected/actual values readable (>= 120 px wide, the
//   failed row not hundreds of pixels tall).
//
// Set-up by IPC (reset_demo, create_demo, run_scenario); every step under test through the UI.
// Takes the README screenshots docs/screenshots/checks-1024x640.png and demo-story-dark.png.
// Leaves the catalog as it found it (the demo data reset, the demo connections removed).
import assert from "node:assert/strict";
import { WINDOW, uiHelpers } from "./helpers.mjs";
import { pollUntil } from "../harness.mjs";

const SIZES = [
  { width: 1024, height: 640, theme: "Light" },
  { width: 1280, height: 800, theme: "Dark" },
];
const tag = (v) => `${v.width}x${v.height}-${v.theme.toLowerCase()}`;

function helpers(browser, ctx) {
  const h = uiHelpers(browser, ctx);
  const sidebar = async (label, view) => {
    await ctx.click(`//aside//button[normalize-space()="${label}"]`);
    await h.el(`main[data-view="${view}"]`);
  };
  /** Sizes the window and picks the theme; returns the webview's inner size. */
  const setUp = async (v) => {
    await browser.setWindowSize(v.width, v.height).catch((e) => h.log(`(setWindowSize: ${e.message})`));
    await ctx.click(`//div[@aria-label="Theme"]/button[normalize-space()="${v.theme}"]`);
    const inner = await browser.execute(() => [window.innerWidth, window.innerHeight]);
    h.log(`${tag(v)}: webview ${inner.join("x")}`);
    return inner;
  };
  /** Tables on screen whose content is wider than their box (they would scroll sideways). */
  const sideways = () =>
    browser.execute(() =>
      [...document.querySelectorAll(".table-wrap")]
        .filter((w) => w.getClientRects().length > 0 && w.scrollWidth > w.clientWidth + 1)
        .map((w) => `${w.querySelector("table")?.dataset.testid ?? w.querySelector("caption")?.textContent ?? "a table"}: ${w.scrollWidth} > ${w.clientWidth}`),
    );
  const noSideways = async (where) => assert.deepEqual(await sideways(), [], `${where}: no table scrolls sideways`);
  return { ...h, sidebar, setUp, noSideways };
}

export async function story_mode_and_open_result_at_two_sizes(browser, ctx) {
  const { log, el, textUntil, dismissToasts, sidebar, scrollTo, painted, setUp, noSideways, collectScriptErrors } =
    helpers(browser, ctx);
  await collectScriptErrors();
  const stepDone = (step) => browser.execute((s) => document.querySelector(`[data-testid="story-step-${s}"]`)?.dataset.done, step);
  try {
    for (const v of SIZES) {
      await setUp(v);
      // A known start: the demo data reset, the demo connection there (as "Create demo" leaves it).
      await ctx.ipc("reset_demo");
      await ctx.ipc("create_demo", { style: null });
      await sidebar("Connections", "connections");
      await sidebar("Demo IdP", "demo");
      await el('[data-testid="story"][data-fresh="true"]', { timeout: 20_000 });
      const intro = await textUntil('[data-testid="story"]', (t) => t.includes("Priya Shah"), "the story's person");
      assert.ok(!intro.includes("(("), `no double parentheses: ${intro.slice(0, 200)}`);

      await scrollTo('[data-testid="story"]');
      await ctx.click('[data-testid="story-joiner"]');
      await textUntil('[data-testid="story-result"]', (t) => /Signed in: a new user was created/.test(t), "the joiner's account");
      await ctx.click('[data-testid="story-mover"]');
      await textUntil('[data-testid="story-result"]', (t) => /record was updated/.test(t), "the mover's update");
      await textUntil('[data-testid="story-step-mover"] [data-testid="story-diff"]', (t) => t.includes("developer"), "the mover's diff inline");
      await ctx.click('[data-testid="story-leaver"]');
      const leaver = await textUntil(
        '[data-testid="story-result"]',
        (t) => t.includes("Rejected at the status check") && /SCIM/.test(t),
        "the leaver refused by the IdP, the account kept",
        30_000,
      );
      assert.match(leaver, /as intended/);
      assert.doesNotMatch(leaver, /not as intended/, "the leaver's refusal is the step's intended outcome");
      for (const s of ["joiner", "mover", "leaver"]) assert.equal(await stepDone(s), "true", `${s} is ticked`);
      await dismissToasts();
      await scrollTo('[data-testid="story-step-mover"]'); // the mover's diff, then the leaver's refusal
      await painted();
      if (v.theme === "Dark") log(`screenshot: ${await ctx.screenshot("demo-story-dark", { docs: true })}`);
      log(`screenshot: ${await ctx.screenshot(`story-${tag(v)}`)}`);

      // Away and back: progress and the last result are still there.
      await sidebar("Users", "users");
      await sidebar("Demo IdP", "demo");
      await textUntil('[data-testid="story-result"]', (t) => t.includes("Rejected at the status check"), "the kept result");
      for (const s of ["joiner", "mover", "leaver"]) assert.equal(await stepDone(s), "true", `${s} is still ticked`);

      // A library scenario's "Open result": that exact test login, with the row's words.
      // The library keeps the last run of each scenario across screens (and across this loop's
      // two sizes): wait for THIS run's row, the one naming a test login newer than any before.
      const [previous] = await ctx.ipc("test_logins", { connection: "demo", limit: 1 });
      await ctx.click('[data-testid="run-scenario-wrong-audience"]');
      const rowSel = '[data-testid="scenario-result-wrong-audience"]';
      let runId = 0;
      await pollUntil(
        async () => {
          const rows = await browser.$$(rowSel);
          runId = rows.length ? Number(await rows[0].getAttribute("data-test-login-id")) : 0;
          return runId > (previous?.id ?? 0);
        },
        { what: "this run's wrong-audience result", timeout: 30_000 },
      );
      const row = await el(rowSel);
      await textUntil(
        '[data-testid="scenario-result-wrong-audience"] [data-testid="verdict-sentence"]',
        (t) => t.startsWith("Rejected at the audience check"),
        "the wrong-audience sentence",
      );
      const happened = (await (await el('[data-testid="scenario-result-wrong-audience"] .happened')).getText()).trim();
      const why = (await (await el('[data-testid="scenario-result-wrong-audience"] .why')).getText()).trim();
      assert.match(await row.getText(), /as intended/);
      const [latest] = await ctx.ipc("test_logins", { connection: "demo", limit: 1 });
      assert.equal(latest.id, runId, "the row names the run's own test login");
      await scrollTo('[data-testid="scenario-result-wrong-audience"]');
      await painted();
      log(`screenshot: ${await ctx.screenshot(`scenario-row-${tag(v)}`)}`);
      await ctx.click('[data-testid="open-result-wrong-audience"]');
      const result = await el(`[data-testid="test-login-result"][data-test-login-id="${latest.id}"]`);
      assert.ok(await result.isDisplayed(), "the opened result is on screen");
      const headline = (await (await el('[data-testid="outcome-headline"]')).getText()).trim();
      assert.equal(headline, happened, "the full result's headline is the row's sentence");
      await textUntil('[data-testid="outcome"]', (t) => t.includes(why), "the full result to tell the row's why");
      await noSideways(`${tag(v)} test login`);
      log(`screenshot: ${await ctx.screenshot(`open-result-${tag(v)}`)}`);
    }
  } finally {
    await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]').catch(() => {});
    await browser.setWindowSize(WINDOW.width, WINDOW.height).catch(() => {});
    await ctx.ipc("reset_demo").catch((e) => log(`(reset_demo: ${e.message})`));
    await ctx.ipc("remove_connection", { name: "demo" }).catch((e) => log(`(remove_connection demo: ${e.message})`));
  }
}

export async function tables_tabs_and_checks_fit_at_two_sizes(browser, ctx) {
  const { log, el, textUntil, dismissToasts, sidebar, scrollTo, painted, setUp, noSideways, collectScriptErrors } =
    helpers(browser, ctx);
  await collectScriptErrors();
  const LONG = "demo-copy-with-a-rather-long-connection-name";
  try {
    await ctx.ipc("create_demo", { style: null });
    await ctx.ipc("duplicate_connection", { name: "demo", new_name: LONG });
    // A failed test login with long expected/actual values (URLs).
    const run = await ctx.ipc("run_scenario", { request: { scenario: "wrong-audience", persona: null, skew_minutes: null } });
    for (const v of SIZES) {
      const [innerWidth] = await setUp(v);
      // ---- Connections: fits, Delete inside the window, the name clickable in its middle ----
      await sidebar("Users", "users");
      await sidebar("Connections", "connections");
      await el('[data-testid="connections-table"] tr[data-connection="demo"]');
      await noSideways(`${tag(v)} Connections`);
      const rows = await browser.execute(() =>
        [...document.querySelectorAll('[data-testid="connections-table"] tbody tr')].map((tr) => {
          const del = tr.querySelector("button.del").getBoundingClientRect();
          const name = tr.querySelector("td.name button").getBoundingClientRect();
          const hit = document.elementFromPoint(name.left + name.width / 2, name.top + name.height / 2);
          return {
            connection: tr.dataset.connection,
            deleteRight: Math.round(del.right),
            deleteWidth: Math.round(del.width),
            nameHit: hit === tr.querySelector("td.name button"),
          };
        }),
      );
      log(`${tag(v)} connections: ${JSON.stringify(rows)}`);
      for (const r of rows) {
        assert.ok(r.deleteWidth > 0 && r.deleteRight <= innerWidth, `${r.connection}: Delete inside the window (${r.deleteRight} <= ${innerWidth})`);
        assert.ok(r.nameHit, `${r.connection}: nothing lies over the name's middle`);
      }
      log(`screenshot: ${await ctx.screenshot(`connections-${tag(v)}`)}`);
      // A real click (WebDriver clicks an element's middle) opens the connection.
      await ctx.click(`//tr[@data-connection="${LONG}"]//td[contains(@class,"name")]/button`);
      await el(`[data-testid="connection-detail"][data-connection="${LONG}"]`);

      // ---- the connection tabs: all inside the tab list, reachable by keyboard ----
      const tabs = await browser.execute(() => {
        const list = document.querySelector('[role="tablist"]');
        const box = list.getBoundingClientRect();
        const all = [...list.querySelectorAll('[role="tab"]')];
        return {
          hidden: list.scrollWidth - list.clientWidth,
          outside: all.filter((t) => {
            const r = t.getBoundingClientRect();
            return r.width === 0 || r.left < box.left - 1 || r.right > box.right + 1 || r.right > innerWidth;
          }).map((t) => t.textContent.trim()),
          last: all.at(-1).id,
          height: Math.round(box.height),
        };
      });
      log(`${tag(v)} tabs: ${JSON.stringify(tabs)}`);
      assert.ok(tabs.hidden <= 1, `the tab list hides ${tabs.hidden} px`);
      assert.deepEqual(tabs.outside, [], "every tab is visible");
      await browser.execute(() => document.querySelector('[role="tab"][aria-selected="true"]').focus());
      await browser.keys(["End"]);
      assert.equal(await browser.execute(() => document.activeElement?.id), tabs.last, "End reaches the last tab");

      // ---- the failed check's expected/actual, readable ----
      await sidebar("Connections", "connections");
      await ctx.click('//tr[@data-connection="demo"]//td[contains(@class,"name")]/button');
      await el('[data-testid="connection-detail"][data-connection="demo"]');
      await ctx.click('[data-testid="tab-test"]');
      await ctx.click(`//tr[@data-login-id="${run.test_login_id}"]//button`);
      await el(`[data-testid="test-login-result"][data-test-login-id="${run.test_login_id}"]`);
      const m = await browser.execute(() => {
        const row = document.querySelector('[data-testid="checks"] tr[data-status="fail"]');
        const w = (k) => Math.round(row.querySelector(`[data-value="${k}"]`).getBoundingClientRect().width);
        return { check: row.dataset.check, expected: w("expected"), actual: w("actual"), rowHeight: Math.round(row.getBoundingClientRect().height) };
      });
      log(`${tag(v)} failed check: ${JSON.stringify(m)}`);
      ctx.measure(`checks_${tag(v)}`, m);
      assert.equal(m.check, "audience");
      assert.ok(m.expected >= 120 && m.actual >= 120, `expected/actual readable: ${JSON.stringify(m)}`);
      assert.ok(m.rowHeight < 400, `the failed check's row is ${m.rowHeight} px tall`);
      await noSideways(`${tag(v)} test login`);
      await dismissToasts();
      await scrollTo('[data-testid="checks"]');
      await painted();
      if (v.width === 1024) log(`screenshot: ${await ctx.screenshot("checks-1024x640", { docs: true })}`);
      log(`screenshot: ${await ctx.screenshot(`checks-${tag(v)}`)}`);

      // ---- the other screens' tables ----
      for (const [label, view] of [["Users", "users"], ["Audit log", "audit"], ["Demo IdP", "demo"]]) {
        await sidebar(label, view);
        await textUntil("main", (t) => t.length > 0, label);
        await noSideways(`${tag(v)} ${label}`);
      }
    }
  } finally {
    await ctx.click('//div[@aria-label="Theme"]/button[normalize-space()="System"]').catch(() => {});
    await browser.setWindowSize(WINDOW.width, WINDOW.height).catch(() => {});
    await ctx.ipc("reset_demo").catch((e) => log(`(reset_demo: ${e.message})`));
    for (const name of [LONG, "demo"]) {
      await ctx.ipc("remove_connection", { name }).catch((e) => log(`(remove_connection ${name}: ${e.message})`));
    }
  }
}
