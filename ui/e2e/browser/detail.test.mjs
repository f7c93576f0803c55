// A connection's detail: the SP values to give the IdP, the attribute mapping editor with
// its live preview, the security policy.
import assert from "node:assert/strict";
import { pollUntil } from "../harness.mjs";
import { openApp } from "./helpers.mjs";
import { openConnection, seeText, serveApp, waitForCall } from "./app.mjs";

const SP_ENTITY_ID = "https://app.example.com/saml/metadata";
const ACS_URL = "https://app.example.com/saml/acs";

export async function sp_tab_shows_entity_id_and_acs_url_with_copy_buttons(page, backend) {
  const state = serveApp(backend);
  await openApp(page);
  await openConnection(page, "acme", "Service provider");
  const panel = page.getByRole("tabpanel", { name: "Service provider" });

  await seeText(panel.getByTestId("sp-entity-id"), SP_ENTITY_ID);
  await seeText(panel.getByTestId("sp-acs-url"), ACS_URL);
  await seeText(panel, "Set explicitly."); // the fixture connection's URLs are explicit
  await seeText(panel, "Binding: HTTP-POST.");
  await seeText(panel, "CN=sp.handshake.test, O=Handshake test fixtures"); // tests/fixtures/keys/sp.crt

  for (const [label, value] of [
    ["Copy entityID", SP_ENTITY_ID],
    ["Copy ACS URL", ACS_URL],
  ]) {
    const button = panel.getByRole("button", { name: label });
    await button.click();
    await seeText(panel.getByText("✓ Copied"), "Copied");
    assert.equal(state.clipboard, value, `${label} copies ${value} through the clipboard plugin`);
    await panel.getByRole("button", { name: label }).waitFor({ timeout: 5_000 }); // back to its label
  }
}

const SP_METADATA = '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://app.example.com/saml/metadata"/>';

export async function copy_sp_metadata_puts_the_metadata_on_the_clipboard(page, backend) {
  const state = serveApp(backend);
  backend.reply("sp_metadata", SP_METADATA);
  await openApp(page);
  await openConnection(page, "acme", "Service provider");
  const panel = page.getByRole("tabpanel", { name: "Service provider" });
  await panel.getByRole("button", { name: "Copy SP metadata" }).click();
  await seeText(page.locator(".toast"), "SP metadata copied to the clipboard");
  assert.deepEqual(backend.calls("sp_metadata"), [{ name: "acme" }]);
  assert.equal(state.clipboard, SP_METADATA, "the metadata fetched first, then written through the plugin");
  assert.equal(await page.getByTestId("copy-fallback").count(), 0);
}

export async function a_failed_copy_offers_the_text_selected_and_save(page, backend) {
  serveApp(backend);
  backend.reply("sp_metadata", SP_METADATA);
  backend.fail("plugin:clipboard-manager|write_text", "The request is not allowed by the user agent");
  backend.reply("save_sp_metadata", null);
  await openApp(page);
  await openConnection(page, "acme", "Service provider");
  const panel = page.getByRole("tabpanel", { name: "Service provider" });
  await panel.getByRole("button", { name: "Copy SP metadata" }).click();

  const dialog = page.getByRole("dialog", { name: "Copy the SP metadata by hand" });
  await seeText(dialog, "could not put the SP metadata on the clipboard");
  const area = dialog.getByRole("textbox", { name: "the SP metadata to copy" });
  assert.equal(await area.inputValue(), SP_METADATA);
  // Selected and focused: Ctrl+C copies it.
  await page.waitForFunction(() => {
    const a = document.activeElement;
    return a instanceof HTMLTextAreaElement && a.selectionStart === 0 && a.selectionEnd === a.value.length;
  });
  await dialog.getByRole("button", { name: "Save to a file…" }).click();
  const saved = await waitForCall(backend, "save_sp_metadata");
  assert.equal(saved.name, "acme");
  await dialog.waitFor({ state: "hidden", timeout: 5_000 });
}

export async function mapping_edit_is_previewed_live_and_saved(page, backend) {
  serveApp(backend);
  backend.on("set_mapping", () => backend.snapshot("set_mapping_acme_department"));
  await openApp(page);
  await openConnection(page, "acme", "Attribute mapping");
  const panel = page.getByRole("tabpanel", { name: "Attribute mapping" });

  // The saved mapping previewed with the claims of test login #3 (Ada, renamed King).
  await seeText(panel.getByTestId("preview-status"), "Preview with the claims of test login #3");
  await seeText(panel.getByTestId("preview-email"), '"ada@example.com"');
  await seeText(panel.getByTestId("preview-family_name"), '"King"');
  await seeText(panel.getByTestId("claims"), "department");
  const saved = backend.snapshot("mapping_acme");
  assert.deepEqual(backend.calls("preview_mapping")[0].mapping.fields.map((f) => f.target), saved.fields.map((f) => f.target));

  // A new field: department <- the department attribute.
  await panel.getByRole("button", { name: "+ Add field" }).click();
  const n = saved.fields.length + 1;
  await panel.getByRole("combobox", { name: `Field ${n}: target` }).selectOption({ label: "Custom field…" });
  await panel.getByRole("textbox", { name: `Field ${n}: custom field name` }).fill("department");
  await panel.getByRole("textbox", { name: "Source of department: attribute name" }).fill("department");

  const previewed = await waitForCall(backend, "preview_mapping", ({ mapping }) =>
    mapping.fields.some((f) => f.target === "department" && f.source.name === "department"),
  );
  assert.equal(previewed.name, "acme");
  assert.deepEqual(previewed.mapping.fields.at(-1), {
    target: "department",
    source: { type: "attribute", name: "department", case_insensitive: false, friendly_name_fallback: true, name_format: null },
    transforms: [],
    required: false,
  });
  assert.deepEqual(previewed.mapping.roles, saved.roles, "the rest of the document is sent unchanged");
  await seeText(panel.getByTestId("preview-department"), '"Engineering"');
  await seeText(page.getByRole("tab", { name: /Attribute mapping/ }), "unsaved");
  assert.deepEqual(backend.calls("set_mapping"), [], "previews save nothing");

  await panel.getByTestId("save-mapping").click();
  const { name, mapping } = await waitForCall(backend, "set_mapping");
  assert.equal(name, "acme");
  assert.deepEqual(mapping, previewed.mapping, "saves the document that was previewed");
  await seeText(panel, "Saved.");
  await page.getByRole("tab", { name: "Attribute mapping", exact: true }).waitFor(); // no "unsaved" badge
  assert.equal(await page.getByText("Unsaved changes in").count(), 0);
}

export async function requiring_a_verified_email_is_saved(page, backend, ctx) {
  serveApp(backend);
  backend.on("set_mapping", ({ mapping }) => mapping);
  await openApp(page);
  await openConnection(page, "acme", "Roles and access");
  const panel = page.getByRole("tabpanel", { name: "Roles and access" });
  const box = panel.getByRole("checkbox", { name: /Require an email the IdP verified/ });
  assert.equal(await box.isChecked(), false);
  await box.check();
  await box.scrollIntoViewIfNeeded();
  await ctx.screenshot("roles-require-email-verified");
  await panel.getByTestId("save-roles").click();
  const { name, mapping } = await waitForCall(backend, "set_mapping");
  assert.equal(name, "acme");
  const saved = backend.snapshot("mapping_acme");
  assert.deepEqual(mapping.access, { ...saved.access, require_email_verified: true });
  await seeText(panel, "Saved.");
}

export async function mapping_without_test_login_asks_for_one(page, backend) {
  serveApp(backend);
  await openApp(page);
  await openConnection(page, "okta-legacy", "Attribute mapping");
  const panel = page.getByRole("tabpanel", { name: "Attribute mapping" });
  await seeText(panel.getByTestId("preview-status"), "Run a test login to preview with real attributes.");
  await seeText(panel.getByTestId("preview-email"), "—");
  await panel.getByRole("button", { name: "Go to Test login" }).click();
  await page.getByRole("tabpanel", { name: "Test login" }).waitFor();
}

export async function security_tab_saves_the_policy(page, backend) {
  serveApp(backend);
  backend.on("set_policy", () => backend.snapshot("set_policy_acme_encrypted"));
  await openApp(page);
  await openConnection(page, "acme", "Security");
  const panel = page.getByRole("tabpanel", { name: "Security" });
  const save = panel.getByRole("button", { name: "Save policy" });
  assert.ok(await save.isDisabled(), "nothing to save yet");
  const before = backend.snapshot("connection_acme").policy;
  assert.ok(await panel.getByRole("radio", { name: /Assertion or Response signed/ }).isChecked());

  // An invalid clock skew blocks the save.
  const skew = panel.getByRole("spinbutton", { name: "Clock skew (seconds)" });
  await skew.fill("900");
  await seeText(panel.locator("#sec-skew-error"), "Enter a whole number from 0 to 600.");
  assert.ok(await save.isDisabled());
  await skew.fill(String(before.clock_skew_seconds));

  await panel.getByRole("checkbox", { name: /Require an encrypted assertion/ }).check();
  await seeText(panel, "Unsaved changes");
  await save.click();
  const call = await waitForCall(backend, "set_policy");
  assert.deepEqual(call, { name: "acme", policy: { ...before, require_encrypted_assertion: true } });
  await seeText(panel, "Saved.");
  assert.ok(await panel.getByRole("checkbox", { name: /Require an encrypted assertion/ }).isChecked());
  assert.ok(await save.isDisabled());
}

export async function security_save_error_is_shown(page, backend) {
  serveApp(backend);
  backend.fail("set_policy", backend.snapshot("error_not_found"));
  await openApp(page);
  await openConnection(page, "acme", "Security");
  const panel = page.getByRole("tabpanel", { name: "Security" });
  await panel.getByRole("checkbox", { name: /Allow SHA-1 signatures/ }).check();
  await panel.getByRole("button", { name: "Save policy" }).click();
  await seeText(panel.getByRole("alert"), "Could not save the policy: there is no connection named");
  await seeText(panel, "Unsaved changes"); // the edit is kept
}

// At 1024x640: a login denied for a missing attribute offers the one-click fix, which opens the
// Mapping tab with that row changed (unsaved, focused); the mapping table keeps its Preview
// column and row buttons without scrolling sideways; "+ Transform" is a menu button.
export async function one_click_fix_and_the_mapping_table_at_1024(page, backend, ctx) {
  await page.setViewportSize({ width: 1024, height: 640 });
  serveApp(backend);
  const denied = structuredClone(backend.snapshot("test_login_created"));
  Object.assign(denied.login.report, {
    outcome: "denied",
    user: null,
    diff: [],
    failed_check: "missing_attribute",
    stopped_by: { stop: "missing_attribute", code: "missing_attribute", message: "required field email is empty", hint: "Map email from the attribute mail" },
    mapping_fix: { field: "email", attribute: "mail", value: "ada@example.com" },
  });
  backend.on("test_login", () => denied);
  await openApp(page);
  await openConnection(page, "acme", "Test login");
  const panel = page.getByRole("tabpanel", { name: "Test login" });
  await page.getByRole("tab", { name: "Test login" }).waitFor();
  await backend.emit("test-login", backend.snapshot("test_login_event_created"));
  const fix = panel.getByRole("button", { name: "Map email from mail" });
  await fix.waitFor();
  await ctx.screenshot("one-click-fix-result-1024");
  await fix.click();

  const mapping = page.getByRole("tabpanel", { name: "Attribute mapping" });
  const source = mapping.getByRole("textbox", { name: "Source of email: attribute name" });
  await source.waitFor();
  assert.equal(await source.inputValue(), "mail");
  await pollUntil(() => source.evaluate((e) => e === document.activeElement), { what: "the fixed row's source to be focused" });
  assert.ok(await mapping.getByTestId("save-mapping").isEnabled(), "unsaved: Save enabled");
  await seeText(mapping.getByTestId("applied-fix"), "now reads the attribute mail");
  assert.deepEqual(backend.calls("set_mapping"), [], "nothing saved yet");

  const fits = await page.evaluate(() => {
    const wrap = document.querySelector('[data-testid="mapping-row-email"]').closest(".table-wrap");
    const right = wrap.getBoundingClientRect().right;
    const buttons = [...wrap.querySelectorAll("td.row-actions button")].map((b) => b.getBoundingClientRect().right);
    return { scroll: wrap.scrollWidth, client: wrap.clientWidth, right, buttons: Math.max(...buttons) };
  });
  assert.ok(fits.scroll <= fits.client + 1, `the table scrolls sideways: ${JSON.stringify(fits)}`);
  assert.ok(fits.buttons <= fits.right, `row buttons cut: ${JSON.stringify(fits)}`);
  await ctx.screenshot("one-click-fix-mapping-1024");

  // "+ Transform": a menu button; arrows move, Enter applies, focus returns to the button.
  const add = mapping.getByRole("button", { name: "Add a transform to groups" });
  await page.waitForTimeout(400); // the fix's own preview has gone out (debounced)
  const before = backend.calls("preview_mapping").length;
  await add.focus();
  await page.keyboard.press("ArrowDown");
  await mapping.getByRole("menu").waitFor();
  await page.keyboard.press("ArrowDown");
  await page.waitForTimeout(400); // past the preview's debounce: moving applies nothing
  assert.equal(backend.calls("preview_mapping").length, before);
  await page.keyboard.press("Enter");
  const previewed = await waitForCall(backend, "preview_mapping", ({ mapping: m }) =>
    m.fields.some((f) => f.target === "groups" && (f.transforms ?? []).some((t) => t.op === "lowercase")),
  );
  assert.ok(previewed);
  assert.equal(await add.evaluate((e) => e === document.activeElement), true, "focus back on + Transform");
}
