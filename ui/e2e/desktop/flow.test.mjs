// The whole workbench flow in the real app, through its UI only (clicks and typing; IPC is
// used to read values for assertions and measurements, never to do a step), against the
// SimpleSAMLphp that scripts/test-desktop.sh started for connection "ssp":
//
//   empty catalog -> import the IdP's metadata from a file -> SP values -> edit the attribute
//   mapping (a custom `department`; the default already reads SimpleSAMLphp's names) ->
//   test login in the app's login window (real sign-in form) -> the result arrives live
//   (user created, mapped fields) -> the mapping's live preview has real claims -> Users ->
//   Audit log -> Connections -> a second login on the IdP session (unchanged / updated).
//
// Takes the README screenshots (docs/screenshots/*.png, at the app's default 1280x820
// window) and records the login timings (ctx.measure -> target/desktop-measurements.json):
//   acs_to_rendered_ms            the ACS's timestamp of the test login (TestLogin.at, taken
//                                 when the IdP's POST arrived) -> the result rendered in the
//                                 main window (data-rendered-epoch, Date.now() after render)
//   acs_to_event_ms / event_to_rendered_ms   that span split at the event's arrival in the webview
//   idp_submit_to_acs_ms          IdP sign-in click -> the POST at the ACS (SimpleSAMLphp's
//                                 authentication, its auto-posting form page)
//   idp_submit_to_rendered_ms     IdP sign-in click -> result rendered (the sum)
//   idp_post_to_result_ms         IdP sign-in click -> result found over WebDriver (polling)
//   sso_login_click_to_rendered_ms  second login, on the IdP's session: Start click ->
//                                 result rendered (AuthnRequest, IdP, POST, ACS, window)
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pollUntil } from "../harness.mjs";
import { uiHelpers } from "./helpers.mjs";

const EMAIL = process.env.E2E_IDP_EMAIL ?? "ada@example.com";
const DEPARTMENT = process.env.E2E_IDP_DEPARTMENT ?? "Analytical Engines";

export async function import_map_test_login_users_audit(browser, ctx) {
  const { idpMetadataUrl, idpUser, idpPassword, connection, spPort } = ctx.env;
  for (const [k, v] of Object.entries({ idpMetadataUrl, idpUser, idpPassword, connection, spPort })) {
    assert.ok(v, `ctx.env.${k} is not set: run this through scripts/test-desktop.sh`);
  }
  const { log, shot, el, textUntil, find, collectScriptErrors, dismissToasts, fitWindow, scrollTo } = uiHelpers(browser, ctx);
  const sidebar = (label) => ctx.click(`//aside//button[normalize-space()="${label}"]`);
  /** The window itself never scrolls (only <main> and the sidebar do): the shell stays put. */
  const windowStill = async (where) => {
    const [top, height, inner] = await browser.execute(() => [
      document.scrollingElement.scrollTop,
      document.scrollingElement.scrollHeight,
      window.innerHeight,
    ]);
    assert.ok(top === 0 && height <= inner, `${where}: the window scrolled (scrollTop ${top}, height ${height} > ${inner})`);
  };
  // Script errors in the main window: collected from the start, told when a find() fails.
  await collectScriptErrors();
  await fitWindow();

  // ---- 1. launched on the empty catalog ------------------------------------------------------
  await el('main[data-ready][data-view="connections"]');
  assert.deepEqual(await ctx.ipc("list_connections"), [], "the run starts with an empty catalog");
  await textUntil("main", (t) => t.includes("No connections yet"), "the empty Connections screen");
  await shot("connections-empty");

  // ---- 2. import the IdP metadata from a file ------------------------------------------------
  const res = await fetch(idpMetadataUrl);
  const xml = await res.text();
  assert.ok(res.ok && xml.includes("IDPSSODescriptor"), `IdP metadata from ${idpMetadataUrl}: HTTP ${res.status}`);
  const dir = mkdtempSync(join(process.env.E2E_WORK ?? tmpdir(), "flow-"));
  const file = join(dir, "simplesamlphp-idp-metadata.xml");
  writeFileSync(file, xml);

  await sidebar("+ Import metadata");
  await el('main[data-view="import"]');
  await ctx.click("#import-tab-file");
  const input = await el('input[type="file"][data-testid="metadata-file"]');
  // WebDriver's Element Send Keys on a file input selects that file (what the file chooser
  // would do); the input is visually hidden (sr-only), which the non-strict default allows.
  try {
    await browser.elementSendKeys(input.elementId, file);
  } catch (e) {
    log(`(send keys to the hidden file input failed: ${e.message}; making it visible first)`);
    await browser.execute((i) => i.classList.remove("sr-only"), input);
    await browser.elementSendKeys(input.elementId, file);
  }
  await el('[data-testid="idp-summary"]', { timeout: 20_000 });
  await textUntil("main", (t) => t.includes("simplesamlphp-idp-metadata.xml"), "the preview to name the file");
  await ctx.type('[data-testid="connection-name"]', connection);
  assert.equal(await (await el('[data-testid="connection-name"]')).getValue(), connection);
  const save = await el('[data-testid="save-connection"]');
  await pollUntil(() => save.isEnabled(), { timeout: 10_000, what: "Save connection to be enabled" });
  await scrollTo('[data-testid="save-connection"]', "bottom"); // the IdP summary down to Save
  await shot("import-preview");
  await save.click();

  // Lands on the new connection's SP tab, with the SP values SimpleSAMLphp was given.
  await el(`[data-testid="connection-detail"][data-connection="${connection}"]`);
  await el('#detail-tab-sp[aria-selected="true"]');
  const sp = `http://127.0.0.1:${spPort}/saml/${connection}`;
  await textUntil('[data-testid="sp-entity-id"]', (t) => t.trim() === `${sp}/metadata`, "the SP entityID");
  await textUntil('[data-testid="sp-acs-url"]', (t) => t.trim() === `${sp}/acs`, "the ACS URL");
  const conns = await ctx.ipc("list_connections");
  assert.deepEqual(
    conns.map((c) => c.name),
    [connection],
    "the catalog holds the imported connection",
  );
  const scrolled = await browser.execute(() => document.querySelector("main").scrollTop);
  assert.equal(scrolled, 0, "the connection screen opens at its top (not at the Import screen's scroll)");
  await shot("connection-sp");
  await dismissToasts();

  // ---- 3. edit the attribute mapping ---------------------------------------------------------
  await ctx.click('[data-testid="tab-mapping"]');
  await el('[data-testid="mapping-row-given_name"]');
  // SimpleSAMLphp's givenName / sn need no edit: the default mapping tries them
  // (first-login.test.mjs proves a login with no edit). A custom field from the IdP's
  // department attribute.
  const before = (await browser.$$('tr[data-testid^="mapping-row-"]')).length;
  // Focus and Enter, as a keyboard user adds a field: the new row's field picker takes the
  // focus, scrolled out from under the sticky save bar.
  await browser.execute((b) => b.focus(), await el('[data-testid="add-field"]'));
  await browser.keys(["Enter"]);
  const n = before + 1;
  await pollUntil(async () => (await browser.$$('tr[data-testid^="mapping-row-"]')).length === n, {
    what: `a field row number ${n}`,
  });
  await (await el(`select[aria-label="Field ${n}: target"]`)).selectByAttribute("value", "__custom");
  await ctx.type(`input[aria-label="Field ${n}: custom field name"]`, "department");
  await ctx.type('input[aria-label="Source of department: attribute name"]', "department");
  await el('[data-testid="mapping-row-department"]');
  const saveMapping = await el('[data-testid="save-mapping"]');
  await pollUntil(() => saveMapping.isEnabled(), { what: "the mapping's Save to be enabled (unsaved edits)" });
  await saveMapping.click();
  await pollUntil(async () => !(await saveMapping.isEnabled()), { what: "the mapping to be saved (Save disabled again)" });
  await textUntil('#detail-panel-mapping', (t) => t.includes("Saved."), "“Saved.” next to the mapping's Save");
  const mapping = await ctx.ipc("mapping", { name: connection });
  const field = (target) => mapping.fields.find((f) => f.target === target);
  assert.ok(field("given_name")?.source?.names?.includes("givenName"), "saved: given_name tries givenName");
  assert.ok(field("family_name")?.source?.names?.includes("sn"), "saved: family_name tries sn");
  assert.deepEqual(
    { type: field("department")?.source?.type, name: field("department")?.source?.name },
    { type: "attribute", name: "department" },
    `saved: department from the department attribute (fields: ${mapping.fields.map((f) => f.target)})`,
  );

  // ---- 4. test login against SimpleSAMLphp, in the app's login window ------------------------
  await ctx.click('[data-testid="tab-test"]');
  await ctx.click('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"]');
  await el('//div[@aria-labelledby="tl-open-in"]/button[normalize-space()="App window"][@aria-pressed="true"]');
  await ctx.click('[data-testid="start-test-login"]');
  await ctx.switchToNewWindow({ timeout: 20_000 });
  await ctx.type("input[name=username]", idpUser, { timeout: 20_000 });
  await ctx.type("input[name=password]", idpPassword);
  const submit = await el("#submit_button");
  const resultSel = '[data-testid="test-login-panel"][data-rendered-epoch] [data-testid="test-login-result"]';
  const submitEpoch = Date.now();
  const t1 = performance.now();
  await submit.click();
  await ctx.switchToMain();
  const result = await find(resultSel, "the test login's result in the main window");
  ctx.measure("idp_post_to_result_ms", Math.round(performance.now() - t1));

  const id = Number(await result.getAttribute("data-test-login-id"));
  assert.equal(await result.getAttribute("data-outcome"), "created", "first login creates the user");
  const detail = await ctx.ipc("test_login", { id });
  const report = detail.login.report;
  assert.equal(report.outcome, "created");
  assert.equal(report.user?.email, EMAIL);
  assert.equal(report.user?.given_name, "Ada");
  assert.equal(report.user?.family_name, "Lovelace");
  assert.equal(report.user?.custom?.department, DEPARTMENT, "the mapped custom field");
  const record = await textUntil(
    '[data-testid="user-record"]',
    (t) => t.includes(EMAIL) && t.includes(DEPARTMENT),
    `the user record to show ${EMAIL} and department ${DEPARTMENT}`,
  );
  assert.match(record, /department/);
  assert.match(await ctx.text('[data-testid="outcome"]'), /created/i);

  const panel = await el('[data-testid="test-login-panel"]');
  const num = async (a) => Number(await panel.getAttribute(a));
  const renderedEpoch = await num("data-rendered-epoch");
  const eventAt = await num("data-event-at");
  const renderedAt = await num("data-rendered-at");
  const acsAt = Date.parse(detail.login.at);
  assert.ok(Number.isFinite(acsAt) && Number.isFinite(renderedEpoch), `timestamps: at=${detail.login.at} rendered=${renderedEpoch}`);
  const eventToRendered = renderedAt - eventAt;
  const timings = {
    acs_to_rendered_ms: renderedEpoch - acsAt,
    acs_to_event_ms: Math.round(renderedEpoch - eventToRendered - acsAt),
    event_to_rendered_ms: Math.round(eventToRendered),
    idp_submit_to_acs_ms: acsAt - submitEpoch,
    idp_submit_to_rendered_ms: renderedEpoch - submitEpoch,
  };
  for (const [k, v] of Object.entries(timings)) ctx.measure(k, v);
  log(`test login #${id} at ${detail.login.at}: ${JSON.stringify(timings)}`);
  assert.ok(timings.acs_to_rendered_ms >= 0 && timings.acs_to_rendered_ms < 10_000, "ACS -> rendered is plausible");

  await windowStill("after the result was shown (and focused)");
  await scrollTo('[data-testid="test-login-result"]');
  await shot("test-login-result");

  // The mapping's live preview now runs on the claims of this login.
  await ctx.click('[data-testid="tab-mapping"]');
  await textUntil(
    '[data-testid="preview-status"]',
    (t) => t.includes(`test login #${id}`),
    `the mapping preview to use test login #${id}`,
  );
  await textUntil('[data-testid="preview-department"]', (t) => t.includes(DEPARTMENT), "the department preview");
  await textUntil('[data-testid="preview-email"]', (t) => t.includes(EMAIL), "the email preview");
  await textUntil(
    '[data-testid="connection-detail"] header',
    (t) => t.includes("Last test passed"),
    "the connection header to show the passed test",
  );
  // The rules down to department (with its preview) just above the sticky Save bar.
  await browser.execute(() => {
    const main = document.querySelector("main");
    const row = document.querySelector('[data-testid="mapping-row-department"]').getBoundingClientRect();
    const bar = document.querySelector('[data-testid="save-mapping"]').closest(".bar").getBoundingClientRect();
    main.scrollTop += row.bottom - bar.top + 8;
  });
  await windowStill("on the mapping tab");
  await shot("mapping-preview");

  // ---- 5. Users, Audit log, Connections --------------------------------------------------------
  await sidebar("Users");
  await el('main[data-view="users"]');
  await textUntil('[data-testid="users-table"]', (t) => t.includes(EMAIL) || t.includes("Ada Lovelace"), "the user in the table");
  const users = await ctx.ipc("users", { query: {} });
  assert.equal(users.length, 1, "one user provisioned");
  assert.equal(users[0].email, EMAIL);
  await shot("users");

  await sidebar("Audit log");
  await el('main[data-view="audit"]');
  const created = await el('[data-testid="audit-table"] tr[data-outcome="created"]');
  // (textContent: WebDriver's visible text leaves out the subject, an ellipsized span.)
  const row = await created.getProperty("textContent");
  assert.ok(row.includes(connection) && row.includes(EMAIL), `audit row: ${row}`);
  await shot("audit");

  await sidebar("Connections");
  await el(`[data-testid="connections-table"] tr[data-connection="${connection}"]`);
  await textUntil(
    `[data-testid="connections-table"] tr[data-connection="${connection}"]`,
    (t) => t.includes("Last test OK"),
    "the connection's last test to show as OK",
  );
  await shot("connections");

  // ---- 6. a second login, on the IdP's session -------------------------------------------------
  await ctx.click(`//tr[@data-connection="${connection}"]//button[normalize-space()="${connection}"]`);
  await el(`[data-testid="connection-detail"][data-connection="${connection}"]`);
  await ctx.click('[data-testid="header-test-login"]');
  const startEpoch = Date.now();
  await ctx.click('[data-testid="start-test-login"]');
  const second = `[data-testid="test-login-panel"][data-rendered-epoch] [data-testid="test-login-result"]:not([data-test-login-id="${id}"])`;
  // SimpleSAMLphp remembers the sign-in (its session cookie in the login window), so it
  // answers at once; should it ask again, sign in again.
  let again = await find(second, "the second login's result", 10_000).catch(() => null);
  if (!again) {
    log("(no result on the IdP session within 10 s: looking at the login window)");
    await ctx.switchToNewWindow();
    if (await (await browser.$("input[name=username]")).isExisting()) {
      await ctx.type("input[name=username]", idpUser);
      await ctx.type("input[name=password]", idpPassword);
      await ctx.click("#submit_button");
    }
    await ctx.switchToMain();
    again = await find(second, "the second login's result");
  }
  const outcome2 = await again.getAttribute("data-outcome");
  assert.ok(["unchanged", "updated"].includes(outcome2), `second login: outcome ${outcome2}`);
  const id2 = Number(await again.getAttribute("data-test-login-id"));
  const detail2 = await ctx.ipc("test_login", { id: id2 });
  assert.equal(detail2.login.report.user?.login_count, 2, "the second login is counted on the same user");
  const rendered2 = Number(await (await el('[data-testid="test-login-panel"]')).getAttribute("data-rendered-epoch"));
  ctx.measure("sso_login_click_to_rendered_ms", rendered2 - startEpoch);
  ctx.measure("second_login_acs_to_rendered_ms", rendered2 - Date.parse(detail2.login.at));
  log(`second login #${id2}: ${outcome2}, Start click -> rendered ${rendered2 - startEpoch} ms`);
}
