// "Fast on a large list": 2,000 connections and 10,000 users render (a page at a time) and
// the filters answer. Only correctness is asserted; the timings are printed, for a person
// to read (they depend on the machine).
import assert from "node:assert/strict";
import { openApp } from "./helpers.mjs";
import { seeText, serveApp, waitForCall, waitForCount } from "./app.mjs";

const pad = (n) => String(n).padStart(4, "0");

/** n connection summaries: copies of the core's four, renamed `<name>-0000`... */
function manyConnections(backend, n) {
  const base = backend.snapshot("connections");
  return Array.from({ length: n }, (_, i) => {
    const c = structuredClone(base[i % base.length]);
    c.name = `${c.name}-${pad(Math.floor(i / base.length))}`;
    c.idp_entity_id = `${c.idp_entity_id}/${i}`;
    return c;
  });
}

/** n users: copies of the core's Ada, numbered. */
function manyUsers(backend, n) {
  const [ada] = backend.snapshot("users");
  return Array.from({ length: n }, (_, i) => ({
    ...structuredClone(ada),
    id: i + 1,
    email: `user${i}@example.com`,
    given_name: "User",
    family_name: String(i),
    display_name: `User ${i}`,
    identities: [{ connection: "acme", subject: `user${i}@example.com`, linked: false }],
  }));
}

const ms = (t0) => `${Date.now() - t0} ms`;

export async function two_thousand_connections_render_and_filter(page, backend) {
  serveApp(backend, { connections: manyConnections(backend, 2000) });
  let t0 = Date.now();
  await openApp(page);
  const rows = page.getByTestId("connections-table").locator("tbody tr");
  await waitForCount(rows, 200);
  const shown = ms(t0);
  await seeText(page.getByRole("main"), "2,000 connections");
  await page.getByRole("button", { name: "Show more (1800 more)" }).waitFor();

  const filter = page.getByRole("searchbox", { name: "Filter connections" });
  t0 = Date.now();
  await filter.fill("okta-legacy-0499");
  await waitForCount(rows, 1);
  const one = ms(t0);
  await page.getByRole("button", { name: "okta-legacy-0499", exact: true }).waitFor();

  t0 = Date.now();
  await filter.fill("okta");
  await waitForCount(rows, 200);
  const many = ms(t0);
  await seeText(page.getByRole("main"), "500 matches of 2,000");
  t0 = Date.now();
  await page.getByRole("button", { name: "Show more (300 more)" }).click();
  await waitForCount(rows, 400);
  const more = ms(t0);

  t0 = Date.now();
  await filter.fill("");
  await waitForCount(rows, 200);
  const cleared = ms(t0);
  console.log(
    `     2,000 connections: first 200 rows ${shown} (app start included); filter to 1 row ${one}; ` +
      `to 500 matches ${many}; show 200 more ${more}; clear ${cleared}`,
  );
}

export async function ten_thousand_users_render_and_search(page, backend) {
  serveApp(backend, { users: manyUsers(backend, 10_000) });
  await openApp(page);
  let t0 = Date.now();
  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: "Users" }).click();
  const rows = page.getByTestId("users-table").locator("tbody tr");
  await waitForCount(rows, 200);
  const shown = ms(t0);
  await seeText(page.getByRole("main"), "10,000 users");
  await page.getByRole("button", { name: "Show more (9800 more)" }).waitFor();

  const search = page.getByRole("searchbox", { name: "Search users" });
  t0 = Date.now();
  await search.fill("user9999@");
  await waitForCall(backend, "users", (a) => a.query.text === "user9999@");
  await waitForCount(rows, 1);
  const one = ms(t0);
  await page.getByRole("button", { name: "User 9999", exact: true }).waitFor();

  t0 = Date.now();
  await search.fill("user1");
  await waitForCount(rows, 200);
  const many = ms(t0);
  await seeText(page.getByRole("main"), "1,111 users match");

  t0 = Date.now();
  await search.fill("");
  await waitForCount(rows, 200);
  await seeText(page.getByRole("main"), "10,000 users");
  const cleared = ms(t0);

  t0 = Date.now();
  await page.getByRole("button", { name: "User 5", exact: true }).click();
  await seeText(page.getByTestId("user-panel").getByRole("heading", { level: 2 }), "User 5");
  const panel = ms(t0);
  assert.equal(backend.calls("user").at(-1).id, 6);
  console.log(
    `     10,000 users: first 200 rows ${shown}; search to 1 row ${one} (200 ms debounce included); ` +
      `to 1,111 matches ${many}; clear ${cleared}; open a user ${panel}`,
  );
}
