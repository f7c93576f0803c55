// The fake Handshake backend for the flow tests, and waits shaped for them.
//
// Every answer is a snapshot of what the real core returned (ui/src/lib/testdata/*.json,
// written by `cargo run --example ui-snapshots`: a temporary catalog with four connections,
// test logins posted to the real ACS, a fixed clock). Handlers keep a little state (the
// connection list, the users) so that deletes and status changes show, and filter the way
// src/desktop/mod.rs does. A test replaces any command with backend.on/reply/fail.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CommandError, testdataDir } from "./backend.mjs";
import { pollUntil, uiDir } from "../harness.mjs";

/** The raw text of a testdata file (the metadata and response XML the snapshots came from). */
export const testdataText = (file) => readFileSync(join(testdataDir, file), "utf8");

/** The path the faked save dialog answers. */
export const SAVE_PATH = "/home/ada/Documents/handshake-export";

/**
 * Registers answers for every command the screens call. `options`:
 *   status       what app_status answers (default: the running SP)
 *   connections  what list_connections starts with (default: the four of the snapshot)
 *   users        what users starts with (default: the two of the snapshot)
 */
export function serveApp(backend, options = {}) {
  const snap = (name) => backend.snapshot(name);
  const state = backend.state;
  state.connections = options.connections ?? snap("connections");
  state.users = options.users ?? snap("users");
  state.audit = snap("audit");
  const views = {
    acme: snap("connection_acme"),
    "acme-staging": snap("connection_acme_staging"),
    "okta-legacy": snap("connection_okta_legacy"),
    "adfs-contoso": snap("connection_adfs_contoso"),
  };
  const notFound = (name) => {
    const e = snap("error_not_found");
    e.message = e.message.replace('"nope"', JSON.stringify(name));
    return new CommandError(e);
  };
  const view = (name) => {
    if (!state.connections.some((c) => c.name === name) || !views[name]) throw notFound(name);
    return views[name];
  };
  const hasDepartment = (mapping) =>
    mapping.fields.some((f) => f.target === "department" && f.source.type === "attribute" && f.source.name === "department");

  backend.table({ presets: snap("presets") });
  backend.on("app_status", () => options.status ?? snap("app_status"));
  backend.on("list_connections", () => state.connections);
  backend.on("connection", ({ name }) => view(name));
  backend.on("mapping", ({ name }) => (view(name), snap("mapping_acme")));
  backend.on("preview_mapping", ({ name, mapping }) => {
    view(name);
    if (name !== "acme") return snap("mapping_preview_none");
    return snap(hasDepartment(mapping) ? "mapping_preview_acme_department" : "mapping_preview_acme");
  });
  backend.on("test_logins", ({ connection }) =>
    connection === "acme" ? snap("test_logins_acme") : connection === "acme-staging" ? snap("test_logins_acme_staging") : [],
  );
  const logins = { 1: "test_login_created", 3: "test_login_updated", 4: "test_login_rejected" };
  backend.on("test_login", ({ id }) => {
    if (!logins[id]) throw new CommandError({ code: "not_found", message: `there is no test login ${id}` });
    return snap(logins[id]);
  });
  backend.on("remove_connection", ({ name }) => {
    view(name);
    state.connections = state.connections.filter((c) => c.name !== name);
    return { ...snap("remove_outcome"), name };
  });

  backend.on("users", ({ query }) => {
    const needle = query.text?.trim().toLowerCase();
    return state.users.filter((u) => {
      if (query.connection && u.connection !== query.connection) return false;
      if (!needle) return true;
      const fields = [u.email, u.username, u.given_name, u.family_name, u.display_name].filter(Boolean);
      return [...fields, ...u.groups, ...u.roles].some((f) => f.toLowerCase().includes(needle));
    });
  });
  const details = { 1: "user_detail_ada", 2: "user_detail_grace" };
  backend.on("user", ({ id }) => {
    const user = state.users.find((u) => u.id === id);
    if (!user) throw new CommandError({ code: "not_found", message: `there is no user ${id}` });
    const detail = details[id] ? snap(details[id]) : { user, audit: [] };
    return { ...detail, user };
  });
  backend.on("set_user_status", ({ id, status }) => {
    const i = state.users.findIndex((u) => u.id === id);
    if (i < 0) throw new CommandError({ code: "not_found", message: `there is no user ${id}` });
    state.users[i] = { ...state.users[i], status };
    return state.users[i];
  });
  backend.on("delete_user", ({ id }) => {
    state.users = state.users.filter((u) => u.id !== id);
    return null;
  });

  backend.on("audit", ({ query }) => {
    const needle = query.text?.trim().toLowerCase();
    return state.audit.filter(
      (e) =>
        (!query.connection || e.connection === query.connection) &&
        (!query.outcome || e.outcome === query.outcome) &&
        (!query.kind || e.kind === query.kind) &&
        (!query.action || e.action === query.action) &&
        (!query.since || e.at >= query.since) &&
        (!needle || [e.subject, e.message, e.failed_check, e.actor].some((f) => f?.toLowerCase().includes(needle))),
    );
  });
  backend.on("plugin:dialog|save", ({ options: o }) => `${SAVE_PATH}/${o.defaultPath}`);
  // Every copy goes through the clipboard plugin: the last text written is the clipboard.
  backend.on("plugin:clipboard-manager|write_text", ({ text }) => {
    state.clipboard = text;
    return null;
  });
  // The Demo IdP screen (no snapshot: the hand-written catalog in the core's shapes that the
  // unit tests use too).
  const demo = JSON.parse(readFileSync(join(uiDir, "src", "screens", "demo", "fixture.json"), "utf8"));
  backend.on("demo_idp", () => demo.idp);
  backend.on("demo_catalog", () => demo.catalog);
  return state;
}

/** Waits for a call of `cmd` whose arguments satisfy `pred`; returns its arguments. */
export async function waitForCall(backend, cmd, pred = () => true, { timeout = 10_000 } = {}) {
  return pollUntil(() => backend.calls(cmd).find((a) => pred(a)), { timeout, what: `a ${cmd} call` });
}

/**
 * Waits until `locator` (its first match) is visible and its rendered text, whitespace
 * collapsed, contains `text` (string or RegExp).
 */
export async function seeText(locator, text, { timeout = 10_000 } = {}) {
  const first = locator.first();
  await first.waitFor({ state: "visible", timeout });
  let got = "";
  await pollUntil(
    async () => {
      // innerText: what a reader sees (table cells and list items apart, hidden parts out).
      got = (await first.innerText()).replace(/\s+/g, " ").trim();
      return typeof text === "string" ? got.includes(text) : text.test(got);
    },
    { timeout, what: `text ${text}` },
  ).catch(() => {
    const shown = got.length > 600 ? `${got.slice(0, 600)}… (${got.length} characters)` : got;
    throw new Error(`expected text ${text}, found ${JSON.stringify(shown)}`);
  });
  return got;
}

/** Waits until `locator` matches exactly `n` elements. */
export async function waitForCount(locator, n, { timeout = 10_000 } = {}) {
  let got = -1;
  await pollUntil(async () => (got = await locator.count()) === n, { timeout, what: `${n} elements` }).catch(() => {
    throw new Error(`expected ${n} elements, found ${got}`);
  });
}

/** Waits until an attribute of the first match has `value`. */
export async function waitForAttribute(locator, name, value, { timeout = 10_000 } = {}) {
  let got;
  await pollUntil(async () => (got = await locator.first().getAttribute(name)) === value, {
    timeout,
    what: `${name}=${value}`,
  }).catch(() => {
    throw new Error(`expected ${name}=${JSON.stringify(value)}, found ${JSON.stringify(got)}`);
  });
}

/** The row of the connections table for connection `name`. */
export const connectionRow = (page, name) =>
  page
    .getByTestId("connections-table")
    .getByRole("row")
    .filter({ has: page.getByRole("button", { name, exact: true }) });

/** From the connections list, opens connection `name` and then its tab `tab` (a label). */
export async function openConnection(page, name, tab) {
  await page.getByRole("button", { name, exact: true }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  if (tab) {
    await page.getByRole("tab", { name: tab }).click();
    await page.getByRole("tabpanel", { name: tab }).waitFor();
  }
}

/** A toast with `text` (status or alert). */
export const toast = (page, text) => page.locator(".toasts").getByText(text);

