// A connection's detail: the SP values to give the IdP, the attribute mapping editor with
// its live preview, the security policy.
import assert from "node:assert/strict";
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
