// The audit log: filters are sent to the core; export asks the save dialog for a path,
// then exports in the chosen format. Admin rows (imports, SP keys, policy, mapping, user
// status in the snapshot) show who, what and a plain diff, and filter by kind and action.
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";
import { SAVE_PATH, seeText, serveApp, toast, waitForCall, waitForCount } from "./app.mjs";

const ALL = { connection: null, since: null, outcome: null, text: null, user_id: null, kind: null, action: null };

/** Opens the app on the Audit log; returns its rows once all the snapshot's are there. */
async function openAudit(page, backend) {
  await openApp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Audit log" }).click();
  await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
  const rows = page.getByTestId("audit-table").locator("tbody tr");
  await waitForCount(rows, backend.state.audit.length);
  return rows;
}

export async function filter_by_outcome_is_sent_and_applied(page, backend) {
  serveApp(backend);
  const rows = await openAudit(page, backend);
  const all = backend.state.audit.length;
  assert.deepEqual(backend.calls("audit").at(-1), { query: ALL });
  await seeText(page.getByRole("main"), `${all} entries`);

  await page.getByRole("combobox", { name: "Outcome" }).selectOption("rejected");
  assert.deepEqual(await waitForCall(backend, "audit", (a) => a.query.outcome !== null), {
    query: { ...ALL, outcome: "rejected" },
  });
  await waitForCount(rows, 1);
  const row = rows.first();
  await seeText(row, "acme-staging");
  await seeText(row, "rejected");
  await seeText(row, "audience");

  // Its details: the entry and what stopped it (the failed check).
  await row.getByRole("button", { name: /Show details of entry/ }).click();
  const detail = page.getByTestId("audit-table").locator("tr.detail");
  await seeText(detail, `Entry #${backend.state.audit.find((e) => e.outcome === "rejected").id}`);
  await seeText(detail, "Stopped by audience");
  await seeText(detail, "No field changed.");

  // Text and connection filters go along; Clear resets everything.
  await page.getByRole("searchbox", { name: "Search" }).fill("other.example");
  await waitForCall(backend, "audit", (a) => a.query.text === "other.example" && a.query.outcome === "rejected");
  await waitForCount(rows, 1);
  await page.getByRole("combobox", { name: "Connection" }).selectOption("acme");
  await waitForCall(backend, "audit", (a) => a.query.connection === "acme");
  await page.getByRole("heading", { name: "No entry matches these filters" }).waitFor();
  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await waitForCount(rows, all);
  assert.deepEqual(backend.calls("audit").at(-1), { query: ALL });
}

export async function admin_rows_filter_by_kind_and_action_and_show_a_readable_diff(page, backend, ctx) {
  serveApp(backend);
  const rows = await openAudit(page, backend);
  const admin = backend.state.audit.filter((e) => e.kind === "admin");
  assert.ok(admin.length > 0 && admin.length < backend.state.audit.length);

  await page.getByRole("combobox", { name: "Kind" }).selectOption("admin");
  assert.deepEqual(await waitForCall(backend, "audit", (a) => a.query.kind === "admin"), { query: { ...ALL, kind: "admin" } });
  await waitForCount(rows, admin.length);
  // Admin rows have no outcome: the Outcome filter gives way to the Action filter.
  await page.getByRole("combobox", { name: "Outcome" }).waitFor({ state: "detached" });
  await page.getByRole("combobox", { name: "Action" }).selectOption("sp_key_replace");
  await waitForCall(backend, "audit", (a) => a.query.action === "sp_key_replace");
  const replaced = admin.filter((e) => e.action === "sp_key_replace");
  await waitForCount(rows, replaced.length);

  // Who and what, then the diff as plain values: the key only as "replaced", the
  // certificates by fingerprint.
  const row = rows.first();
  await seeText(row, "ada");
  await seeText(row, "SP key replaced");
  await row.getByRole("button", { name: /Show details of entry/ }).click();
  const detail = page.getByTestId("audit-table").locator("tr.detail");
  await seeText(detail, "ada (OS user)");
  const diff = page.getByRole("table", { name: /Changes of entry/ });
  const cells = async (field) =>
    (await diff.locator("tbody tr").filter({ has: page.getByRole("rowheader", { name: field, exact: true }) }).locator("td").allTextContents());
  assert.deepEqual(await cells("sp.key"), ["—", "replaced"]);
  const [before, after] = await cells("sp.certificate");
  assert.ok(before.startsWith("SHA-256 ") && after.startsWith("SHA-256 ") && before !== after, `${before} → ${after}`);
  assert.ok(!(await diff.textContent()).includes("PRIVATE KEY"));

  // Readable in a small window: nothing scrolls sideways at 1024 px.
  await page.setViewportSize({ width: 1024, height: 640 });
  const overflow = await page.getByTestId("audit-table").evaluate((t) => {
    const box = t.closest(".table-wrap") ?? t.parentElement;
    return box.scrollWidth - box.clientWidth;
  });
  assert.ok(overflow <= 1, `the audit table scrolls sideways by ${overflow} px at 1024 px`);
  await ctx.screenshot("audit-admin-row-1024-light");
  await page.evaluate(() => document.documentElement.setAttribute("data-theme", "dark"));
  await ctx.screenshot("audit-admin-row-1024-dark");
  await page.evaluate(() => document.documentElement.setAttribute("data-theme", "light"));

  // Logins only: the Action filter goes, the Outcome filter is back.
  await page.getByRole("combobox", { name: "Kind" }).selectOption("login");
  await waitForCall(backend, "audit", (a) => a.query.kind === "login" && a.query.action === null);
  await waitForCount(rows, backend.state.audit.length - admin.length);
  await page.getByRole("combobox", { name: "Outcome" }).waitFor();
}

export async function a_row_shows_its_field_changes(page, backend) {
  serveApp(backend);
  await openAudit(page, backend);
  const updated = page.getByTestId("audit-table").locator('tr[data-outcome="updated"]');
  await updated.getByRole("button", { name: /Show details/ }).click();
  await seeText(page.getByRole("table", { name: /Changes of entry/ }), 'family_name "Lovelace" "King"');
  await updated.getByRole("button", { name: /Hide details/ }).click();
  await waitForCount(page.getByTestId("audit-table").locator("tr.detail"), 0);
}

export async function export_asks_for_a_path_then_exports_in_the_format(page, backend) {
  serveApp(backend);
  backend.on("export_audit", ({ query }) => backend.state.audit.filter((e) => !query.outcome || e.outcome === query.outcome).length);
  const rows = await openAudit(page, backend);

  await page.getByRole("button", { name: "Export CSV" }).click();
  const dialog = await waitForCall(backend, "plugin:dialog|save");
  assert.equal(dialog.options.defaultPath, "handshake-audit.csv");
  assert.deepEqual(dialog.options.filters, [{ name: "CSV", extensions: ["csv"] }]);
  const csv = await waitForCall(backend, "export_audit");
  assert.deepEqual(csv, { query: ALL, format: "csv", path: `${SAVE_PATH}/handshake-audit.csv` });
  await toast(page, `Exported ${backend.state.audit.length} rows to ${SAVE_PATH}/handshake-audit.csv`).waitFor();

  // JSON lines, with the current filter.
  await page.getByRole("combobox", { name: "Outcome" }).selectOption("rejected");
  await waitForCount(rows, 1);
  await page.getByRole("button", { name: "Export JSON lines" }).click();
  const jsonl = await waitForCall(backend, "export_audit", (a) => a.format === "json_lines");
  assert.deepEqual(jsonl, {
    query: { ...ALL, outcome: "rejected" },
    format: "json_lines",
    path: `${SAVE_PATH}/handshake-audit.jsonl`,
  });
  await toast(page, `Exported 1 row to ${SAVE_PATH}/handshake-audit.jsonl`).waitFor();
}

export async function closing_the_save_dialog_exports_nothing(page, backend) {
  serveApp(backend);
  backend.reply("plugin:dialog|save", null); // the dialog was closed
  backend.reply("export_audit", 0);
  await openAudit(page, backend);
  await page.getByRole("button", { name: "Export CSV" }).click();
  await waitForCall(backend, "plugin:dialog|save");
  await page.getByRole("button", { name: "Export CSV" }).waitFor(); // not "Exporting…" any more
  assert.ok(await page.getByRole("button", { name: "Export CSV" }).isEnabled());
  assert.deepEqual(backend.calls("export_audit"), []);
}

export async function an_export_error_is_reported(page, backend) {
  serveApp(backend);
  // What write_file says when the chosen place is not writable.
  backend.fail("export_audit", {
    code: "io",
    message: `cannot write ${SAVE_PATH}/handshake-audit.csv: Permission denied (os error 13)`,
  });
  await openAudit(page, backend);
  await page.getByRole("button", { name: "Export CSV" }).click();
  await toast(page, "Permission denied (os error 13)").waitFor();
  assert.ok(await page.getByRole("button", { name: "Export CSV" }).isEnabled());
}
