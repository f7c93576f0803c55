// SCIM in the app: the connection's SCIM tab (turn on, the token copied by the app and never
// sent to the window, vendor notes, lifecycle policy and ownership, the live request log with
// the keyboard), the Users screen's source column and the audit log's SCIM filter.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pollUntil } from "../harness.mjs";
import { openApp } from "./helpers.mjs";
import { openConnection, seeText, serveApp, waitForCall, waitForCount } from "./app.mjs";
import { testdataDir } from "./backend.mjs";

/** A snapshot of the real core when ui-snapshots wrote one, else the shape written here. */
function snapOr(backend, name, fallback) {
  return existsSync(join(testdataDir, `${name}.json`)) ? backend.snapshot(name) : structuredClone(fallback);
}

const LIFECYCLE = { policy: "jit", jit_requires_scim: false, match_rule: "user_name", owners: {} };
const OFF = {
  connection: "acme",
  enabled: false,
  endpoint: "http://127.0.0.1:7777/scim/acme/v2",
  lifecycle: LIFECYCLE,
  token_generation: 0,
  enabled_at: null,
  rotated_at: null,
  users: 0,
  groups: 0,
};
const ON = { ...OFF, enabled: true, token_generation: 1, enabled_at: "2026-11-23T14:00:00Z" };

const PATCH = {
  id: 12,
  connection: "acme",
  at: "2026-11-23T14:01:00Z",
  method: "PATCH",
  path: "/Users/5f1c2a7e-0000-4000-8000-000000000001",
  status: 200,
  scim_type: null,
  resource_type: "User",
  resource_id: "5f1c2a7e-0000-4000-8000-000000000001",
  user_id: 1,
  change: ["replace active = false"],
  diff: [{ field: "status", before: "active", after: "deactivated" }],
  notes: ['capitalised op "Replace"', 'boolean string "False"'],
  request_body:
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}],"password":"[redacted]"}',
  response_body: '{"id":"5f1c2a7e-0000-4000-8000-000000000001","active":false}',
  client: "Microsoft.Azure.AD.Provisioning",
  duration_ms: 3,
};

/** The SCIM commands, with a little state: on/off, the lifecycle, the log. */
function serveScim(backend) {
  const state = serveApp(backend);
  state.scim = snapOr(backend, "scim_status_acme_off", OFF);
  state.scimLog = [];
  backend.on("scim_status", () => state.scim);
  backend.on("scim_enable", () => {
    const issued = snapOr(backend, "scim_token_issued_acme", { status: ON, copied: true, copy_error: null, token_hint: "…Tk4x" });
    state.scim = { ...issued.status, lifecycle: state.scim.lifecycle };
    return { ...issued, status: state.scim };
  });
  backend.on("scim_rotate_token", () => {
    state.scim = { ...state.scim, token_generation: state.scim.token_generation + 1 };
    return { status: state.scim, copied: true, copy_error: null, token_hint: "…b7Tn" };
  });
  backend.on("scim_disable", () => (state.scim = { ...state.scim, enabled: false }));
  backend.on("scim_log", () => state.scimLog);
  backend.on("scim_rejections", () => ({ last_minute: 0, kept: 0, last_at: null }));
  backend.on("scim_report", () =>
    snapOr(backend, "scim_report_acme", { connection: "acme", jit_unknown_to_scim: [], scim_never_signed_in: [], claims_disagree: [] }),
  );
  backend.on("set_lifecycle", ({ lifecycle }) => {
    state.scim = { ...state.scim, lifecycle };
    return lifecycle;
  });
  return state;
}

export async function scim_tab_turns_on_and_the_token_never_reaches_the_window(page, backend) {
  const state = serveScim(backend);
  await openApp(page);
  await openConnection(page, "acme", "SCIM");
  const panel = page.getByRole("tabpanel", { name: "SCIM" });
  await seeText(panel.getByTestId("scim-endpoint-url"), "/scim/acme/v2");
  await seeText(panel.getByTestId("scim-endpoint"), "Off");
  await panel.getByTestId("scim-enable").click();
  assert.deepEqual(await waitForCall(backend, "scim_enable"), { name: "acme", policy: null });
  const note = panel.getByTestId("scim-token-issued");
  await seeText(note, "on the clipboard");
  await seeText(note, "only time");
  await seeText(note, "…Tk4x");
  // The app's Rust side writes the token to the clipboard: the window never does.
  assert.equal(state.clipboard, undefined, "the window wrote nothing to the clipboard");
  await seeText(panel.getByTestId("scim-endpoint"), "generation 1");
  // The focus moved to the note, so a screen reader reads where the token went.
  await pollUntil(async () => (await page.evaluate(() => document.activeElement?.dataset?.testid)) === "scim-token-issued", {
    what: "focus on the token note",
  });

  // Rotate asks first, with the keyboard.
  await note.getByRole("button", { name: "Done" }).click();
  await panel.getByTestId("scim-rotate").focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("alertdialog", { name: "Rotate the SCIM token?" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Rotate and copy" }).click();
  await waitForCall(backend, "scim_rotate_token");
  await seeText(panel.getByTestId("scim-token-issued"), "…b7Tn");
}

export async function vendor_notes_and_the_tunnel(page, backend) {
  serveScim(backend);
  await openApp(page);
  await openConnection(page, "acme", "SCIM");
  const panel = page.getByRole("tabpanel", { name: "SCIM" });
  await panel.getByRole("button", { name: "Entra ID" }).click();
  await seeText(panel.getByTestId("scim-vendor-note"), "aadOptscim062020");
  await seeText(panel.getByTestId("scim-vendor-note"), "objectId");
  await panel.getByRole("button", { name: "Google Workspace" }).click();
  await seeText(panel.getByTestId("scim-vendor-note"), "no SCIM client for custom SAML or OIDC apps");
  await panel.getByRole("button", { name: "JumpCloud" }).click();
  await panel.getByTestId("scim-tunnel").locator("summary").click();
  await seeText(panel.getByTestId("scim-tunnel"), "ngrok http 7777 --host-header=rewrite");
}

export async function lifecycle_policy_and_owners_are_saved(page, backend) {
  serveScim(backend);
  await openApp(page);
  await openConnection(page, "acme", "SCIM");
  const panel = page.getByRole("tabpanel", { name: "SCIM" });
  const form = panel.getByTestId("scim-lifecycle");
  await form.getByRole("radio", { name: /^Hybrid/ }).check();
  await form.getByRole("checkbox", { name: /JIT creates only users SCIM has provisioned/ }).check();
  await form.getByLabel("Owner of Groups").selectOption("login");
  await form.getByTestId("scim-lifecycle-save").click();
  assert.deepEqual(await waitForCall(backend, "set_lifecycle"), {
    name: "acme",
    lifecycle: { policy: "hybrid", jit_requires_scim: true, match_rule: "user_name", owners: { groups: "login" } },
  });
  await seeText(form.getByTestId("scim-lifecycle-save-status"), "Saved.");
  // The mapping document follows: no unsaved change appears in the Provisioning tab.
  assert.equal(await page.getByText("Unsaved changes in").count(), 0);
}

export async function the_live_log_shows_a_request_as_it_arrives(page, backend) {
  const state = serveScim(backend);
  state.scim = snapOr(backend, "scim_status_acme_on", ON);
  // The core's own rows (ui-snapshots: a POST with a password, Entra's legacy PATCH, a lookup).
  const rows_ = snapOr(backend, "scim_log_acme", [PATCH]);
  const post = rows_.find((r) => r.method === "POST") ?? { ...PATCH, id: 11, method: "POST", path: "/Users", status: 201 };
  const patch = rows_.find((r) => r.method === "PATCH") ?? PATCH;
  await openApp(page);
  await openConnection(page, "acme", "SCIM");
  const panel = page.getByRole("tabpanel", { name: "SCIM" });
  await panel.getByTestId("scim-log-empty").waitFor();
  await panel.getByTestId("scim-reports").getByText("Ada King").waitFor(); // a JIT account SCIM does not know
  await pollUntil(async () => (await backend.listening("scim-request")) > 0, { what: "the log listening" });
  state.scimLog = [patch, post];
  await backend.emit("scim-request", post);
  await backend.emit("scim-request", patch);
  const rows = panel.getByTestId("scim-log-table").locator("tbody tr[data-request-id]");
  await waitForCount(rows, 2);
  const patchRow = panel.locator(`tr[data-request-id="${patch.id}"]`);
  await seeText(patchRow, "PATCH");
  await seeText(patchRow, "replace active");
  // Keyboard: the row's toggle opens the details.
  await patchRow.getByRole("button", { name: /Show details of PATCH/ }).focus();
  await page.keyboard.press("Enter");
  const detail = panel.locator(`#scim-request-${patch.id}`);
  await seeText(detail, "deactivated");
  await seeText(detail, 'boolean string "False"');
  // The POST's body: its password redacted by the core.
  await panel.locator(`tr[data-request-id="${post.id}"]`).getByRole("button", { name: /Show details of POST/ }).click();
  const postDetail = panel.locator(`#scim-request-${post.id}`);
  await postDetail.getByTestId("scim-req-body").locator("summary").click();
  await seeText(postDetail.getByTestId("scim-req-body"), "[redacted]");
  // Another connection's request does not show here.
  await backend.emit("scim-request", { ...patch, id: 99, connection: "acme-staging" });
  await page.waitForTimeout(200);
  assert.equal(await rows.count(), 2);
}

export async function users_show_their_source_and_the_audit_log_filters_scim(page, backend) {
  const state = serveApp(backend);
  const base = state.users[0];
  const cleo = snapOr(backend, "users_scim_cleo", [
    { ...base, id: 7, email: "cleo@example.com", display_name: null, given_name: "Cleo", family_name: "Park", source: "scim", status: "deactivated" },
  ])[0];
  state.users = [...state.users, cleo];
  await openApp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Users" }).click();
  const row = page.getByTestId("users-table").getByRole("row").filter({ hasText: "Cleo" });
  await seeText(row.getByTestId("user-source"), "SCIM");
  await seeText(row.getByTestId("user-source"), "Deprovisioned");

  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Audit log" }).click();
  await page.getByRole("combobox", { name: "Kind" }).selectOption("scim");
  const call = await waitForCall(backend, "audit", (a) => a.query.kind === "scim");
  assert.equal(call.query.outcome, null);
  assert.equal(call.query.action, null);
  assert.equal(await page.getByRole("combobox", { name: "Outcome" }).count(), 0);
}

export async function scim_tab_fits_at_1024_light_and_dark(page, backend, ctx) {
  await page.setViewportSize({ width: 1024, height: 640 });
  const state = serveScim(backend);
  state.scim = snapOr(backend, "scim_status_acme_on", ON);
  state.scimLog = snapOr(backend, "scim_log_acme", [PATCH]);
  await openApp(page);
  await openConnection(page, "acme", "SCIM");
  const panel = page.getByRole("tabpanel", { name: "SCIM" });
  const rows = panel.getByTestId("scim-log-table").locator("tbody tr[data-request-id]");
  await waitForCount(rows, state.scimLog.length);
  const patch = state.scimLog.find((r) => r.method === "PATCH");
  await panel.locator(`tr[data-request-id="${patch.id}"]`).getByRole("button", { name: /Show details of PATCH/ }).click();
  await panel.locator(`#scim-request-${patch.id}`).waitFor();
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="scim-tab"] .table-wrap, [data-testid="scim-tab"] table')]
      .filter((w) => w.getClientRects().length > 0 && w.scrollWidth > w.clientWidth + 1)
      .map((w) => `${w.dataset.testid ?? w.className}: ${w.scrollWidth} > ${w.clientWidth}`),
  );
  assert.deepEqual(wide, [], "nothing in the SCIM tab scrolls sideways at 1024");
  const main = await page.evaluate(() => {
    const m = document.querySelector("main");
    return m.scrollWidth - m.clientWidth;
  });
  assert.ok(main <= 1, `the screen does not scroll sideways (${main} px)`);
  await ctx.screenshot("scim-tab-1024-light");
  await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "Dark" }).click();
  await ctx.screenshot("scim-tab-1024-dark");
}
