// The connections list: badges, filter, delete (confirmed), duplicate (validated).
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";
import { connectionRow, seeText, serveApp, toast, waitForCall, waitForCount } from "./app.mjs";

export async function list_shows_test_status_and_certificate_badges(page, backend) {
  serveApp(backend);
  await openApp(page);
  await seeText(page.getByRole("main"), "4 connections");
  const rows = page.getByTestId("connections-table").locator("tbody").getByRole("row");
  await waitForCount(rows, 4);

  // The core's summaries: acme ok (its last login updated a user), acme-staging failing
  // (audience), the other two never tested; certificates ok, expired and soon.
  await seeText(connectionRow(page, "acme"), /Last test OK ·/);
  await seeText(connectionRow(page, "acme"), "Valid · 6925 d left");
  await seeText(connectionRow(page, "acme"), "Generic SAML 2.0");
  await seeText(connectionRow(page, "acme-staging"), "Failing: audience");
  await seeText(connectionRow(page, "okta-legacy"), "Never tested");
  await seeText(connectionRow(page, "okta-legacy"), "Expires in 16 d");
  await seeText(connectionRow(page, "okta-legacy"), "Okta");
  await seeText(connectionRow(page, "adfs-contoso"), "Never tested");
  await seeText(connectionRow(page, "adfs-contoso"), "Expired");
  await seeText(connectionRow(page, "adfs-contoso"), "http://adfs.contoso.com/adfs/services/trust");

  // Tones, for the colour-blind-safe text above to match its colour.
  const badge = (name, text) => connectionRow(page, name).locator(".badge", { hasText: text });
  assert.match((await badge("acme", "Last test OK").getAttribute("class")) ?? "", /\bok\b/);
  assert.match((await badge("acme-staging", "Failing").getAttribute("class")) ?? "", /\bbad\b/);
  assert.match((await badge("okta-legacy", "Expires in").getAttribute("class")) ?? "", /\bwarn\b/);
  assert.match((await badge("adfs-contoso", "Expired").getAttribute("class")) ?? "", /\bbad\b/);
  assert.equal(await connectionRow(page, "acme").getByRole("cell").nth(4).textContent(), "2", "user count");
}

export async function filter_narrows_by_name_vendor_and_entity_id(page, backend) {
  serveApp(backend);
  await openApp(page);
  const rows = page.getByTestId("connections-table").locator("tbody").getByRole("row");
  await waitForCount(rows, 4);
  const filter = page.getByRole("searchbox", { name: "Filter connections" });

  await filter.fill("okta");
  await waitForCount(rows, 1);
  await connectionRow(page, "okta-legacy").waitFor();
  await seeText(page.getByRole("main"), "1 match of 4");

  await filter.fill("IDP.HANDSHAKE.TEST"); // entityID, any case
  await waitForCount(rows, 2);
  await seeText(page.getByRole("main"), "2 matches of 4");

  await filter.fill("AD FS"); // the vendor label
  await waitForCount(rows, 1);
  await connectionRow(page, "adfs-contoso").waitFor();

  await filter.fill("nothing-like-this");
  await page.getByRole("heading", { name: "No connection matches “nothing-like-this”" }).waitFor();
  await page.getByRole("button", { name: "Clear the filter" }).click();
  await waitForCount(rows, 4);
  assert.equal(await filter.inputValue(), "");
  assert.equal(backend.calls("list_connections").length, 1, "filtering happens in the window");
}

export async function delete_asks_for_confirmation_before_removing(page, backend) {
  serveApp(backend);
  await openApp(page);
  const rows = page.getByTestId("connections-table").locator("tbody").getByRole("row");
  await waitForCount(rows, 4);

  // Cancel first: nothing is removed.
  await page.getByRole("button", { name: "Delete acme", exact: true }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete acme?" });
  await dialog.waitFor();
  await seeText(dialog, "2 users signed in through this connection.");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.deepEqual(backend.calls("remove_connection"), []);
  assert.equal(
    await page.evaluate(() => document.activeElement?.getAttribute("aria-label")),
    "Delete acme",
    "focus back on the button that opened the dialog",
  );

  // Escape cancels too.
  await page.getByRole("button", { name: "Delete okta-legacy", exact: true }).click();
  const okta = page.getByRole("alertdialog", { name: "Delete okta-legacy?" });
  await okta.waitFor();
  await page.keyboard.press("Escape");
  await okta.waitFor({ state: "hidden" });
  assert.deepEqual(backend.calls("remove_connection"), []);

  // Confirmed: removed, and the list reloads without it.
  await page.getByRole("button", { name: "Delete okta-legacy", exact: true }).click();
  await okta.waitFor();
  assert.equal(await okta.getByText("signed in through this connection").count(), 0, "no users, no warning");
  await okta.getByRole("button", { name: "Delete connection" }).click();
  await waitForCall(backend, "remove_connection");
  assert.deepEqual(backend.calls("remove_connection"), [{ name: "okta-legacy" }]);
  await okta.waitFor({ state: "hidden" });
  await waitForCount(rows, 3);
  assert.equal(await connectionRow(page, "okta-legacy").count(), 0);
  await toast(page, "Deleted okta-legacy").waitFor();
}

export async function duplicate_validates_the_new_name(page, backend) {
  serveApp(backend);
  backend.on("duplicate_connection", ({ new_name }) => ({ ...backend.snapshot("connection_acme_copy"), name: new_name }));
  await openApp(page);
  await connectionRow(page, "acme").waitFor();

  await page.getByRole("button", { name: "Duplicate acme", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Duplicate acme" });
  await dialog.waitFor();
  const input = dialog.getByRole("textbox", { name: "New connection name" });
  assert.equal(await input.inputValue(), "acme-copy", "a free name is proposed");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "new-connection-name", "focus in the field");
  const submit = dialog.getByRole("button", { name: "Duplicate", exact: true });
  const error = dialog.locator("#new-connection-name-error");

  const cases = [
    ["", "Enter a name."],
    ["-acme", "Start with a letter or a digit."],
    ["acme copy", "Use only letters, digits, '-', '_' and '.'."],
    ["a".repeat(65), "Use at most 64 characters."],
    ["acme-staging", "A connection named “acme-staging” already exists."],
  ];
  for (const [name, message] of cases) {
    await input.fill(name);
    await seeText(error, message);
    assert.equal(await input.getAttribute("aria-invalid"), "true", `aria-invalid for ${JSON.stringify(name)}`);
    assert.ok(await submit.isDisabled(), `Duplicate disabled for ${JSON.stringify(name)}`);
  }
  assert.deepEqual(backend.calls("duplicate_connection"), [], "nothing sent while the name is invalid");

  await input.fill("acme-eu");
  await pollUntilEnabled(submit);
  assert.equal(((await error.textContent()) ?? "").trim(), "");
  await submit.click();
  await waitForCall(backend, "duplicate_connection");
  assert.deepEqual(backend.calls("duplicate_connection"), [{ name: "acme", new_name: "acme-eu" }]);
  await dialog.waitFor({ state: "hidden" });
  await toast(page, "Duplicated acme as acme-eu").waitFor();
}

export async function duplicate_shows_the_core_error_in_the_dialog(page, backend) {
  serveApp(backend);
  // Someone else took the name meanwhile: the core's already_exists, as it says it.
  backend.fail("duplicate_connection", backend.snapshot("error_already_exists"));
  await openApp(page);
  await page.getByRole("button", { name: "Duplicate acme-staging", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Duplicate acme-staging" });
  await dialog.getByRole("textbox", { name: "New connection name" }).fill("acme-staging-2");
  await dialog.getByRole("button", { name: "Duplicate", exact: true }).click();
  const alert = dialog.getByRole("alert");
  await seeText(alert, 'a connection named "acme-staging" already exists; choose another name');
  await seeText(alert, "Error code: already_exists");
  assert.ok(await dialog.isVisible(), "the dialog stays open to pick another name");
}

async function pollUntilEnabled(locator) {
  for (let i = 0; i < 100 && (await locator.isDisabled()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(await locator.isEnabled(), "enabled");
}

export async function a_finished_test_login_refreshes_the_list(page, backend) {
  // acme-staging before its test login: never tested.
  const before = backend.snapshot("connections");
  const staging = before.find((c) => c.name === "acme-staging");
  Object.assign(staging, { status: "never_tested", last_test_at: null, last_failed_check: null });
  const state = serveApp(backend, { connections: before });
  await openApp(page);
  await seeText(connectionRow(page, "acme-staging"), "Never tested");

  // The core's list after the login, and its event.
  state.connections = backend.snapshot("connections");
  await backend.emit("test-login", backend.snapshot("test_login_event_rejected"));
  await seeText(connectionRow(page, "acme-staging"), "Failing: audience");
  assert.equal(backend.calls("list_connections").length, 2);
  // Quietly: the table stayed on screen (no loading state replaced it).
  assert.equal(await page.getByText("Loading connections").count(), 0);
}
