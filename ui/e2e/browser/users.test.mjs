// Users: search (sent to the core), the side panel, deactivate, delete (confirmed).
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";
import { seeText, serveApp, toast, waitForCall, waitForCount } from "./app.mjs";

/** Every test starts on the Users screen, with the snapshot's users. */
export async function beforeEach(page, backend) {
  serveApp(backend);
  await openApp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Users" }).click();
  await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
}

/** Opens the side panel of the user `label` (a click on the name); returns the panel. */
async function openUser(page, label) {
  await page.getByRole("button", { name: label, exact: true }).click();
  const panel = page.getByTestId("user-panel");
  await seeText(panel.getByRole("heading", { level: 2 }), label);
  return panel;
}

const userRow = (page, label) =>
  page.getByTestId("users-table").getByRole("row").filter({ has: page.getByRole("button", { name: label, exact: true }) });

export async function search_sends_the_text_and_shows_the_matches(page, backend) {
  const rows = page.getByTestId("users-table").locator("tbody tr");
  await waitForCount(rows, 2);
  await seeText(userRow(page, "Ada King"), "ada@example.com");
  await seeText(userRow(page, "Ada King"), "member");
  await seeText(userRow(page, "Ada King"), "2 groups");
  await seeText(userRow(page, "Ada King"), "Active");
  assert.deepEqual(backend.calls("users").at(-1), { query: { connection: null, text: null } });

  await page.getByRole("searchbox", { name: "Search users" }).fill("  Grace ");
  const call = await waitForCall(backend, "users", (a) => a.query.text !== null);
  assert.deepEqual(call, { query: { connection: null, text: "Grace" } }, "trimmed, case kept (the core ignores case)");
  await waitForCount(rows, 1);
  await userRow(page, "Grace Hopper").waitFor();
  await seeText(page.getByRole("main"), "1 user match");

  await page.getByRole("searchbox", { name: "Search users" }).fill("nobody-here");
  await page.getByRole("heading", { name: "No user matches" }).waitFor();

  // The connection filter is sent too.
  await page.getByRole("searchbox", { name: "Search users" }).fill("");
  await page.getByRole("combobox", { name: "Connection" }).selectOption("acme-staging");
  await waitForCall(backend, "users", (a) => a.query.connection === "acme-staging");
  await page.getByRole("heading", { name: "No user matches" }).waitFor();
}

export async function deactivate_calls_set_user_status(page, backend) {
  const panel = await openUser(page, "Ada King");
  await seeText(panel, "Created by JIT");
  await seeText(panel.getByRole("table").first(), "acme ada@example.com Created"); // identities
  await seeText(panel, "History");
  await seeText(panel.locator("ol.history"), "updated");

  await panel.getByRole("button", { name: "Deactivate" }).click();
  assert.deepEqual(await waitForCall(backend, "set_user_status"), { id: 1, status: "deactivated" });
  await panel.getByRole("button", { name: "Activate" }).waitFor();
  await seeText(userRow(page, "Ada King"), "Deactivated");
  await toast(page, "Ada King is now deactivated").waitFor();

  await panel.getByRole("button", { name: "Activate" }).click();
  await waitForCall(backend, "set_user_status", (a) => a.status === "active");
  await panel.getByRole("button", { name: "Deactivate" }).waitFor();
  await seeText(userRow(page, "Ada King"), "Active");
}

export async function delete_asks_for_confirmation(page, backend) {
  const rows = page.getByTestId("users-table").locator("tbody tr");
  await waitForCount(rows, 2);
  const panel = await openUser(page, "Grace Hopper");

  await panel.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete Grace Hopper?" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.deepEqual(backend.calls("delete_user"), []);

  await panel.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete user" }).click();
  assert.deepEqual(await waitForCall(backend, "delete_user"), { id: 2 });
  await dialog.waitFor({ state: "hidden" });
  await waitForCount(rows, 1);
  assert.equal(await userRow(page, "Grace Hopper").count(), 0);
  await panel.waitFor({ state: "detached" });
  await toast(page, "Deleted Grace Hopper").waitFor();
}

export async function escape_closes_the_user_panel(page, backend) {
  const panel = await openUser(page, "Ada King");
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached" });
  // Focus returns to the user's button in the list.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "user-open-1");
}
