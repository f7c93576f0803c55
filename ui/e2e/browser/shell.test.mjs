// The app shell: the embedded SP's banners (port in use, secret store), the theme switch,
// keyboard use of the detail tabs, and a tour of every screen without errors.
import assert from "node:assert/strict";
import { CommandError } from "./backend.mjs";
import { openApp } from "./helpers.mjs";
import { openConnection, seeText, serveApp, waitForAttribute, waitForCall } from "./app.mjs";

/** The running app's status, but its SP could not bind port 7777 (another program has it). */
function portTaken(backend) {
  const taken = backend.snapshot("app_status_port_in_use_secret_store_error");
  return { ...backend.snapshot("app_status"), server: taken.server };
}

export async function port_in_use_banner_restarts_the_server_on_another_port(page, backend) {
  const status = portTaken(backend);
  serveApp(backend, { status });
  // Desktop::start_server never fails: a taken port comes back in the status.
  backend.on("start_server", ({ port }) => (port === 7778 ? backend.snapshot("server_status_started") : status.server));
  await openApp(page);

  const banner = page.getByTestId("port-banner");
  await seeText(banner, "Port 7777 is already in use");
  await seeText(banner, status.server.error.message);
  await seeText(page.getByTestId("server-status"), "SP not running (port 7777)");
  const port = banner.getByRole("spinbutton", { name: "Port" });
  assert.equal(await port.inputValue(), "7778", "the next port is proposed");
  const start = banner.getByRole("button", { name: "Start on this port" });

  await port.fill("70000");
  await seeText(banner.locator("#server-port-error"), "Enter a port between 1 and 65535.");
  assert.ok(await start.isDisabled());
  assert.deepEqual(backend.calls("start_server"), []);

  // Still taken: the banner stays.
  await port.fill("7777");
  await start.click();
  await waitForCall(backend, "start_server", (a) => a.port === 7777);
  await seeText(banner, "Port 7777 is already in use");

  await port.fill("7778");
  await start.click();
  assert.deepEqual(await waitForCall(backend, "start_server", (a) => a.port === 7778), { port: 7778 });
  await banner.waitFor({ state: "detached" });
  await seeText(page.getByTestId("server-status"), "SP on http://127.0.0.1:7778");
  assert.equal(await page.getByRole("alert").count(), 0);
}

export async function secret_store_error_banner(page, backend) {
  const status = backend.snapshot("app_status_port_in_use_secret_store_error");
  serveApp(backend, { status: { ...status, server: backend.snapshot("app_status").server } });
  await openApp(page);
  const banner = page.getByRole("alert").filter({ hasText: "The secret store is unavailable." });
  await seeText(banner, "Importing connections and test logins need it");
  await seeText(banner, status.secret_store_error.message);
  assert.equal(await page.getByTestId("port-banner").count(), 0);
  await seeText(page.getByTestId("server-status"), "SP on http://127.0.0.1:7777");
}

export async function app_status_failure_is_shown_with_retry(page, backend) {
  serveApp(backend);
  let fail = true;
  const ok = backend.snapshot("app_status");
  // A rejection that is not a core error (a bare string, as Tauri's IPC layer sends).
  backend.on("app_status", () => {
    if (fail) throw new CommandError("app_status: the core is not ready");
    return ok;
  });
  await openApp(page);
  const alert = page.getByRole("alert").filter({ hasText: "Could not read the app status" });
  await seeText(alert, "The app could not run this: app_status: the core is not ready");
  await seeText(alert, "Error code: ipc");
  fail = false;
  await alert.getByRole("button", { name: "Retry" }).click();
  await alert.waitFor({ state: "detached" });
  await seeText(page.getByTestId("server-status"), "SP on http://127.0.0.1:7777");
}

export async function theme_switch_sets_data_theme_and_persists(page, backend) {
  serveApp(backend);
  await openApp(page);
  const theme = page.getByRole("group", { name: "Theme" });
  const html = page.locator("html");
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

  await theme.getByRole("button", { name: "Light" }).click();
  await waitForAttribute(html, "data-theme", "light");
  const light = await background();
  await theme.getByRole("button", { name: "Dark" }).click();
  await waitForAttribute(html, "data-theme", "dark");
  assert.equal(await theme.getByRole("button", { name: "Dark" }).getAttribute("aria-pressed"), "true");
  assert.equal(await theme.getByRole("button", { name: "Light" }).getAttribute("aria-pressed"), "false");
  assert.notEqual(await background(), light, "the dark theme changes the colours");

  // Kept across a reload.
  await page.reload();
  await openApp(page);
  await waitForAttribute(html, "data-theme", "dark");
  assert.equal(await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "Dark" }).getAttribute("aria-pressed"), "true");

  // System: no attribute, the OS preference decides.
  await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "System" }).click();
  await waitForAttribute(html, "data-theme", null);
  await page.emulateMedia({ colorScheme: "dark" });
  const systemDark = await background();
  await page.emulateMedia({ colorScheme: "light" });
  assert.notEqual(await background(), systemDark, "System follows prefers-color-scheme");
}

export async function detail_tabs_move_with_arrow_keys(page, backend) {
  serveApp(backend);
  await openApp(page);
  await openConnection(page, "acme");
  const tabs = page.getByRole("tablist", { name: "Connection sections" });
  const selected = () => tabs.locator('[role="tab"][aria-selected="true"]').innerText();
  const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());

  assert.equal(await selected(), "Identity provider");
  await tabs.getByRole("tab", { name: "Identity provider" }).focus();
  await page.keyboard.press("ArrowRight");
  await waitForAttribute(tabs.getByRole("tab", { name: "Service provider" }), "aria-selected", "true");
  assert.equal(await focused(), "Service provider", "focus follows the selection");
  await page.getByRole("tabpanel", { name: "Service provider" }).waitFor();
  assert.equal(await tabs.getByRole("tab", { name: "Identity provider" }).getAttribute("tabindex"), "-1", "roving tabindex");

  await page.keyboard.press("End");
  await waitForAttribute(tabs.getByRole("tab", { name: "Test login" }), "aria-selected", "true");
  await page.keyboard.press("ArrowRight"); // wraps
  await waitForAttribute(tabs.getByRole("tab", { name: "Identity provider" }), "aria-selected", "true");
  await page.keyboard.press("ArrowLeft"); // wraps back
  await waitForAttribute(tabs.getByRole("tab", { name: "Test login" }), "aria-selected", "true");
  await page.keyboard.press("Home");
  await waitForAttribute(tabs.getByRole("tab", { name: "Identity provider" }), "aria-selected", "true");
  assert.equal(await focused(), "Identity provider");
  await page.getByRole("tabpanel", { name: "Identity provider" }).waitFor();

  // Tab moves from the tab list into the panel.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("role")), "tabpanel");
}

export async function every_screen_renders_without_errors(page, backend) {
  serveApp(backend);
  backend.on("open_login", () => "http://127.0.0.1:7777/saml/acme/login");
  const problems = [];
  page.on("console", (m) => {
    // (The preview server has no favicon; the app asks for none.)
    if ((m.type() === "error" || m.type() === "warning") && !m.location().url.endsWith("/favicon.ico")) {
      problems.push(`[${m.type()}] ${m.text()}`);
    }
  });
  await openApp(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  const visit = async (what, check) => {
    await check();
    assert.ok((await page.title()).endsWith("· Handshake"), `${what}: title ${await page.title()}`);
  };

  await visit("connections", () => page.getByRole("heading", { level: 1, name: "Connections" }).waitFor());
  await page.getByRole("button", { name: "+ Import metadata" }).click();
  await visit("import", () => page.getByRole("heading", { level: 1, name: "Import IdP metadata" }).waitFor());
  for (const mode of ["Paste XML", "From a URL", "File"]) {
    await page.getByRole("tab", { name: mode }).click();
    await waitForAttribute(page.getByRole("tab", { name: mode }), "aria-selected", "true");
  }
  for (const name of ["acme", "acme-staging", "okta-legacy", "adfs-contoso"]) {
    await nav.getByRole("button", { name: "Connections" }).click();
    await openConnection(page, name);
    assert.equal(await page.title(), `${name} · Handshake`);
    for (const tab of ["Identity provider", "Service provider", "Security", "Attribute mapping", "Roles and access", "Provisioning", "Test login"]) {
      await page.getByRole("tab", { name: tab }).click();
      await page.getByRole("tabpanel", { name: tab }).waitFor();
    }
  }
  await nav.getByRole("button", { name: "Users" }).click();
  await visit("users", () => page.getByRole("heading", { level: 1, name: "Users" }).waitFor());
  await page.getByRole("button", { name: "Ada King", exact: true }).click();
  await page.getByTestId("user-panel").getByText("History").waitFor();
  await nav.getByRole("button", { name: "Audit log" }).click();
  await visit("audit", () => page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor());
  await page.getByRole("button", { name: /Show details of entry/ }).first().click();
  await nav.getByRole("button", { name: "Demo IdP" }).click();
  await visit("demo", () => page.getByRole("heading", { level: 1, name: "Demo IdP" }).waitFor());
  await page.getByTestId("persona-table").getByText("Priya Shah").waitFor();
  await page.getByRole("button", { name: "Edit Priya Shah" }).click();
  await page.getByRole("dialog").getByLabel("Given name").waitFor();
  await page.keyboard.press("Escape");

  assert.deepEqual(problems, [], "no console errors or warnings");
  assert.deepEqual([...new Set(backend.unhandled)], [], "every command the screens sent has an answer");
}
