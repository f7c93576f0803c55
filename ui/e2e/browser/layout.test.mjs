// Layout at a small laptop's 1024x640 (issue #13): no table scrolls sideways with its actions
// cut off, a connection's name is clickable in its middle (nothing lies over it), the
// connection tabs all show, and the validation checks' expected and actual values are
// readable (wide, rows not hundreds of pixels tall). The desktop suite measures the same in
// the real WebKit window (ui/e2e/desktop/story.test.mjs); this is the quick check in Chromium.
import assert from "node:assert/strict";
import { pollUntil } from "../harness.mjs";
import { openApp } from "./helpers.mjs";
import { openConnection, seeText, serveApp } from "./app.mjs";

const SMALL = { width: 1024, height: 640 };

/** Every table wrapper on screen whose content is wider than it (it would scroll sideways). */
const sideways = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll(".table-wrap")]
      .filter((w) => w.getClientRects().length > 0 && w.scrollWidth > w.clientWidth + 1)
      .map((w) => `${w.querySelector("table")?.dataset.testid ?? w.querySelector("caption")?.textContent ?? "table"}: ${w.scrollWidth} > ${w.clientWidth}`),
  );

export async function connections_table_fits_and_names_click_in_their_middle_at_1024(page, backend) {
  await page.setViewportSize(SMALL);
  serveApp(backend);
  await openApp(page);
  const table = page.getByTestId("connections-table");
  await table.locator("tbody tr").first().waitFor();
  assert.deepEqual(await sideways(page), [], "no table scrolls sideways");
  const rows = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="connections-table"] tbody tr')].map((tr) => {
      const main = document.querySelector("main").getBoundingClientRect();
      const del = tr.querySelector("button.del").getBoundingClientRect();
      const name = tr.querySelector("td.name button").getBoundingClientRect();
      const hit = document.elementFromPoint(name.left + name.width / 2, name.top + name.height / 2);
      return {
        connection: tr.dataset.connection,
        deleteInside: del.right <= Math.min(main.right, innerWidth) && del.width > 0,
        nameHit: hit === tr.querySelector("td.name button"),
      };
    }),
  );
  for (const r of rows) {
    assert.ok(r.deleteInside, `${r.connection}: Delete is inside the window`);
    assert.ok(r.nameHit, `${r.connection}: the name's middle is the name button (nothing over it)`);
  }
  await page.getByRole("button", { name: "acme-staging", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "acme-staging" }).waitFor();
}

export async function connection_tabs_all_show_at_1024(page, backend) {
  await page.setViewportSize(SMALL);
  serveApp(backend);
  await openApp(page);
  await openConnection(page, "acme");
  const tabs = await page.evaluate(() => {
    const list = document.querySelector('[role="tablist"]');
    const box = list.getBoundingClientRect();
    return {
      overflow: list.scrollWidth - list.clientWidth,
      outside: [...list.querySelectorAll('[role="tab"]')]
        .filter((t) => {
          const r = t.getBoundingClientRect();
          return r.left < box.left - 1 || r.right > box.right + 1 || r.width === 0;
        })
        .map((t) => t.textContent.trim()),
    };
  });
  assert.ok(tabs.overflow <= 1, `the tab list does not scroll (${tabs.overflow} px hidden)`);
  assert.deepEqual(tabs.outside, [], "every tab is inside the tab list");
  // Keyboard: End reaches the last tab.
  await page.getByRole("tab", { selected: true }).focus();
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("role")), "tab");
}

export async function checks_values_are_readable_at_1024(page, backend) {
  await page.setViewportSize(SMALL);
  serveApp(backend);
  await openApp(page);
  await openConnection(page, "acme-staging", "Test login");
  await pollUntil(async () => (await backend.listening("test-login")) >= 2, { what: "the panel's test-login listener" });
  await backend.emit("test-login", backend.snapshot("test_login_event_rejected"));
  const checks = page.getByTestId("checks");
  await seeText(checks, "1 failed");
  const m = await page.evaluate(() => {
    const row = document.querySelector('[data-testid="checks"] tr[data-status="fail"]');
    const value = (k) => row.querySelector(`[data-value="${k}"]`).getBoundingClientRect();
    return { expected: value("expected").width, actual: value("actual").width, row: row.getBoundingClientRect().height };
  });
  assert.ok(m.expected >= 120 && m.actual >= 120, `expected/actual are readable: ${JSON.stringify(m)}`);
  assert.ok(m.row < 400, `the failed check's row is not absurdly tall: ${m.row} px`);
  assert.deepEqual(await sideways(page), [], "no table scrolls sideways");
}
